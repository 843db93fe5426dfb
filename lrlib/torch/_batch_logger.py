"""Per-batch logging for PyTorch training: ``BatchLogger(optimizer)`` fills a :class:`lrlib.batch_log.BatchLog`.

PyTorch has no training callbacks, so the logger hooks the optimizer: a step pre-hook notes the LR and
momentum each ``optimizer.step()`` uses, and the training loop hands over the loss with ``logger(loss)``.
Reading the LR at step time, not when the loss is logged, keeps the row right even when a scheduler's
``step()`` has already moved the LR on.
"""

from __future__ import annotations

from typing import Any

import torch

from lrlib.batch_log import BatchLog


def group_momentum(group: dict[str, Any]) -> float | None:
    """The momentum of a parameter group: ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam family), else None."""
    if "betas" in group:
        return float(group["betas"][0])
    if "momentum" in group:
        return float(group["momentum"])
    return None


class BatchLogger:
    """Log step, epoch, LR, loss and momentum of every batch of a PyTorch training loop.

    Use it like this::

        logger = BatchLogger(optimizer)
        for epoch in range(epochs):
            for x, y in loader:
                optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()
                logger(loss, epoch=epoch)
        logger.log.save("run.csv")

    `group` selects the parameter group whose LR and momentum are logged. ``step`` counts every
    ``optimizer.step()`` since the logger was made (after the rows already in `log`), so a loop that logs every
    other step leaves gaps, as `lrlib.batch_log` describes. Call :meth:`close` (or use the logger as a context
    manager) to remove the optimizer hook.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, log: BatchLog | None = None, group: int = 0) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if not 0 <= group < len(optimizer.param_groups):
            raise ValueError(f"group must be in [0, {len(optimizer.param_groups)}), got {group!r}")
        self.optimizer, self.group = optimizer, group
        self.log = BatchLog() if log is None else log
        self._next_step = self.log.next_step
        self._pending: tuple[int, float, float | None] | None = None
        self._hook = optimizer.register_step_pre_hook(self._before_step)

    def _before_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        group = optimizer.param_groups[self.group]
        self._pending = (self._next_step, float(group["lr"]), group_momentum(group))
        self._next_step += 1

    def __call__(self, loss: float | torch.Tensor, epoch: int = 0, **metrics: float) -> None:
        """Record the batch just trained: its `loss` with the LR and momentum its optimizer step used."""
        if self._pending is None:
            raise RuntimeError("no optimizer.step() since the last logged batch: call the logger after the step")
        step, lr, momentum = self._pending
        loss = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        self.log.append(step=step, epoch=epoch, lr=lr, loss=loss, momentum=momentum, **metrics)
        self._pending = None

    def close(self) -> None:
        """Remove the optimizer hook; the log stays."""
        self._hook.remove()

    def __enter__(self) -> BatchLogger:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
