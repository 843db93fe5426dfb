"""The open schedule contract: any callable ``step -> lr`` is a schedule, and `lrlib.constructor` gives a user's
formula lrlib's extras. References: torch ``LambdaLR`` / ``MultiplicativeLR`` / ``CyclicLR`` checkpoints."""

from __future__ import annotations

import inspect
import io
import json
import math
import pickle

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

import lrlib
import lrlib.torch

STEPS = 300


def inverse_sqrt(step: int) -> float:
    """A module-level step function (pickles by reference)."""
    return 0.1 / math.sqrt(step + 1)


def d2l_factor(step: int) -> float:
    """d2l's ``FactorScheduler`` called from step 0, written the way a reader of chapter 03 writes it."""
    return max(1e-4, 0.3 * 0.9 ** (step + 1))


class Halving:
    """A callable object with state, like torch's custom ``scale_fn`` objects."""

    def __init__(self, base: float = 0.5) -> None:
        self.base = base

    def __call__(self, cycle: float) -> float:
        return self.base ** (cycle - 1.0)


@lrlib.constructor
def user_cosine_with_momentum(lr: float, total_steps: int, low: float = 0.85, high: float = 0.95) -> lrlib.Formulas:
    """A user's formula written against the array namespace: cosine LR with inverse momentum."""
    if not total_steps >= 1:
        raise ValueError(f"total_steps must be an integer >= 1, got {total_steps!r}")

    def weight(t, xp):
        return (1.0 + xp.cos(math.pi * xp.minimum(t / total_steps, 1.0))) / 2.0

    return lrlib.Formulas(lambda t, xp: lr * weight(t, xp), lambda t, xp: high - (high - low) * weight(t, xp))


def torch_lrs(make, steps=STEPS, lr=0.1):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    sched = make(opt)
    seen = []
    for _ in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(seen)


# --- a plain callable gives exactly its values ------------------------------------------------------------------


@pytest.mark.parametrize("function", [inverse_sqrt, d2l_factor, lambda t: 0.05 if t < 100 else 0.005])
def test_from_function_gives_exactly_the_function_values_one_step_or_many(function):
    schedule = lrlib.from_function(function)
    expected = [float(function(t)) for t in range(STEPS)]
    assert [schedule(t) for t in range(STEPS)] == expected
    assert schedule(np.arange(STEPS)).tolist() == expected
    assert schedule(np.arange(6).reshape(2, 3)).shape == (2, 3)


def test_warmup_sequence_and_chain_take_plain_callables_and_give_their_exact_values():
    warmed = lrlib.warmup(d2l_factor, 10, 0.001)
    assert [warmed(t) for t in range(10, STEPS)] == [d2l_factor(t) for t in range(STEPS - 10)]
    joined = lrlib.sequence([inverse_sqrt, d2l_factor], [50])
    assert joined(np.arange(50)).tolist() == [inverse_sqrt(t) for t in range(50)]
    assert joined(np.arange(50, STEPS)).tolist() == [d2l_factor(t) for t in range(STEPS - 50)]
    assert lrlib.chain([inverse_sqrt])(np.arange(STEPS)).tolist() == [inverse_sqrt(t) for t in range(STEPS)]


def test_a_callable_schedule_has_momentum_when_given_one():
    schedule = lrlib.from_function(inverse_sqrt, momentum=lambda t: 0.9 - 0.001 * t)
    assert schedule.has_momentum and schedule.momentum(10) == pytest.approx(0.89)
    assert not lrlib.from_function(inverse_sqrt).has_momentum


def test_a_plain_callable_has_no_json_config_but_pickles_by_reference():
    schedule = lrlib.warmup(inverse_sqrt, 5)
    with pytest.raises(TypeError, match=r"has no JSON config: its argument lr=<function inverse_sqrt"):
        schedule.get_config()
    rebuilt = pickle.loads(pickle.dumps(schedule))
    assert rebuilt == schedule and rebuilt(np.arange(50)).tolist() == schedule(np.arange(50)).tolist()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(lrlib.from_function(lambda t: 0.1))


@pytest.mark.parametrize("bad", [0.1, None, lrlib.cosine(0.1, 10)])
def test_from_function_names_what_it_needs(bad):
    with pytest.raises(TypeError, match=r"lr (must be a callable step -> lr|is already an lrlib schedule)"):
        lrlib.from_function(bad)


# --- a user's formula gains lrlib's extras ------------------------------------------------------------------


def test_constructor_gives_a_user_formula_vectorized_eval_config_momentum_and_a_real_signature():
    schedule = user_cosine_with_momentum(0.2, 100)
    t = np.arange(150)
    assert schedule(t).tolist() == [schedule(int(step)) for step in t]
    assert schedule.has_momentum and schedule.momentum(100) == pytest.approx(0.95)
    assert schedule(50) == pytest.approx(0.1)
    config = json.loads(json.dumps(schedule.get_config()))
    assert config == {"name": "user_cosine_with_momentum", "lr": 0.2, "total_steps": 100, "low": 0.85, "high": 0.95}
    assert lrlib.from_config(config) == schedule
    signature = inspect.signature(user_cosine_with_momentum)
    assert list(signature.parameters) == ["lr", "total_steps", "low", "high"]
    assert signature.return_annotation is lrlib.Schedule and signature.parameters["lr"].annotation is float
    assert lrlib.warmup(schedule, 10).momentum(10) == schedule.momentum(0) == pytest.approx(0.85)  # composes


def test_constructor_refuses_a_second_constructor_under_a_taken_name():
    def cosine(lr: float) -> lrlib.Formulas:
        return lrlib.Formulas(lambda t, xp: lr + 0.0 * t)

    with pytest.raises(ValueError, match=r"constructor named 'cosine' is already registered \(by lrlib\.schedules"):
        lrlib.constructor(cosine)
    assert lrlib.from_config({"name": "cosine", "lr": 0.1, "total_steps": 10})(5) == lrlib.cosine(0.1, 10)(5)


def test_constructor_checks_what_the_formula_function_returns():
    @lrlib.constructor
    def forgets_formulas(lr: float):
        return lambda t, xp: lr

    with pytest.raises(TypeError, match=r"forgets_formulas\(\.\.\.\) must return lrlib.Formulas"):
        forgets_formulas(0.1)


# --- PyTorch: LambdaLR, MultiplicativeLR, checkpoints -------------------------------------------------------


def test_a_callable_in_the_torch_scheduler_equals_lambda_lr_exactly():
    factor = lambda t: 0.95**t if t < 100 else 0.5 * 0.95**t  # noqa: E731
    builtin = torch_lrs(lambda opt: lr_scheduler.LambdaLR(opt, factor))
    ours = torch_lrs(lambda opt: lrlib.torch.scheduler(opt, lambda t: 0.1 * factor(t)))
    np.testing.assert_array_equal(ours, builtin)


def test_multiplicative_lr_through_the_open_contract_within_1e_6():
    factor = lambda t: 0.99 if t % 3 else 0.9  # noqa: E731
    builtin = torch_lrs(lambda opt: lr_scheduler.MultiplicativeLR(opt, factor))
    products = np.cumprod([1.0] + [factor(t) for t in range(1, STEPS + 1)])  # one step past the last read
    ours = torch_lrs(lambda opt: lrlib.torch.scheduler(opt, lambda t: 0.1 * products[t]))
    np.testing.assert_allclose(ours, builtin, rtol=1e-6)


def resume(make_schedule, split=37, total=120):
    """Train ``split`` steps, checkpoint through torch.save / torch.load(weights_only=True) into a scheduler
    built fresh with ``make_schedule()``, finish; return (uninterrupted lrs, resumed lrs)."""

    def run(sched, opt, steps):
        seen = []
        for _ in range(steps):
            seen.append([opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]])
            opt.step()
            sched.step()
        return seen

    def fresh():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        return opt, lrlib.torch.scheduler(opt, make_schedule())

    opt, sched = fresh()
    straight = run(sched, opt, total)
    opt, sched = fresh()
    first = run(sched, opt, split)
    buffer = io.BytesIO()
    torch.save(sched.state_dict(), buffer)
    buffer.seek(0)
    opt2, sched2 = fresh()
    sched2.load_state_dict(torch.load(buffer, weights_only=True))
    opt2.load_state_dict(opt.state_dict())
    return straight, first + run(sched2, opt2, total - split)


def halving_function(cycle: float) -> float:
    return 0.5 ** (cycle - 1.0)


@pytest.mark.parametrize(
    "make_schedule",
    [
        lambda: lrlib.cyclic(0.01, 0.1, 7, scale_fn=halving_function, base_momentum=0.8, max_momentum=0.9),
        lambda: lrlib.cyclic(0.01, 0.1, 7, scale_fn=Halving(0.7), base_momentum=0.8, max_momentum=0.9),
        lambda: lrlib.warmup(inverse_sqrt, 5),
    ],
    ids=["scale_fn function", "scale_fn object", "plain callable"],
)
def test_schedules_with_callables_checkpoint_and_resume_bit_for_bit(make_schedule):
    straight, resumed = resume(make_schedule)
    assert resumed == straight


def test_a_callable_objects_state_is_saved_and_restored_as_torch_cyclic_lr_does():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    saved = lrlib.torch.scheduler(opt, lrlib.cyclic(0.01, 0.1, 5, scale_fn=Halving(0.25)))
    state = saved.state_dict()
    assert state["schedules"][0]["scale_fn"] == {"callable": f"{__name__}.Halving", "state": {"base": 0.25}}
    torch_state = lr_scheduler.CyclicLR(opt, 0.01, 0.1, 5, scale_fn=Halving(0.25)).state_dict()
    assert torch_state["_scale_fn_custom"] == {"base": 0.25}  # the same convention

    target = Halving(0.5)
    loaded = lrlib.torch.scheduler(opt, lrlib.cyclic(0.01, 0.1, 5, scale_fn=target))
    loaded.load_state_dict(state)
    assert target.base == 0.25 and loaded.schedules[0].lr(12.0) == saved.schedules[0].lr(12.0)


def test_loading_callables_into_a_scheduler_with_other_code_says_what_to_do():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    state = lrlib.torch.scheduler(opt, lrlib.warmup(inverse_sqrt, 5)).state_dict()
    assert state["schedules"][0]["schedule"]["lr"] == {"callable": f"{__name__}.inverse_sqrt", "state": None}
    other = lrlib.torch.scheduler(opt, lrlib.warmup(d2l_factor, 5))
    with pytest.raises(ValueError, match=r"holds Python callables.* build the scheduler with the same schedule"):
        other.load_state_dict(state)
