"""A d2l-style training loop (``train_ch6`` of the d2l book, as in its learning-rate-scheduling chapter),
generalised to every kind of learning-rate schedule the course uses.

`train` accepts a built-in ``torch.optim.lr_scheduler`` scheduler (ReduceLROnPlateau included), an lrlib
schedule, or any callable ``t -> lr``, stepped per epoch or per batch. It shows a progress bar and a plot
that updates live in JupyterLab and is drawn once when nobody watches (nbval, the website, a script), and
returns a `History` of per-epoch (optionally per-batch) metrics and learning rates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from lrlib.course import _display

_PER = ("epoch", "batch")
_MONITORS = ("train_loss", "train_acc", "test_loss", "test_acc")


def device() -> torch.device:
    """The fastest available device: CUDA, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


_auto_device = device  # `train` has an argument called device


@dataclass
class History:
    """What `train` measured. Per epoch: train_loss, train_acc (running over the epoch, as d2l reports them),
    test_loss, test_acc (after the epoch), lr (of the first param group at the start of the epoch) and
    seconds. Per batch, when `train` was called with ``log_batches=True``: batch_loss, batch_acc, batch_lr.
    """

    per: str = "epoch"
    device: str = "cpu"
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_acc: list[float] = field(default_factory=list)
    batch_lr: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)

    @property
    def final(self) -> dict[str, float]:
        """Last epoch's train_loss, train_acc, test_loss, test_acc, lr and the train-test accuracy gap."""
        if not self.epochs:
            raise ValueError("the history is empty: no epoch was trained")
        last = {key: getattr(self, key)[-1] for key in ("train_loss", "train_acc", "test_loss", "test_acc", "lr")}
        return {**last, "gap": last["train_acc"] - last["test_acc"]}

    @property
    def best_test_acc(self) -> float:
        """Highest test accuracy over the epochs."""
        return max(self.test_acc)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild a History saved with `to_dict`."""
        return cls(**data)

    def plot(self, axes=None, *, title: str | None = None):
        """Losses and accuracies per epoch, and the LR; see `lrlib.course.history`."""
        from lrlib.course import results

        return results.history(self, axes, title=title)

    def summary(self) -> str:
        """The line d2l prints after training."""
        f = self.final
        return f"train loss {f['train_loss']:.3f}, train acc {f['train_acc']:.3f}, test acc {f['test_acc']:.3f}"

    def __repr__(self) -> str:
        if not self.epochs:
            return f"History(per={self.per!r}, epochs=0)"
        return f"History(per={self.per!r}, epochs={self.epochs}, {self.summary()}, lr {self.lr[-1]:.4g})"


def train(net: nn.Module, train_iter: Iterable, test_iter: Iterable, num_epochs: int, loss: Callable,
          optimizer: torch.optim.Optimizer, scheduler: Any = None, *, per: str = "epoch",
          device: torch.device | str | None = None, progress: bool | None = None, live_plot: bool | None = None,
          log_batches: bool = False, monitor: str | None = None, seed: int | None = None) -> History:
    """Train `net` for `num_epochs` epochs, evaluating on `test_iter` after each; returns a `History`.

    Args:
        scheduler: None (constant LR); a ``torch.optim.lr_scheduler`` scheduler built on `optimizer`, stepped
            after ``optimizer.step()`` once per epoch or batch; ``ReduceLROnPlateau``, stepped per epoch with
            the `monitor` metric; an lrlib schedule (wrapped with ``lrlib.torch.scheduler``, so its momentum,
            if any, is applied too); or any callable ``t -> lr``, whose value is set as every param group's LR
            before epoch (or batch) t. Unlike the d2l chapter's loop, which sets ``scheduler(epoch)`` after
            epoch `epoch` so that epoch t trains with ``scheduler(t - 1)``, epoch t here trains with
            ``scheduler(t)``, the same convention as PyTorch's schedulers and lrlib's schedules.
        per: "epoch" or "batch": what t counts (batches are counted across epochs).
        device: where to train; default `device()` (CUDA, MPS or CPU). The net is moved there.
        progress: a tqdm progress bar; default when someone watches (a live notebook or a terminal).
        live_plot: plot the history as it grows; default in notebooks. Redrawn each epoch under a live front
            end, drawn once at the end otherwise (nbval, the website, scripts).
        log_batches: also record the loss, accuracy and LR of every batch.
        monitor: the metric ReduceLROnPlateau watches: train_loss, train_acc, test_loss or test_acc; default
            test_loss for ``mode="min"`` and test_acc for ``mode="max"``.
        seed: if given, seed PyTorch's global RNG and `train_iter`'s shuffling generator (when it has one) with
            it first, so that runs compared side by side see the same batches in the same order, whatever ran
            before them on the same loaders.
    """
    _check_args(num_epochs, per, monitor)
    if seed is not None:
        _seed(train_iter, seed)
    where = torch.device(device) if device is not None else _auto_device()
    net.to(where)
    record = History(per=per, device=str(where))
    live = _display.live_frontend()
    n_batches = len(train_iter)  # type: ignore[arg-type]
    loop = _Loop(net, loss, optimizer, _LRControl(optimizer, scheduler, per, monitor), record, where, log_batches,
                 _progress_bar(num_epochs * n_batches, progress, live))
    plot = _LivePlot(live) if (live_plot if live_plot is not None else _display.in_kernel()) else None
    try:
        for epoch in range(num_epochs):
            loop.train_epoch(train_iter, epoch, n_batches)
            loop.test_epoch(test_iter)
            if plot is not None:
                plot.update(record)
    finally:
        loop.close()
        if plot is not None:
            plot.finish(record)
    print(f"{record.summary()}, {_examples_per_second(train_iter, record)} on {where}")
    return record


def evaluate(net: nn.Module, data_iter: Iterable, loss: Callable,
             where: torch.device | str = "cpu") -> tuple[float, float]:
    """Mean loss and accuracy of `net` over `data_iter`, in eval mode without gradients."""
    net.eval()
    total_loss = correct = count = 0.0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(where), y.to(where)
            y_hat = net(X)
            total_loss += float(_mean(loss(y_hat, y))) * len(y)
            correct += float((y_hat.argmax(dim=1) == y).sum())
            count += len(y)
    return total_loss / count, correct / count


def holdout(train_iter: Iterable, fraction: float = 0.2, seed: int = 0,
            val_batch_size: int = 256) -> tuple[Iterable, Iterable]:
    """Split a training DataLoader's dataset into a training part and a held-out validation part.

    The split is random but fixed by `seed`; the training part keeps `train_iter`'s batch size and is
    shuffled by its own generator seeded with `seed`, the validation part is read in order.

    Args:
        train_iter: a ``torch.utils.data.DataLoader`` (or anything with ``.dataset`` and ``.batch_size``).
        fraction: share of the examples held out, in (0, 1).
        seed: seed of the split and of the training part's shuffling.
        val_batch_size: batch size of the validation loader (positive).

    Returns:
        ``(fit_iter, val_iter)``: DataLoaders over the two disjoint parts.

    Raises:
        ValueError: `fraction` outside (0, 1), a split that leaves a part empty, or a bad batch size.

    Example:
        >>> fit_iter, val_iter = holdout(train_iter, fraction=0.2, seed=0)  # doctest: +SKIP
    """
    from torch.utils.data import DataLoader, random_split

    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    if isinstance(val_batch_size, bool) or not isinstance(val_batch_size, int) or val_batch_size < 1:
        raise ValueError(f"val_batch_size must be a positive integer, got {val_batch_size!r}")
    dataset = train_iter.dataset  # type: ignore[attr-defined]
    n_val = int(len(dataset) * fraction)
    if not 0 < n_val < len(dataset):
        raise ValueError(f"fraction={fraction} of {len(dataset)} examples leaves an empty part")
    fit_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                    generator=torch.Generator().manual_seed(seed))
    fit_iter = DataLoader(fit_set, batch_size=train_iter.batch_size, shuffle=True,  # type: ignore[attr-defined]
                          generator=torch.Generator().manual_seed(seed))
    return fit_iter, DataLoader(val_set, batch_size=val_batch_size)


@dataclass
class _Loop:
    """One training run's moving parts; `train_epoch` and `test_epoch` append to `record`."""

    net: nn.Module
    loss: Callable
    optimizer: torch.optim.Optimizer
    control: _LRControl
    record: History
    where: torch.device
    log_batches: bool
    bar: Any

    def train_epoch(self, train_iter: Iterable, epoch: int, n_batches: int) -> None:
        self.net.train()
        start = time.perf_counter()
        total_loss = correct = count = 0.0
        self.control.before(epoch, "epoch")
        self.record.lr.append(self.optimizer.param_groups[0]["lr"])
        for i, (X, y) in enumerate(train_iter):
            self.control.before(epoch * n_batches + i, "batch")
            loss, hits = self._train_batch(X.to(self.where), y.to(self.where))
            total_loss, correct, count = total_loss + loss * len(y), correct + hits, count + len(y)
        self.record.train_loss.append(total_loss / count)
        self.record.train_acc.append(correct / count)
        self.record.seconds.append(time.perf_counter() - start)

    def _train_batch(self, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.zero_grad()
        y_hat = self.net(X)
        batch_loss = _mean(self.loss(y_hat, y))
        batch_loss.backward()
        self.optimizer.step()
        self.control.after_batch()
        with torch.no_grad():
            loss, hits = float(batch_loss), float((y_hat.argmax(dim=1) == y).sum())
        if self.log_batches:
            self.record.batch_loss.append(loss)
            self.record.batch_acc.append(hits / len(y))
            self.record.batch_lr.append(lr)
        if self.bar is not None:
            self.bar.update(1)
        return loss, hits

    def test_epoch(self, test_iter: Iterable) -> None:
        test_loss, test_acc = evaluate(self.net, test_iter, self.loss, self.where)
        self.record.test_loss.append(test_loss)
        self.record.test_acc.append(test_acc)
        self.control.after_epoch(self.record)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{self.record.train_loss[-1]:.3f}", test_acc=f"{test_acc:.3f}",
                                 lr=f"{self.record.lr[-1]:.3g}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _LRControl:
    """Applies one scheduler of any supported kind at the right moments of the loop."""

    def __init__(self, optimizer, scheduler, per: str, monitor: str | None):
        self.optimizer, self.per, self.torch_scheduler, self.function = optimizer, per, None, None
        scheduler = _wrap_lrlib_schedule(optimizer, scheduler)
        if scheduler is None:
            return
        if isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
            if scheduler.optimizer is not optimizer:
                raise ValueError("scheduler was built on a different optimizer than the one passed to train()")
            if isinstance(scheduler, ReduceLROnPlateau) and per != "epoch":
                raise ValueError("ReduceLROnPlateau needs per='epoch': it reacts to a metric measured per epoch")
            self.torch_scheduler = scheduler
        elif callable(scheduler):
            self.function = scheduler
        else:
            raise TypeError(f"scheduler must be a torch LR scheduler, an lrlib schedule or a callable t -> lr, "
                            f"got {type(scheduler).__name__}")
        self.monitor = monitor or ("test_acc" if getattr(scheduler, "mode", "min") == "max" else "test_loss")

    def before(self, t: int, unit: str) -> None:
        """Set the LR of step t from a callable schedule."""
        if self.function is None or unit != self.per:
            return
        lr = float(self.function(t))
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"scheduler({t}) returned {lr}; a learning rate must be finite and >= 0")
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def after_batch(self) -> None:
        if self.torch_scheduler is not None and self.per == "batch":
            self.torch_scheduler.step()

    def after_epoch(self, record: History) -> None:
        if self.torch_scheduler is None or self.per != "epoch":
            return
        if isinstance(self.torch_scheduler, ReduceLROnPlateau):
            self.torch_scheduler.step(getattr(record, self.monitor)[-1])
        else:
            self.torch_scheduler.step()


def _wrap_lrlib_schedule(optimizer, scheduler):
    """An lrlib schedule becomes ``lrlib.torch.scheduler(optimizer, schedule)`` once that adapter exists."""
    from lrlib.schedules import Schedule

    if not isinstance(scheduler, Schedule):
        return scheduler
    try:
        from lrlib.torch import scheduler as adapter
    except (ImportError, AttributeError):
        return scheduler  # used as a plain callable t -> lr
    return adapter(optimizer, scheduler)


def _seed(train_iter: Iterable, seed: int) -> None:
    torch.manual_seed(seed)
    generator = getattr(train_iter, "generator", None)
    if isinstance(generator, torch.Generator):
        generator.manual_seed(seed)


def _check_args(num_epochs: int, per: str, monitor: str | None) -> None:
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive integer, got {num_epochs!r}")
    if per not in _PER:
        raise ValueError(f"per must be one of {_PER}, got {per!r}")
    if monitor is not None and monitor not in _MONITORS:
        raise ValueError(f"monitor must be one of {_MONITORS}, got {monitor!r}")


def _mean(value: torch.Tensor) -> torch.Tensor:
    """The batch loss as a scalar, whether `loss` reduces (the default) or not (``reduction='none'``)."""
    return value.mean() if value.ndim else value


def _examples_per_second(train_iter, record: History) -> str:
    dataset = getattr(train_iter, "dataset", None)
    if dataset is None or not sum(record.seconds):
        return f"{sum(record.seconds):.1f} s"
    return f"{len(dataset) * record.epochs / sum(record.seconds):,.0f} examples/s"


def _progress_bar(total: int, progress: bool | None, live: bool):
    import sys

    if progress is None:
        progress = live or sys.stderr.isatty()
    if not progress:
        return None
    if live:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, unit="batch", leave=False)


class _LivePlot:
    """The history's figure: redrawn in place each epoch under a live front end, else drawn once at the end."""

    def __init__(self, live: bool):
        self.live, self.fig, self.handle = live, None, None

    def update(self, record: History) -> None:
        if not self.live:
            return
        from IPython.display import display

        fig = self._draw(record)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)

    def finish(self, record: History) -> None:
        if not record.epochs:
            return
        if self.live:
            import matplotlib.pyplot as plt

            plt.close(self.fig)  # already on screen; closing stops the inline backend showing it twice
        else:
            _display.show_static(self._draw(record))

    def _draw(self, record: History):
        if self.fig is None:
            self.fig = record.plot()[0].figure
        else:
            for ax in self.fig.axes:
                ax.clear()
            record.plot(self.fig.axes)
        return self.fig
