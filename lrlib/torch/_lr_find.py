"""The LR range test for PyTorch: ``lr_find(model, loss_fn, optimizer, loader)``.

The sweep logic (LRs, smoothing, divergence stop, suggestion rules) is :class:`lrlib.lr_finder.RangeTest`;
this module only runs the training steps and guarantees that the model and optimizer come back exactly as
they were (in memory, no files), however the sweep ends.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from lrlib.lr_finder import RangeTestResult, Sweep
from lrlib.torch import _distributed

Batch = Any
LossFn = Callable[[Any, Any], torch.Tensor]


def lr_find(
    model: nn.Module,
    loss_fn: LossFn | None,
    optimizer: torch.optim.Optimizer,
    loader: Iterable[Batch],
    start_lr: float | None = None,
    end_lr: float | None = None,
    num_iter: int | None = None,
    *,
    sweep: Sweep | None = None,
    batch_fn: Callable[[Batch], tuple[Any, Any]] | None = None,
    step_fn: Callable[[nn.Module, Batch], torch.Tensor] | None = None,
    accumulation_steps: int = 1,
    autocast: torch.dtype | None = None,
    grad_scaler: torch.amp.GradScaler | None = None,
    validation_data: Iterable[Batch] | None = None,
    validation_batches: int = 5,
    progress: bool = True,
) -> RangeTestResult:
    """Run an LR range test on `model` and return its :class:`~lrlib.lr_finder.RangeTestResult`.

    Each of up to ``num_iter`` optimizer steps trains with the next LR of the `~lrlib.Sweep` ``sweep``
    (default ``lrlib.Sweep()``: 1e-7 to 10 in 100 exponential steps), set on every parameter group; the sweep
    stops early when the loss diverges. ``start_lr``, ``end_lr`` and ``num_iter``, torch-lr-finder's
    keywords, are shortcuts that replace those fields of ``sweep``.
    Afterwards the parameters, buffers, gradients and train/eval flags of `model`, the state of
    `optimizer` (and of `grad_scaler`) and the torch random-number state are exactly what they were
    before, whether the sweep finished, diverged, raised or was interrupted: the copies are kept in
    memory, nothing is written to disk.

    Batches: by default a batch is ``(inputs, targets, ...)`` and the loss is ``loss_fn(model(inputs),
    targets)``. ``batch_fn(batch) -> (inputs, targets)`` adapts other batches (dicts, ...);
    ``step_fn(model, batch) -> loss`` replaces the forward pass and loss entirely (`loss_fn` may be None).
    Tensors in a batch are moved to the device of the model's first parameter. A `loader` shorter than
    the sweep is cycled.

    `accumulation_steps` batches are accumulated per optimizer step (each loss divided by it; the recorded
    loss is their mean). `autocast` (a dtype such as ``torch.bfloat16``) runs the forward pass under
    ``torch.autocast``; pass a `grad_scaler` for float16. With `validation_data` the recorded loss is the
    mean loss on the same first `validation_batches` batches of it, evaluated after every step (Smith's
    variant: slower, less noisy), as in ``lrlib.keras.lr_find``. `progress` shows a tqdm bar (on rank 0
    only, in a process group).

    Inside a ``torch.distributed`` process group (a ``DistributedDataParallel`` job under ``torchrun``),
    call it on every rank, each with its own shard of the data: the loss recorded at each step, training
    or validation, is the mean over the ranks (one all-reduce of a scalar per step), and the divergence
    stop, the smoothing and the suggestion all read that one curve. Every rank therefore runs the same
    number of steps, stops together when the loss diverges or turns NaN on any rank, and returns the same
    result; each restores its own model, optimizer and RNG state. Each rank's mean weighs the same, as
    with ``DistributedSampler``, which gives every rank the same number of batches. An exception raised
    on one rank only (a broken batch) leaves the others waiting in the next collective until the process
    group's timeout.

    Raises ``ValueError`` for bad arguments, an empty loader, a model without trainable parameters, or a
    non-finite loss at the very first step; the state is restored in every case.
    """
    test = (sweep or Sweep()).with_shortcuts(start_lr, end_lr, num_iter).range_test()
    _check_arguments(model, loss_fn, optimizer, step_fn, accumulation_steps, validation_batches)
    device = next(model.parameters()).device
    compute_loss = _loss_computer(model, loss_fn, batch_fn, step_fn, device, autocast)
    with _restored(model, optimizer, grad_scaler):
        batches = _cycle(loader, "loader")
        val_set = None if validation_data is None else _first_batches(validation_data, validation_batches)
        model.train()
        with _progress_bar(test.num_iter, progress and _distributed.is_main()) as bar:
            for i in range(test.num_iter):
                _set_lr(optimizer, test.lr_for(i))
                loss = _train_step(model, optimizer, batches, compute_loss, accumulation_steps, grad_scaler)
                if val_set is not None:
                    loss = _evaluate(model, val_set, compute_loss)
                stop = test.record(_distributed.global_mean(loss, device))
                bar.update(1)
                if stop:
                    break
    return test.result()


# --------------------------------------------------------------------------- checks


def _check_arguments(
    model: nn.Module,
    loss_fn: LossFn | None,
    optimizer: torch.optim.Optimizer,
    step_fn: Callable | None,
    accumulation_steps: int,
    validation_batches: int,
) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model has no trainable parameters (none with requires_grad=True): nothing to sweep")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if loss_fn is None and step_fn is None:
        raise ValueError("pass loss_fn, or step_fn(model, batch) -> loss")
    if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
    if isinstance(validation_batches, bool) or not isinstance(validation_batches, int) or validation_batches < 1:
        raise ValueError(f"validation_batches must be an integer >= 1, got {validation_batches!r}")


# --------------------------------------------------------------------------- state


@contextlib.contextmanager
def _restored(
    model: nn.Module, optimizer: torch.optim.Optimizer, grad_scaler: torch.amp.GradScaler | None
) -> Iterator[None]:
    """Snapshot everything the sweep changes, in memory, and put it back on every way out of the block."""
    tensors = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    saved_tensors = {name: t.detach().clone() for name, t in tensors.items()}
    saved_grads = {name: None if p.grad is None else p.grad.detach().clone() for name, p in model.named_parameters()}
    saved_modes = [(m, m.training) for m in model.modules()]
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_scaler = copy.deepcopy(grad_scaler.state_dict()) if grad_scaler is not None else None
    saved_rng = torch.random.get_rng_state()
    saved_cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        with torch.no_grad():
            for name, t in tensors.items():
                t.copy_(saved_tensors[name])
        for name, p in model.named_parameters():
            p.grad = saved_grads[name]
        for m, training in saved_modes:
            m.training = training
        optimizer.load_state_dict(saved_optimizer)
        if grad_scaler is not None and saved_scaler is not None:
            grad_scaler.load_state_dict(saved_scaler)
        torch.random.set_rng_state(saved_rng)
        if saved_cuda_rng is not None:
            torch.cuda.set_rng_state_all(saved_cuda_rng)


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr


# --------------------------------------------------------------------------- data


def _cycle(loader: Iterable[Batch], name: str) -> Iterator[Batch]:
    """Yield the batches of `loader` forever, starting a new pass when one ends; an empty loader is an error."""
    passes = 0
    while True:
        count = 0
        for batch in loader:
            count += 1
            yield batch
        if count == 0 and passes == 0:
            raise ValueError(f"{name} yielded no batches: it is empty")
        if count == 0:
            raise ValueError(
                f"{name} ran dry after one pass: it is a one-shot iterator; pass a re-iterable loader "
                "(a DataLoader or a list) to cycle, or fewer steps (num_iter * accumulation_steps)"
            )
        passes += 1


def _first_batches(loader: Iterable[Batch], n: int) -> list[Batch]:
    """The first `n` batches of `loader` (all of them if it has fewer), held fixed for every evaluation so
    that the curve moves only because the weights do, and so that the loader can never run dry."""
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == n:
            break
    if not batches:
        raise ValueError("validation_data yielded no batches: it is empty")
    return batches


def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj if obj.device == device else obj.to(device)
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


# --------------------------------------------------------------------------- steps


def _loss_computer(
    model: nn.Module,
    loss_fn: LossFn | None,
    batch_fn: Callable[[Batch], tuple[Any, Any]] | None,
    step_fn: Callable[[nn.Module, Batch], torch.Tensor] | None,
    device: torch.device,
    autocast: torch.dtype | None,
) -> Callable[[Batch], torch.Tensor]:
    """Return ``batch -> scalar loss tensor`` for the chosen way of reading batches."""

    def forward(batch: Batch) -> torch.Tensor:
        batch = _to_device(batch, device)
        if step_fn is not None:
            return step_fn(model, batch)
        inputs, targets = batch_fn(batch) if batch_fn is not None else _inputs_and_targets(batch)
        assert loss_fn is not None  # _check_arguments asked for loss_fn when there is no step_fn
        return loss_fn(model(inputs), targets)

    def compute_loss(batch: Batch) -> torch.Tensor:
        if autocast is None:
            loss = forward(batch)
        else:
            with torch.autocast(device.type, dtype=autocast):
                loss = forward(batch)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError(
                "the loss must be a tensor with a single value (use reduction='mean'), got "
                f"{type(loss).__name__}{'' if not isinstance(loss, torch.Tensor) else tuple(loss.shape)}"
            )
        return loss

    return compute_loss


def _inputs_and_targets(batch: Batch) -> tuple[Any, Any]:
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise TypeError(
        f"a batch must be (inputs, targets, ...), got {type(batch).__name__}; "
        "pass batch_fn(batch) -> (inputs, targets) or step_fn(model, batch) -> loss"
    )


def _train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterator[Batch],
    compute_loss: Callable[[Batch], torch.Tensor],
    accumulation_steps: int,
    grad_scaler: torch.amp.GradScaler | None,
) -> float:
    """One optimizer step over `accumulation_steps` batches; return their mean loss."""
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for _ in range(accumulation_steps):
        loss = compute_loss(next(batches))
        scaled = loss / accumulation_steps if accumulation_steps > 1 else loss  # no extra autograd node
        (grad_scaler.scale(scaled) if grad_scaler is not None else scaled).backward()
        total += float(loss.detach())
    if grad_scaler is not None:
        grad_scaler.step(optimizer)
        grad_scaler.update()
    else:
        optimizer.step()
    return total / accumulation_steps


def _evaluate(model: nn.Module, batches: list[Batch], compute_loss: Callable[[Batch], torch.Tensor]) -> float:
    """Mean loss over `batches` in eval mode without gradients; the model goes back to train mode."""
    model.eval()
    try:
        with torch.no_grad():
            return sum(float(compute_loss(b)) for b in batches) / len(batches)
    finally:
        model.train()


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="lr_find", unit="step", disable=not enabled, leave=False)
