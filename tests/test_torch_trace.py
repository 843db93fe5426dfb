"""lrlib.torch.lr_trace: the rates a scheduler produces, in the order a training loop sees them."""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler  # noqa: E402

from lrlib.torch import lr_trace  # noqa: E402


def test_entry_t_is_the_rate_of_the_t_th_optimizer_step():
    rates = lr_trace(lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), 10, lr=0.2)
    expected = [0.2 * 0.5 ** (t // 3) for t in range(10)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_steps_in_the_right_order_so_torch_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr_trace(lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9), 5)


def test_one_column_per_param_group():
    rates = lr_trace(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=8), 9, lr=[0.1, 0.01])
    assert rates.shape == (9, 2)
    for column, base in zip(rates.T, (0.1, 0.01)):
        expected = [base * (1 + math.cos(math.pi * t / 8)) / 2 for t in range(9)]
        np.testing.assert_allclose(column, expected, rtol=1e-9, atol=1e-15)


def test_plateau_scheduler_is_fed_the_metrics():
    flat = [1.0] * 6
    rates = lr_trace(lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1), 6, lr=1.0,
                     metrics=flat)
    # best is set at step 0; steps 1 and 2 do not improve, so the cut lands after step 2 (patience 1).
    np.testing.assert_allclose(rates, [1.0, 1.0, 1.0, 0.5, 0.5, 0.25])


def test_momentum_follows_one_cycle():
    total = 20
    rates, momenta = lr_trace(lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=total), total,
                              with_momentum=True)
    peak = int(np.argmax(rates))
    assert momenta[0] == pytest.approx(0.95) and momenta[peak] == pytest.approx(0.85)
    assert momenta[peak] == momenta.min()


def test_adam_momentum_is_beta1():
    _, momenta = lr_trace(lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10), 10,
                          optimizer="adam", with_momentum=True)
    assert momenta[0] == pytest.approx(0.95)


@pytest.mark.parametrize("kwargs, word", [
    ({"steps": 0}, "steps"), ({"steps": 2.5}, "steps"), ({"steps": 3, "lr": -1.0}, "lr"),
    ({"steps": 3, "lr": []}, "lr"), ({"steps": 3, "optimizer": "rmsprop"}, "optimizer"),
    ({"steps": 3, "metrics": [1.0]}, "metrics"),
])
def test_bad_arguments_name_themselves(kwargs, word):
    with pytest.raises(ValueError, match=word):
        lr_trace(lambda opt: lr_scheduler.StepLR(opt, 1), **kwargs)
