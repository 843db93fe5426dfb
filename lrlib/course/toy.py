"""SGD on a noisy quadratic: the smallest model of why a constant learning rate stalls and decay helps.

The loss is ``f(w) = w**2 / 2`` (gradient ``w``), and every gradient SGD sees carries Gaussian noise of
standard deviation ``noise``, as a mini-batch gradient does: ``w <- w - lr * (w + noise * xi)``. With a
constant ``lr`` the weight's variance settles where the pull towards 0 balances the kicks, at
``lr * noise**2 / (2 - lr)``, so the mean loss stalls at `noise_floor`; lowering ``lr`` lowers the floor.
Chapter 01 of the course uses it before training a real network.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["noisy_quadratic", "noise_floor"]


def noise_floor(lr: float, noise: float = 1.0) -> float:
    """The mean loss at which SGD with constant `lr` settles on the noisy quadratic:
    ``lr * noise**2 / (2 * (2 - lr))``, for ``0 < lr < 2`` (at ``lr >= 2`` SGD diverges)."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 2:
        raise ValueError(f"lr must be in (0, 2) for SGD on the quadratic to settle, got {lr!r}")
    _check_noise(noise)
    return lr * noise**2 / (2 * (2 - lr))


def noisy_quadratic(schedule: Callable[[int], float], steps: int, *, copies: int = 2000, w0: float = 10.0,
                    noise: float = 1.0, seed: int = 0) -> np.ndarray:
    """Mean loss over `copies` independent SGD runs on the noisy quadratic, before each of `steps` steps.

    Args:
        schedule: the learning rate of step t, ``schedule(t)`` (an lrlib schedule or any callable).
        steps: number of SGD steps (>= 1); entry t of the result is the mean loss before step t.
        copies: independent runs averaged (>= 1): more copies, smoother curve.
        w0: the starting weight of every run.
        noise: standard deviation of the gradient noise (>= 0; 0 is plain gradient descent).
        seed: seed of the noise, for a reproducible curve.
    """
    for name, value in (("steps", steps), ("copies", copies)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    w = np.full(int(copies), float(w0))
    losses = np.empty(int(steps))
    for t in range(int(steps)):
        losses[t] = np.mean(w**2) / 2
        w = w - float(schedule(t)) * (w + noise * rng.standard_normal(w.shape))
    return losses


def _check_noise(noise: float) -> None:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
