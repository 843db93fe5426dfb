"""lrlib.torch.scheduler against PyTorch's built-in schedulers: LRs per param group, momentum, resume, bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

import lrlib
import lrlib.torch

sys.path.insert(0, str(Path(__file__).parent))
import _torch_resume as resume_run  # noqa: E402

GROUP_LRS = (0.1, 0.02)


def optimizer_with_two_groups(optimizer=torch.optim.SGD, lrs=GROUP_LRS, **kwargs):
    params = [torch.zeros(2, requires_grad=True) for _ in lrs]
    return optimizer([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], **kwargs)


def momenta(optimizer):
    return [group["betas"][0] if "betas" in group else group["momentum"] for group in optimizer.param_groups]


def run_side_by_side(make_builtin, schedules, steps, optimizer=torch.optim.SGD, **kwargs):
    """Step a built-in scheduler and lrlib's on twin optimizers; return both records of (lrs, momenta, last_lr)."""
    records = []
    for make in (make_builtin, lambda opt: lrlib.torch.scheduler(opt, schedules)):
        opt = optimizer_with_two_groups(optimizer, **kwargs)
        sched = make(opt)
        record = []
        for _ in range(steps):
            record.append([g["lr"] for g in opt.param_groups] + momenta(opt) + list(sched.get_last_lr()))
            opt.step()
            sched.step()
        records.append(np.array(record))
    return records


BUILTINS = [
    (lambda o: lr_scheduler.StepLR(o, 7, 0.5), lambda lr: lrlib.step(lr, 7, 0.5)),
    (lambda o: lr_scheduler.MultiStepLR(o, [10, 40, 90], 0.3), lambda lr: lrlib.multistep(lr, [10, 40, 90], 0.3)),
    (lambda o: lr_scheduler.ExponentialLR(o, 0.97), lambda lr: lrlib.exponential(lr, 0.97)),
    (lambda o: lr_scheduler.PolynomialLR(o, 80, 2.0), lambda lr: lrlib.polynomial(lr, 80, 2.0)),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 150, 1e-4), lambda lr: lrlib.cosine(lr, 150, 1e-4)),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 9, 2, 1e-4), lambda lr: lrlib.cosine_restarts(lr, 9, 2, 1e-4)),
]


@pytest.mark.parametrize(("make_builtin", "make_schedule"), BUILTINS, ids=["step", "multistep", "exp", "poly", "cos", "sgdr"])
def test_one_schedule_per_group_equals_the_builtin_on_every_group(make_builtin, make_schedule):
    builtin, ours = run_side_by_side(make_builtin, [make_schedule(lr) for lr in GROUP_LRS], 150, momentum=0.9)
    np.testing.assert_allclose(ours, builtin, rtol=1e-6, atol=1e-15)


def test_one_schedule_is_shared_by_every_group():
    opt = optimizer_with_two_groups()
    sched = lrlib.torch.scheduler(opt, lrlib.cosine(0.5, 10))
    assert sched.get_last_lr() == [0.5, 0.5]
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [lrlib.cosine(0.5, 10)(1)] * 2


def test_construction_sets_step_zero_like_a_builtin():
    opt = optimizer_with_two_groups()
    schedules = [lrlib.warmup(lrlib.cosine(0.1, 50), 5, 0.01), lrlib.exponential(0.3, 0.9)]
    sched = lrlib.torch.scheduler(opt, schedules)
    assert isinstance(sched, lr_scheduler.LRScheduler) and isinstance(sched, lrlib.torch.ScheduleLR)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.01, 0.3]
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.3]
    assert [g["initial_lr"] for g in opt.param_groups] == list(GROUP_LRS)  # as every built-in records it


def test_stepping_in_the_documented_order_raises_no_warning():
    opt = optimizer_with_two_groups()
    sched = lrlib.torch.scheduler(opt, lrlib.cosine(0.1, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(10):
            opt.step()
            sched.step()


ONE_CYCLE_ARGS = dict(pct_start=0.25, div_factor=10.0, final_div_factor=100.0, base_momentum=0.8, max_momentum=0.93)


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize(
    ("optimizer", "kwargs"),
    [(torch.optim.SGD, {"momentum": 0.9}), (torch.optim.SGD, {}), (torch.optim.Adam, {}), (torch.optim.AdamW, {})],
    ids=["sgd", "sgd-momentum-0", "adam", "adamw"],
)
def test_momentum_is_driven_exactly_like_one_cycle_lr(optimizer, kwargs, three_phase):
    """LRs and momenta (SGD momentum, Adam betas[0]) per step and per group. Like OneCycleLR, an SGD built with
    momentum=0 gets the schedule's momentum."""
    max_lrs, total = [0.5, 0.05], 120

    def builtin(opt):
        return lr_scheduler.OneCycleLR(opt, max_lrs, total, three_phase=three_phase, **ONE_CYCLE_ARGS)

    schedules = [lrlib.one_cycle(lr, total, three_phase=three_phase, **ONE_CYCLE_ARGS) for lr in max_lrs]
    expected, actual = run_side_by_side(builtin, schedules, total, optimizer, **kwargs)
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-15)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_momentum_is_driven_exactly_like_cyclic_lr(mode):
    gamma = 0.99 if mode == "exp_range" else 1.0
    momentum = dict(base_momentum=0.8, max_momentum=0.9)

    def builtin(opt):
        return lr_scheduler.CyclicLR(opt, [0.01, 0.001], [0.1, 0.05], 6, 9, mode, gamma, **momentum)

    schedules = [lrlib.cyclic(0.01, 0.1, 6, 9, mode, gamma, **momentum), lrlib.cyclic(0.001, 0.05, 6, 9, mode, gamma, **momentum)]
    expected, actual = run_side_by_side(builtin, schedules, 100, momentum=0.9)
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-15)


def test_cycle_momentum_false_leaves_momentum_alone():
    opt = optimizer_with_two_groups(torch.optim.Adam, betas=(0.7, 0.99))
    sched = lrlib.torch.scheduler(opt, lrlib.one_cycle(0.1, 20), cycle_momentum=False)
    for _ in range(5):
        opt.step()
        sched.step()
    assert [g["betas"] for g in opt.param_groups] == [(0.7, 0.99)] * 2


def test_a_group_without_momentum_schedule_keeps_its_momentum():
    opt = optimizer_with_two_groups(momentum=0.5)
    one_cycle = lrlib.one_cycle(0.1, 20)
    sched = lrlib.torch.scheduler(opt, [one_cycle, lrlib.cosine(0.1, 20)])
    for t in range(1, 6):
        opt.step()
        sched.step()
        assert momenta(opt) == [one_cycle.momentum(t), 0.5]


def test_momentum_schedule_on_an_optimizer_without_momentum_raises_and_changes_nothing():
    opt = optimizer_with_two_groups(torch.optim.Adagrad)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match=r"Adagrad has neither 'momentum' nor 'betas'.*cycle_momentum=False"):
        lrlib.torch.scheduler(opt, lrlib.one_cycle(0.1, 20))
    assert [dict(g) for g in opt.param_groups] == before
    lrlib.torch.scheduler(opt, lrlib.one_cycle(0.1, 20), cycle_momentum=False)  # the LR alone is fine
    lrlib.torch.scheduler(opt, lrlib.cosine(0.1, 20))


@pytest.mark.parametrize(
    ("schedule", "error", "message"),
    [
        ([lrlib.cosine(0.1, 5)] * 3, ValueError, r"one Schedule or a list of 2 \(one per param group\), got 3"),
        ([], ValueError, r"a list of 2 .* got 0"),
        (0.1, TypeError, r"schedule must be a schedule: an lrlib schedule .* or any callable step -> lr"),
        ([lrlib.cosine(0.1, 5), 0.1], TypeError, r"schedule\[1\] must be a schedule"),
    ],
)
def test_bad_schedules_raise_and_leave_the_optimizer_alone(schedule, error, message):
    opt = optimizer_with_two_groups()
    with pytest.raises(error, match=message):
        lrlib.torch.scheduler(opt, schedule)
    assert [g["lr"] for g in opt.param_groups] == list(GROUP_LRS) and "initial_lr" not in opt.param_groups[0]


def test_cycle_momentum_must_be_a_bool():
    with pytest.raises(TypeError, match="cycle_momentum must be a bool"):
        lrlib.torch.scheduler(optimizer_with_two_groups(), lrlib.one_cycle(0.1, 20), cycle_momentum="yes")


def test_state_dict_holds_schedules_as_json_configs_not_callables():
    opt = optimizer_with_two_groups()
    schedules = resume_run.schedules()
    state = lrlib.torch.scheduler(opt, schedules).state_dict()
    assert [lrlib.from_config(json.loads(json.dumps(c))) for c in state["schedules"]] == schedules
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)  # plain containers only: loads without unpickling code


def uninterrupted_and_checkpoint():
    model, optimizer, sched = resume_run.build(resume_run.schedules())
    before = resume_run.train(model, optimizer, sched, 0, resume_run.CHECKPOINT_STEP)
    buffer = io.BytesIO()
    torch.save(resume_run.checkpoint(model, optimizer, sched), buffer)
    after = resume_run.train(model, optimizer, sched, resume_run.CHECKPOINT_STEP, resume_run.TOTAL_STEPS)
    return before + after, model, sched, buffer.getvalue()


def test_resume_from_state_dict_bytes_is_bit_identical():
    seen, model, sched, checkpoint = uninterrupted_and_checkpoint()
    resumed_model, optimizer, resumed = resume_run.resume(torch.load(io.BytesIO(checkpoint), weights_only=True))
    resumed_seen = resume_run.train(resumed_model, optimizer, resumed, resume_run.CHECKPOINT_STEP, resume_run.TOTAL_STEPS)
    assert resumed_seen == seen[resume_run.CHECKPOINT_STEP :] and resumed.get_last_lr() == sched.get_last_lr()
    assert resumed.schedules == resume_run.schedules()
    for name, tensor in model.state_dict().items():
        assert torch.equal(resumed_model.state_dict()[name], tensor)


def test_resume_in_a_fresh_process_is_bit_identical(tmp_path):
    seen, model, sched, checkpoint = uninterrupted_and_checkpoint()
    (tmp_path / "checkpoint.pt").write_bytes(checkpoint)
    script = Path(__file__).parent / "_torch_resume.py"
    subprocess.run(
        [sys.executable, str(script), str(tmp_path / "checkpoint.pt"), str(tmp_path / "result.pt")],
        check=True,
        # A clean environment, except that the child imports the lrlib under test (a worktree's, not the venv's).
        env={"OMP_NUM_THREADS": "1", "PATH": "", "PYTHONPATH": str(Path(lrlib.__file__).parents[1])},
        timeout=300,
    )
    result = torch.load(tmp_path / "result.pt", weights_only=True)
    assert result["seen"] == seen[resume_run.CHECKPOINT_STEP :] and result["last_lr"] == sched.get_last_lr()
    for name, tensor in model.state_dict().items():
        assert torch.equal(result["model"][name], tensor)
