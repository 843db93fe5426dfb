"""Two helpers for TensorFlow 1 style code in TensorFlow 2: read a schedule off a graph, draw mini-batches.

Pre-2019 TensorFlow code computes the learning rate as a tensor of the global step (``tf.cond``,
``tf.compat.v1.train.exponential_decay``, ``piecewise_constant``) or feeds it through a placeholder. Notebook 04
writes that graph and its session loop out in full; this module holds only what is not the lesson:
`lr_values` evaluates a step -> LR function in a graph of its own, and `batch_indices` draws the mini-batches a
session loop feeds. Both build nothing in the default graph, so they work with eager execution on.
Importing this module imports TensorFlow.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import tensorflow as tf

__all__ = ["lr_values", "batch_indices"]


def lr_values(fn: Callable[[Any], Any], steps: int) -> np.ndarray:
    """Evaluate ``fn(step_tensor)`` at steps 0, 1, ..., steps - 1 in a fresh ``tf.Graph`` and session.

    Args:
        fn: receives a scalar int64 placeholder and returns a learning-rate tensor: a ``tf.cond`` on the step,
            a ``tf.compat.v1.train`` decay, or a Keras ``LearningRateSchedule`` (which builds graph ops when
            called on a graph tensor).
        steps: how many steps to evaluate (positive).

    Returns:
        The learning rates as a float64 array of length `steps`.

    Raises:
        ValueError: `steps` is not a positive integer.

    Example:
        >>> cond = lambda step: tf.cond(step < 2, lambda: 0.1, lambda: 0.01)
        >>> lr_values(cond, 4).round(3).tolist()
        [0.1, 0.1, 0.01, 0.01]
    """
    _check_positive("steps", steps)
    graph = tf.Graph()
    with graph.as_default():
        step = tf.compat.v1.placeholder(tf.int64, [], name="step")
        lr = fn(step)
    with tf.compat.v1.Session(graph=graph) as session:
        return np.array([session.run(lr, {step: t}) for t in range(steps)], dtype=np.float64)


def batch_indices(n: int, batch_size: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    """`steps` mini-batches of indices into ``range(n)``, epoch after epoch of fresh permutations.

    Each batch has exactly `batch_size` indices: when an epoch's permutation runs out, the next permutation
    is appended and the batch continues into it (no short last batch). The same `seed` gives the same batches.

    Args:
        n: number of examples (positive).
        batch_size: indices per batch (positive).
        steps: number of batches (positive).
        seed: seed of the ``numpy.random.default_rng`` that draws the permutations.

    Returns:
        A list of `steps` int64 arrays of length `batch_size`.

    Raises:
        ValueError: `n`, `batch_size` or `steps` is not a positive integer.

    Example:
        >>> [b.tolist() for b in batch_indices(3, 2, 3, seed=0)]
        [[2, 0], [1, 2], [1, 0]]
    """
    for name, value in (("n", n), ("batch_size", batch_size), ("steps", steps)):
        _check_positive(name, value)
    rng = np.random.default_rng(seed)
    pool = np.empty(0, dtype=np.int64)
    batches = []
    for _ in range(steps):
        if len(pool) < batch_size:
            pool = np.concatenate([pool, rng.permutation(n)])
        batches.append(pool[:batch_size])
        pool = pool[batch_size:]
    return batches


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value!r}")
