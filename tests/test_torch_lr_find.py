"""``lrlib.torch.lr_find``: bit-for-bit restore on every way out, data handling, options, errors; BatchLogger."""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from lrlib.batch_log import BatchLog  # noqa: E402
from lrlib.lr_finder import RULES, Sweep, sweep_lrs  # noqa: E402
from lrlib.torch import BatchLogger, lr_find  # noqa: E402

# --------------------------------------------------------------------------- fixtures


def make_model() -> nn.Module:
    """Parameters, persistent buffers (BatchNorm running stats), a non-persistent buffer and dropout."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    model.register_buffer("scratch", torch.arange(3.0), persistent=False)
    return model


def make_batches(n: int = 8, batch_size: int = 8, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(batch_size, 6, generator=g), torch.randint(0, 3, (batch_size,), generator=g)) for _ in range(n)
    ]


OPTIMIZERS = {
    "sgd-momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
    "adamw-amsgrad": lambda p: torch.optim.AdamW(p, lr=1e-3, amsgrad=True),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5),
}


def trained(opt_name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A model and optimizer with real state: a few steps taken (momentum buffers, Adam moments, BN stats),
    gradients left in place, the model in eval mode."""
    model = make_model()
    opt = OPTIMIZERS[opt_name](model.parameters())
    for x, y in make_batches(3, seed=9):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    return model, opt


def snapshot(model: nn.Module, opt: torch.optim.Optimizer) -> dict:
    return {
        "tensors": {k: t.detach().clone() for k, t in [*model.named_parameters(), *model.named_buffers()]},
        "grads": {k: None if p.grad is None else p.grad.clone() for k, p in model.named_parameters()},
        "modes": [m.training for m in model.modules()],
        "opt": copy.deepcopy(opt.state_dict()),
        "rng": torch.random.get_rng_state(),
    }


def _same(a, b) -> bool:
    """Exact equality of nested optimizer state (tensors compared with torch.equal, dtype included)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def assert_restored(model: nn.Module, opt: torch.optim.Optimizer, before: dict) -> None:
    after = snapshot(model, opt)
    assert after["tensors"].keys() == before["tensors"].keys()
    for name, t in before["tensors"].items():
        assert torch.equal(after["tensors"][name], t), f"{name} changed"
    for name, g in before["grads"].items():
        assert (g is None) == (after["grads"][name] is None) and (g is None or torch.equal(after["grads"][name], g))
    assert after["modes"] == before["modes"], "train/eval flags changed"
    assert _same(after["opt"], before["opt"]), "optimizer state changed"
    assert torch.equal(after["rng"], before["rng"]), "torch RNG state changed"


class Counting:
    """A re-iterable loader that counts the batches handed out."""

    def __init__(self, batches: list) -> None:
        self.batches, self.count = batches, 0

    def __iter__(self):
        for b in self.batches:
            self.count += 1
            yield b


class FailingLoss:
    """Cross-entropy that fails at call number `at` (1-based), by returning `value` or raising `error`."""

    def __init__(self, at: int, value: float | None = None, error: BaseException | None = None) -> None:
        self.at, self.value, self.error, self.calls = at, value, error, 0

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        loss = nn.functional.cross_entropy(out, y)
        if self.calls >= self.at:
            if self.error is not None:
                raise self.error
            return loss * 0 + self.value
        return loss


# --------------------------------------------------------------------------- restore on every path


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_normal_sweep_restores_everything(opt_name):
    model, opt = trained(opt_name)
    before = snapshot(model, opt)
    result = lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), 1e-5, 1e-1, 30, progress=False)
    assert len(result.lrs) == 30 and not result.diverged
    assert_restored(model, opt, before)


@pytest.mark.parametrize("opt_name", ["sgd-momentum", "adam"])
@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_sweep_stopped_by_a_non_finite_loss_restores_everything(opt_name, bad):
    model, opt = trained(opt_name)
    before = snapshot(model, opt)
    result = lr_find(model, FailingLoss(at=12, value=bad), opt, make_batches(), 1e-5, 1e-1, 30, progress=False)
    assert result.diverged and len(result.lrs) == 12
    assert_restored(model, opt, before)


def test_sweep_that_really_diverges_restores_everything():
    model, opt = trained("sgd-momentum")
    before = snapshot(model, opt)
    result = lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), 1e-4, 1e4, 100, progress=False)
    assert result.diverged and len(result.lrs) < 100
    assert_restored(model, opt, before)


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_exception_and_keyboard_interrupt_restore_everything(error):
    model, opt = trained("adam")
    before = snapshot(model, opt)
    with pytest.raises(type(error)):
        lr_find(model, FailingLoss(at=7, error=error), opt, make_batches(), 1e-5, 1e-1, 30, progress=False)
    assert_restored(model, opt, before)


def test_nan_at_the_first_step_is_an_error_and_restores_everything():
    # The first optimizer step has already written NaN into the weights when the loss is checked.
    model, opt = trained("sgd-momentum")
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match="first step"):
        lr_find(model, FailingLoss(at=1, value=math.nan), opt, make_batches(), progress=False)
    assert_restored(model, opt, before)


def test_fresh_optimizer_gets_no_state_from_the_sweep():
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), 1e-5, 1e-1, 20, progress=False)
    assert len(opt.state) == 0 and all(p.grad is None for p in model.parameters())
    assert [g["lr"] for g in opt.param_groups] == [0.1]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, match",
    [({"start_lr": 1.0, "end_lr": 1.0}, "end_lr"), ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr"),
     ({"num_iter": 5}, "num_iter"), ({"accumulation_steps": 0}, "accumulation_steps"),
     ({"validation_batches": 0}, "validation_batches")],
)
def test_bad_arguments_are_errors_and_change_nothing(kwargs, match):
    model, opt = trained("adam")
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match=match):
        lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), **kwargs, progress=False)
    assert_restored(model, opt, before)


def test_a_sweep_shortcut_replaces_only_its_field():
    model, opt = trained("sgd-momentum")
    sweep = Sweep(1e-5, 1e-1, 50, smooth=0.5, diverge=None, rule="steepest")
    result = lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), num_iter=12, sweep=sweep, progress=False)
    np.testing.assert_allclose(result.lrs, sweep_lrs(1e-5, 1e-1, 12))
    assert result.rule == "steepest" and len(result.lrs) == 12
    with pytest.raises(ValueError, match="rule must be one of"):
        Sweep(rule="nope")


def test_empty_loader_is_an_error_and_restores_everything():
    model, opt = trained("sgd-momentum")
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match="empty"):
        lr_find(model, nn.CrossEntropyLoss(), opt, [], progress=False)
    with pytest.raises(ValueError, match="empty"):
        lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), validation_data=[], progress=False)
    assert_restored(model, opt, before)


def test_model_without_trainable_parameters_is_an_error():
    model, opt = trained("adam")
    for p in model.parameters():
        p.requires_grad_(False)
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match="trainable"):
        lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), progress=False)
    assert_restored(model, opt, before)


def test_a_batch_that_is_not_inputs_and_targets_asks_for_a_hook():
    model, opt = trained("adam")
    before = snapshot(model, opt)
    with pytest.raises(TypeError, match="batch_fn"):
        lr_find(model, nn.CrossEntropyLoss(), opt, [{"x": x, "y": y} for x, y in make_batches()], progress=False)
    assert_restored(model, opt, before)


def test_a_non_scalar_loss_is_an_error():
    model, opt = trained("adam")
    with pytest.raises(ValueError, match="single value"):
        lr_find(model, nn.CrossEntropyLoss(reduction="none"), opt, make_batches(), progress=False)


def test_one_shot_iterator_shorter_than_the_sweep_is_a_clear_error():
    model, opt = trained("adam")
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match="one-shot"):
        lr_find(model, nn.CrossEntropyLoss(), opt, iter(make_batches(5)), num_iter=20, progress=False)
    assert_restored(model, opt, before)


# --------------------------------------------------------------------------- data and options


def test_a_loader_shorter_than_the_sweep_is_cycled():
    model, opt = trained("adam")
    loader = Counting(make_batches(3))
    result = lr_find(model, nn.CrossEntropyLoss(), opt, loader, 1e-6, 1e-3, 20, progress=False)
    assert len(result.lrs) == 20 and loader.count == 20


def test_every_param_group_trains_with_the_sweep_lr():
    model = make_model()
    opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[4].parameters(), "lr": 1.0}], lr=0.1)
    seen = []

    def step_fn(m, batch):
        seen.append([g["lr"] for g in opt.param_groups])
        return nn.functional.cross_entropy(m(batch[0]), batch[1])

    lr_find(model, None, opt, make_batches(), 1e-5, 1e-2, 15, step_fn=step_fn, progress=False)
    np.testing.assert_allclose(seen, np.repeat(sweep_lrs(1e-5, 1e-2, 15)[:, None], 2, axis=1), rtol=1e-12)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]


def _reference_losses(model: nn.Module, batches: list, lrs: np.ndarray, accumulation: int) -> list[float]:
    """Plain SGD (no momentum) by hand on a copy: the mean loss of each group of `accumulation` batches
    and one update with the mean gradient: what lr_find must record."""
    model = copy.deepcopy(model).train()
    losses, it = [], iter(batches)
    for lr in lrs:
        group = [next(it) for _ in range(accumulation)]
        model.zero_grad()
        values = []
        for x, y in group:
            loss = nn.functional.cross_entropy(model(x), y)
            (loss / accumulation).backward()
            values.append(float(loss.detach()))
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(sum(values) / accumulation)
    return losses


@pytest.mark.parametrize("accumulation", [1, 3])
def test_recorded_losses_match_a_hand_written_sgd_loop(accumulation):
    model = make_model()
    model[3].p = 0.0  # no dropout, so the reference sees the same forward passes
    batches = make_batches(30)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = Counting(batches)
    result = lr_find(model, nn.CrossEntropyLoss(), opt, loader, 1e-3, 1.0, 10, sweep=Sweep(diverge=None),
                     accumulation_steps=accumulation, progress=False)
    assert loader.count == 10 * accumulation
    expected = _reference_losses(model, batches, sweep_lrs(1e-3, 1.0, 10), accumulation)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-5)


def test_batch_fn_reads_dict_batches():
    model, opt = trained("adam")
    before = snapshot(model, opt)
    dicts = [{"features": x, "label": y} for x, y in make_batches()]
    result = lr_find(model, nn.CrossEntropyLoss(), opt, dicts, 1e-5, 1e-2, 12,
                     batch_fn=lambda b: (b["features"], b["label"]), progress=False)
    assert len(result.lrs) == 12 and np.isfinite(result.losses).all()
    assert_restored(model, opt, before)


def test_step_fn_replaces_forward_and_loss():
    model, opt = trained("adam")
    calls = []

    def step_fn(m, batch):
        calls.append(m.training)
        x, y, weight = batch
        return (nn.functional.cross_entropy(m(x), y, reduction="none") * weight).mean()

    batches = [(x, y, torch.ones(len(y))) for x, y in make_batches()]
    result = lr_find(model, None, opt, batches, 1e-5, 1e-2, 12, step_fn=step_fn, progress=False)
    assert len(result.lrs) == 12 and calls == [True] * 12


def test_autocast_runs_the_forward_pass_in_bfloat16_and_restores_everything():
    model, opt = trained("adam")
    before = snapshot(model, opt)
    dtypes = []

    def loss_fn(out, y):
        dtypes.append(out.dtype)
        return nn.functional.cross_entropy(out.float(), y)

    result = lr_find(model, loss_fn, opt, make_batches(), 1e-5, 1e-2, 12, autocast=torch.bfloat16, progress=False)
    assert dtypes == [torch.bfloat16] * 12 and np.isfinite(result.losses).all()
    assert_restored(model, opt, before)


def test_float16_with_a_grad_scaler_uses_the_scaler_and_restores_it():
    model, opt = trained("sgd-momentum")
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2)
    before, scaler_before = snapshot(model, opt), scaler.state_dict()
    scales = []

    def loss_fn(out, y):
        scales.append(scaler.get_scale())
        return nn.functional.cross_entropy(out.float(), y)

    lr_find(model, loss_fn, opt, make_batches(), 1e-5, 1e-2, 12, autocast=torch.float16, grad_scaler=scaler,
            progress=False)
    assert max(scales) > scales[0]  # the scaler grew during the sweep: it was stepped
    assert scaler.state_dict() == scaler_before
    assert_restored(model, opt, before)


def test_validation_mode_evaluates_fixed_val_batches_in_eval_mode_and_never_runs_dry():
    model, opt = trained("sgd-momentum")
    before = snapshot(model, opt)
    val = Counting(make_batches(2, seed=5))
    modes = []

    def loss_fn(out, y):
        modes.append(model.training)
        return nn.functional.cross_entropy(out, y)

    result = lr_find(model, loss_fn, opt, make_batches(), 1e-5, 1e-2, 25, validation_data=val, validation_batches=4,
                     progress=False)
    assert len(result.lrs) == 25 and val.count == 2  # read once, evaluated 25 times
    assert modes == [True, False, False] * 25  # one training batch, then both val batches in eval mode
    assert_restored(model, opt, before)


def test_validation_loss_is_the_mean_over_the_val_batches():
    model = make_model()
    model[3].p = 0.0  # no dropout, so the reference sees the same forward pass
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    val = make_batches(3, seed=5)
    train = make_batches(10)
    result = lr_find(model, nn.CrossEntropyLoss(), opt, train, 1e-3, 1e-1, 10, validation_data=val,
                     validation_batches=2, sweep=Sweep(diverge=None), progress=False)
    # reference: after the first step (lr 1e-3, plain SGD), the mean eval loss on the first two val batches
    reference = copy.deepcopy(model).train()
    reference.zero_grad()
    nn.functional.cross_entropy(reference(train[0][0]), train[0][1]).backward()
    with torch.no_grad():
        for p in reference.parameters():
            p -= 1e-3 * p.grad
        reference.eval()
        expected = sum(float(nn.functional.cross_entropy(reference(x), y)) for x, y in val[:2]) / 2
    assert result.losses[0] == pytest.approx(expected, rel=1e-6)


def test_progress_bar_can_be_turned_off(capsys):
    model, opt = trained("adam")
    lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), 1e-5, 1e-2, 12, progress=False)
    assert capsys.readouterr().err == ""
    lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), 1e-5, 1e-2, 12, progress=True)
    assert "lr_find" in capsys.readouterr().err


def test_no_files_are_written_even_in_a_read_only_working_directory(tmp_path, monkeypatch):
    ro = tmp_path / "read-only"
    ro.mkdir()
    ro.chmod(0o555)
    monkeypatch.chdir(ro)
    try:
        model, opt = trained("sgd-momentum")
        before = snapshot(model, opt)
        result = lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), 1e-4, 1e4, 100, progress=False)
        assert result.diverged
        assert_restored(model, opt, before)
        assert os.listdir(ro) == []
    finally:
        ro.chmod(0o755)


def test_result_carries_every_rule_and_the_chosen_one():
    model, opt = trained("sgd-momentum")
    result = lr_find(model, nn.CrossEntropyLoss(), opt, make_batches(), sweep=Sweep(rule="min_div_10"), progress=False)
    assert set(result.suggestions) == set(RULES) and result.rule == "min_div_10"
    assert result.suggestion == result.suggestions["min_div_10"]


# --------------------------------------------------------------------------- BatchLogger


def test_batch_logger_records_the_lr_and_momentum_each_step_used():
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=12)  # cycles momentum too
    expected_lr, expected_momentum, losses = [], [], []
    with BatchLogger(opt) as logger:
        for step, (x, y) in enumerate(make_batches(12)):
            expected_lr.append(opt.param_groups[0]["lr"])
            expected_momentum.append(opt.param_groups[0]["momentum"])
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()  # moves the LR on before the logger is called: the row must keep the used LR
            logger(loss, epoch=step // 4)
            losses.append(float(loss.detach()))
    log = logger.log
    np.testing.assert_array_equal(log.lrs, expected_lr)
    np.testing.assert_array_equal(log.momenta, expected_momentum)
    np.testing.assert_array_equal(log.losses, losses)
    np.testing.assert_array_equal(log.steps, np.arange(12))
    np.testing.assert_array_equal(log.epochs, np.arange(12) // 4)
    assert len(set(expected_momentum)) > 2


def test_batch_logger_reads_adams_beta1_as_momentum_and_saves_to_csv(tmp_path):
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.85, 0.99))
    logger = BatchLogger(opt)
    for x, y in make_batches(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        logger(loss, accuracy=0.5)
    logger.close()
    path = tmp_path / "run.csv"
    logger.log.save(path)
    again = BatchLog.load(path)
    assert again == logger.log and list(again.momenta) == [0.85] * 3 and list(again.column("accuracy")) == [0.5] * 3


def test_batch_logger_counts_every_optimizer_step_and_continues_a_log():
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    earlier = BatchLog()
    earlier.append(step=4, epoch=0, lr=0.1, loss=1.0)
    logger = BatchLogger(opt, log=earlier)
    for i, (x, y) in enumerate(make_batches(6)):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i % 2 == 1:  # a loop that logs every other step
            logger(loss, epoch=1)
    np.testing.assert_array_equal(logger.log.steps, [4, 6, 8, 10])  # as lrlib.batch_log numbers every recorder


def test_batch_logger_needs_a_step_between_rows():
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    logger = BatchLogger(opt)
    with pytest.raises(RuntimeError, match="step"):
        logger(1.0)
    with pytest.raises(ValueError, match="group"):
        BatchLogger(opt, group=1)
