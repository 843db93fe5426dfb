"""The linear scaling rule and gradual warm-up (Goyal et al. 2017) with DistributedDataParallel on digits.

With k processes that each read a batch of b examples, one optimizer step averages the gradient over
k * b examples: the batch is k times larger and an epoch has k times fewer steps. The linear scaling rule
multiplies the learning rate by the same factor; a warm-up ramps it up over the first steps, when the
weights change fastest. This script trains one small network on scikit-learn's digits (offline) with

- ``reference``: one process, batch `--base-batch`, LR `--base-lr` (rank 0 alone runs it);
- ``same_lr``: every process, global batch ``world_size * --batch-size``, LR `--base-lr`;
- ``scaled``: the same with the LR scaled by ``k = global batch / --base-batch``;
- ``scaled_warmup``: the scaled LR reached by a linear warm-up over `--warmup-epochs` epochs;

every run a cosine decay to 0 over `--epochs` epochs, and writes (rank 0) one JSON object per seed and
run to `--out`: the training loss at each step (the mean over the processes), the test loss and accuracy.

Run it on one machine with two processes::

    torchrun --nproc_per_node 2 -m lrlib.course.ddp_warmup --seeds 0 1 2 --out runs.json

The same code runs across machines: start on every machine (here 2 machines of 2 processes each)::

    torchrun --nnodes 2 --nproc_per_node 2 --rdzv-backend c10d --rdzv-endpoint HOST:29400 \\
        --rdzv-id warmup -m lrlib.course.ddp_warmup --seeds 0 1 2 --out runs.json

where HOST is the address of one of them; torchrun gives each process its RANK and WORLD_SIZE.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import lrlib
import lrlib.course.data
import lrlib.torch

RUNS = ("reference", "same_lr", "scaled", "scaled_warmup")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--base-lr", type=float, default=0.05, help="the LR that suits --base-batch")
    parser.add_argument("--base-batch", type=int, default=16, help="the batch of the reference run")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per process and step")
    parser.add_argument("--warmup-epochs", type=float, default=1.0)
    parser.add_argument("--out", default="ddp_warmup.json")
    args = parser.parse_args(argv)
    for name in ("epochs", "base_batch", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not args.base_lr > 0 or args.warmup_epochs < 0:
        parser.error("--base-lr must be > 0 and --warmup-epochs >= 0")
    return args


def network(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def schedule(run: str, args: argparse.Namespace, scale: float, steps_per_epoch: int) -> lrlib.Schedule:
    """The LR of `run` at each step: a cosine decay, from the scaled LR, after a warm-up for scaled_warmup."""
    total = args.epochs * steps_per_epoch
    peak = args.base_lr * (scale if run.startswith("scaled") else 1.0)
    if run != "scaled_warmup":
        return lrlib.cosine(peak, total)
    warmup = round(args.warmup_epochs * steps_per_epoch)
    return lrlib.cosine(peak, total, warmup_steps=warmup, warmup_start_lr=args.base_lr)


def train(run: str, args: argparse.Namespace, seed: int, data: TensorDataset, test: TensorDataset) -> dict:
    """One run; every process takes part except in the reference, which runs in this process alone."""
    distributed = run != "reference"
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    batch = args.batch_size if distributed else args.base_batch
    sampler: DistributedSampler[tuple[torch.Tensor, ...]]
    sampler = DistributedSampler(data, world, rank, shuffle=True, seed=seed, drop_last=True)
    loader = DataLoader(data, batch_size=batch, sampler=sampler, drop_last=True)
    model = network(seed)
    if distributed:
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.base_lr, momentum=0.9)
    lrs = schedule(run, args, world * batch / args.base_batch, len(loader))
    scheduler = lrlib.torch.scheduler(optimizer, lrs)
    losses = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(_mean_over_processes(loss.detach().clone()) if distributed else float(loss))
    test_loss, accuracy = _evaluate(model, test)
    return {"run": run, "seed": seed, "processes": world, "global_batch": world * batch,
            "peak_lr": max(lrs(i) for i in range(len(losses))), "steps": len(losses), "losses": losses,
            "test_loss": test_loss, "test_accuracy": accuracy}


def _mean_over_processes(value: torch.Tensor) -> float:
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return float(value) / dist.get_world_size()


def _evaluate(model: nn.Module, test: TensorDataset) -> tuple[float, float]:
    with torch.no_grad():
        logits = model(test.tensors[0])
    labels = test.tensors[1]
    loss = float(nn.functional.cross_entropy(logits, labels))
    return (loss if np.isfinite(loss) else float("inf")), float((logits.argmax(1) == labels).float().mean())


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    torch.set_num_threads(1)
    dist.init_process_group("gloo")  # RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT come from torchrun
    rank = dist.get_rank()
    (x, y), (x_test, y_test) = lrlib.course.data.load("digits", framework="numpy", layout="NCHW")
    data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    test = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    results = []
    for seed in args.seeds:
        for run in RUNS:
            if run != "reference" or rank == 0:
                results.append(train(run, args, seed, data, test))
            dist.barrier()
    if rank == 0:
        with open(args.out, "w") as f:
            json.dump(results, f)
        for r in results:
            print(f"seed {r['seed']} {r['run']:>13}: {r['processes']} process(es), batch {r['global_batch']}, "
                  f"peak LR {r['peak_lr']:.3g}, {r['steps']} steps, test loss {r['test_loss']:.4f}, "
                  f"accuracy {r['test_accuracy']:.3f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
