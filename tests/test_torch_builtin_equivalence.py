"""What chapter 02 teaches about ``torch.optim.lr_scheduler``, pinned against the installed PyTorch.

- Coverage: every public scheduler class is either matched by an lrlib schedule, with the test that checks
  the match, or listed with the reason it has no closed-form counterpart. A class added by a new PyTorch
  release fails here until the course says what to do with it.
- Which built-ins are *chainable* (their ``get_lr`` multiplies the LR currently in the optimizer, so a change
  made to it from outside carries on) and which are *closed-form* (computed from ``base_lrs`` and
  ``last_epoch`` alone, so an outside change is overwritten at the next step).
- ``CyclicLR`` and ``OneCycleLR`` write momentum into a plain SGD optimizer unless ``cycle_momentum=False``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

import lrlib
from lrlib.torch import lr_trace

TESTS = Path(__file__).parent

# torch class -> (test module, test function) that pins the lrlib schedule equal to it
MATCHED = {
    "StepLR": ("test_schedules", "test_step_equals_torch_step_lr"),
    "MultiStepLR": ("test_schedules", "test_multistep_equals_torch_multistep_lr"),
    "ExponentialLR": ("test_schedules", "test_exponential_equals_torch_exponential_lr"),
    "PolynomialLR": ("test_schedules", "test_polynomial_equals_torch_polynomial_lr_and_holds_zero_after"),
    "CosineAnnealingLR": ("test_schedules", "test_cosine_equals_torch_cosine_annealing_on_its_first_half_period"),
    "CosineAnnealingWarmRestarts": ("test_schedules", "test_cosine_restarts_equals_torch_warm_restarts"),
    "CyclicLR": ("test_schedules", "test_cyclic_equals_torch_cyclic_lr_including_momentum"),
    "OneCycleLR": ("test_schedules", "test_one_cycle_equals_torch_one_cycle_lr_including_momentum"),
    "LinearLR": ("test_schedules", "test_warmup_equals_torch_linear_lr_then_scheduler"),
    "SequentialLR": ("test_schedules", "test_sequence_equals_torch_sequential_lr_restarting_each_scheduler"),
    "ConstantLR": ("test_torch_builtin_equivalence", "test_constant_lr_equals_a_two_piece_sequence"),
    "LambdaLR": ("test_torch_builtin_equivalence", "test_lambda_lr_of_a_formula_equals_the_lrlib_schedule"),
}
# torch class -> why lrlib has no stateless schedule equal to it
UNMATCHED = {
    "ReduceLROnPlateau": "adaptive: its LR depends on a metric measured during training, not on the step",
    "MultiplicativeLR": "recursive with an arbitrary factor function; write the product as a LambdaLR instead",
    "ChainedScheduler": "multiplies the factors of schedulers stepped together; not a schedule of its own",
}


def test_every_public_scheduler_is_matched_or_explained():
    public = set(lr_scheduler.__all__) - {"LRScheduler"}  # the base class is not a schedule
    assert set(MATCHED) | set(UNMATCHED) == public
    assert not set(MATCHED) & set(UNMATCHED)


@pytest.mark.parametrize("name", sorted(MATCHED))
def test_each_match_names_a_test_that_exists(name):
    module, function = MATCHED[name]
    tree = ast.parse((TESTS / f"{module}.py").read_text(encoding="utf-8"))
    assert function in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_constant_lr_equals_a_two_piece_sequence():
    expected = lr_trace(lambda o: lr_scheduler.ConstantLR(o, factor=0.25, total_iters=7), 30)
    schedule = lrlib.sequence([lrlib.constant(0.025), lrlib.constant(0.1)], boundaries=[7])
    np.testing.assert_allclose(schedule(np.arange(30)), expected, rtol=1e-12)


def test_lambda_lr_of_a_formula_equals_the_lrlib_schedule():
    expected = lr_trace(lambda o: lr_scheduler.LambdaLR(o, lambda t: (t + 1) ** -0.5), 200)
    np.testing.assert_allclose(lrlib.square_root(0.1)(np.arange(200)), expected, rtol=1e-12)


CHAINABLE = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, 2, 0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, [2, 4], 0.5),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, 10),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o, 10, 2.0),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o, 0.5, 8),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o, 0.2, total_iters=8),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda t: 0.9),
}
CLOSED_FORM = {
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda t: 0.9**t),
    "CyclicLR": lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=20, cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 5),
}


def lr_after_an_outside_halving(make, halve: bool, steps: int = 6, at: int = 2) -> float:
    """The LR after `steps` steps when the LR in the optimizer is (or is not) halved by hand after step `at`."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = make(opt)
    for t in range(steps):
        opt.step()
        if halve and t == at:
            opt.param_groups[0]["lr"] *= 0.5
        sched.step()
    return opt.param_groups[0]["lr"]


@pytest.mark.parametrize("name", sorted(CHAINABLE))
def test_chainable_schedulers_carry_an_outside_change_forward(name):
    untouched = lr_after_an_outside_halving(CHAINABLE[name], halve=False)
    halved = lr_after_an_outside_halving(CHAINABLE[name], halve=True)
    assert halved == pytest.approx(untouched / 2, rel=1e-12)


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_closed_form_schedulers_overwrite_an_outside_change(name):
    untouched = lr_after_an_outside_halving(CLOSED_FORM[name], halve=False)
    assert lr_after_an_outside_halving(CLOSED_FORM[name], halve=True) == untouched


def test_chained_and_closed_form_lists_cover_the_step_driven_schedulers():
    step_driven = set(lr_scheduler.__all__) - {"LRScheduler", "ReduceLROnPlateau", "SequentialLR",
                                               "ChainedScheduler"}
    assert set(CHAINABLE) | set(CLOSED_FORM) == step_driven


@pytest.mark.parametrize(("make", "first_momentum"), [
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=5), 0.9),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=20), 0.95),
], ids=["CyclicLR", "OneCycleLR"])
def test_cycling_schedulers_give_plain_sgd_momentum_by_default(make, first_momentum):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)  # momentum=0
    make(opt)
    assert opt.param_groups[0]["momentum"] == first_momentum


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=5, cycle_momentum=False),
    lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=20, cycle_momentum=False),
], ids=["CyclicLR", "OneCycleLR"])
def test_cycle_momentum_false_keeps_plain_sgd_plain(make):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = make(opt)
    for _ in range(10):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["momentum"] == 0
