"""Does the range test's suggestion land in the good band of LRs, on tasks it was designed on and on others?

Eighteen small offline tasks, split once, before any rule was designed or tuned on them:

- ``DESIGN``: the ten tasks of ``bench_lr_find.py``, on which ``half_descent`` was chosen;
- ``HELD_OUT``: eight tasks written for this benchmark, with other data, optimizers (Nesterov, AdamW),
  batch sizes (8 to 128), budgets (3 to 40 epochs) and a CNN with batch normalisation. They are looked at
  only to report; no task moves between the halves.

For every task and seed (5 by default):

1. ground truth: train at every LR of a log grid (4 per decade, 1e-4 to 10) with a constant LR for the
   task's budget; the *good band* is every grid LR whose mean (over seeds) last-epoch validation loss is
   within 10% of the best one, widened by half a grid step on each side;
2. one ``lrlib.torch.lr_find`` sweep with the library's defaults from the seed's initial weights (its curve
   is stored, so every rule is scored on the same sweeps), and torch-lr-finder 0.2.2's pick.

``collect`` measures and writes a JSON file; ``report`` reads it and prints, per half and method: the tasks
whose median suggestion over the seeds lies in the band, the seeds in band, the mean ``|log10(suggested /
best)|`` and the validation loss at the suggestion relative to the best (the ground truth's mean curve,
interpolated in log LR between grid points; infinite where a neighbouring grid LR diverged).

    OMP_NUM_THREADS=1 python benchmarks/bench_lr_suggestion.py collect --json build/lr_suggestion.json  # 852 s, loaded machine
    python benchmarks/bench_lr_suggestion.py report --json build/lr_suggestion.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bench_lr_find import TASKS as DESIGN
from bench_lr_find import Batches, Task, _split, digits_flat, digits_images, initial_model, mlp, train_constant
from bench_lr_find import breast_cancer, diabetes, friedman, sweep_torch_lr_finder
from lrlib.lr_finder import RULES, RangeTestResult, _finite_length, _trim, half_descent, zero_lag_smooth
from lrlib.torch import lr_find

HALF_STEP = 10 ** (1 / 8)  # half a grid step: 4 grid points per decade

# --------------------------------------------------------------------------- the held-out tasks


def iris() -> tuple[torch.Tensor, ...]:
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    return _split(x, y, torch.long, standardize_y=False)


def moons() -> tuple[torch.Tensor, ...]:
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=1000, noise=0.25, random_state=0)
    return _split(x, y, torch.long, standardize_y=False)


def blobs20() -> tuple[torch.Tensor, ...]:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=1500, n_features=20, n_informative=8, n_classes=3, random_state=0)
    return _split(x, y, torch.long, standardize_y=False)


def bn_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1),
        nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 10),
    )  # fmt: skip


def bn_regressor() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 1))


def nesterov(params, lr):
    return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)


def adamw(params, lr):
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)


def momentum_sgd(params, lr):
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def plain_sgd(params, lr):
    return torch.optim.SGD(params, lr=lr)


def rms(params, lr):
    return torch.optim.RMSprop(params, lr=lr)


def adam(params, lr):
    return torch.optim.Adam(params, lr=lr)


CE, MSE, BCE = nn.CrossEntropyLoss(), nn.MSELoss(), nn.BCEWithLogitsLoss()
HELD_OUT = [
    Task("iris MLP, Nesterov", iris, mlp([4, 32, 3]), nesterov, CE, epochs=40, batch_size=16),
    Task("moons MLP, AdamW", moons, mlp([2, 32, 32, 2]), adamw, CE, epochs=10),
    Task("digits BN-CNN, SGD+momentum, batch 128", digits_images, bn_cnn, momentum_sgd, CE, epochs=8,
         batch_size=128),
    Task("3-class make_classification MLP, RMSprop, batch 64", blobs20, mlp([20, 64, 3]), rms, CE, epochs=6,
         batch_size=64),
    Task("diabetes MLP, SGD+momentum (MSE)", diabetes, mlp([10, 32, 1]), momentum_sgd, MSE, epochs=15),
    Task("friedman BN-MLP, Adam (MSE), batch 64", friedman, bn_regressor, adam, MSE, epochs=8, batch_size=64),
    Task("breast cancer MLP, Adam (BCE)", breast_cancer, mlp([30, 16, 1]), adam, BCE, epochs=4, batch_size=16),
    Task("digits MLP, SGD, batch 8", digits_flat, mlp([64, 32, 10]), plain_sgd, CE, epochs=3, batch_size=8),
]
HALVES = {"design": DESIGN, "held-out": HELD_OUT}

# --------------------------------------------------------------------------- collect


def optimizer_facts(optimizer: torch.optim.Optimizer, task: Task, steps_per_epoch: int) -> dict:
    """What a suggestion rule may know besides the curve: optimizer family, momentum, budget."""
    group = optimizer.param_groups[0]
    momentum = group.get("momentum", group.get("betas", (0.0,))[0])
    return {"optimizer": type(optimizer).__name__, "momentum": float(momentum or 0.0),
            "nesterov": bool(group.get("nesterov", False)), "epochs": task.epochs,
            "steps_per_epoch": steps_per_epoch, "batch_size": task.batch_size}


def collect_task(task: Task, seeds: list[int]) -> dict:
    start = time.perf_counter()
    data = task.data()
    grid = task.grid_lrs()
    truth = [[train_constant(task, data, s, float(lr)) for lr in grid] for s in seeds]
    sweeps, tlf = [], []
    for s in seeds:
        model = initial_model(task, s)
        opt = task.optimizer(list(model.parameters()), 1e-3)
        batches = Batches(data[0], data[1], task.batch_size, s)
        sweep_start = time.perf_counter()
        result = lr_find(model, task.loss_fn, opt, batches, progress=False)
        sweeps.append({"result": result.to_dict(), "seconds": time.perf_counter() - sweep_start,
                       "facts": optimizer_facts(opt, task, len(batches))})
        tlf.append(sweep_torch_lr_finder(task, data, s)[0])
    print(f"  {task.name}: {time.perf_counter() - start:.0f} s", flush=True)
    return {"task": task.name, "grid": grid.tolist(), "truth": truth, "sweeps": sweeps, "torch-lr-finder": tlf}


def collect(seeds: list[int], only: str | None) -> dict:
    report: dict = {"seeds": seeds, "halves": {}}
    for half, tasks in HALVES.items():
        chosen = [t for t in tasks if not only or only.lower() in t.name.lower()]
        print(f"{half}: {len(chosen)} tasks", flush=True)
        report["halves"][half] = [collect_task(task, seeds) for task in chosen]
    return report

# --------------------------------------------------------------------------- score


def band(task: dict) -> tuple[float, float, float, np.ndarray]:
    """(best LR, band low, band high, mean validation loss per grid LR) of a collected task."""
    grid = np.array(task["grid"])
    mean = np.array(task["truth"], float).mean(0)
    best = int(np.argmin(mean))
    good = grid[mean <= mean[best] * 1.1]
    return float(grid[best]), float(good.min()) / HALF_STEP, float(good.max()) * HALF_STEP, mean


def loss_at(lr: float, grid: np.ndarray, mean: np.ndarray) -> float:
    """The mean validation loss at `lr`, interpolated in log LR; inf when a neighbouring grid LR diverged."""
    x = np.log(grid)
    i = int(np.clip(np.searchsorted(x, math.log(lr)), 1, len(x) - 1))
    lo, hi = mean[i - 1], mean[i]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return math.inf
    w = float(np.clip((math.log(lr) - x[i - 1]) / (x[i] - x[i - 1]), 0.0, 1.0))
    return float(lo + w * (hi - lo))


def blend(result: RangeTestResult, facts: dict, weight: float = 0.7, offset: float = -0.15) -> float | None:
    """A candidate rule: ``log10(lr) = weight * log10(half_descent) + (1 - weight) * log10(bottom) + offset``.

    ``bottom`` is the LR at the minimum of the zero-lag smoothed curve (after the first tenth). `weight` and
    `offset` were fitted on the design half alone (grid search minimising the mean |log10(suggested / best)|);
    per-optimizer-family offsets fitted the same way did better on the design half and worse on the held-out
    one, so they are not used.
    """
    n = _finite_length(result.losses, result.smoothed)
    lrs, losses = result.lrs[:n], result.losses[:n]
    descent = half_descent(lrs, losses, result.smoothed[:n])
    trimmed_lrs, curve = _trim(lrs, zero_lag_smooth(lrs, losses), n // 10, 0)
    if descent is None or not len(curve):
        return None
    bottom = float(trimmed_lrs[int(np.argmin(curve))])
    return float(10 ** (weight * math.log10(descent) + (1 - weight) * math.log10(bottom) + offset))


# Suggestion methods being measured besides lrlib's rules: name -> f(result, facts) -> LR or None.
CANDIDATES: dict = {"blend (candidate)": blend}


def pick(sweep: dict, method: str) -> float | None:
    result = RangeTestResult.from_dict(sweep["result"])
    return result.suggestions[method] if method in RULES else CANDIDATES[method](result, sweep["facts"])


def picks(task: dict, method: str) -> list[float | None]:
    if method == "torch-lr-finder":
        return task["torch-lr-finder"]
    return [pick(sweep, method) for sweep in task["sweeps"]]


def score(task: dict, method: str) -> dict:
    best, lo, hi, mean = band(task)
    grid = np.array(task["grid"])
    lrs = picks(task, method)
    found = [lr for lr in lrs if lr is not None]
    if not found:
        return {"in_band": False, "seeds_in": 0, "n": len(lrs), "log_err": math.inf, "val": math.inf}
    median = float(np.median(found))
    return {
        "in_band": lo <= median <= hi,
        "seeds_in": sum(lo <= lr <= hi for lr in found),
        "n": len(lrs),
        "log_err": float(np.mean([abs(math.log10(lr / best)) for lr in found])),
        "val": float(np.mean([loss_at(lr, grid, mean) for lr in found])) / float(mean.min()),
    }


def methods() -> list[str]:
    return list(RULES) + list(CANDIDATES) + ["torch-lr-finder"]


def table(tasks: list[dict]) -> str:
    lines = ["| method | tasks in band | seeds in band | mean abs log10(suggested / best) | val loss at it / best "
             "(geo-mean) |", "|---|---|---|---|---|"]
    for method in methods():
        scores = [score(t, method) for t in tasks]
        vals = [s["val"] for s in scores]
        geo = math.exp(np.mean(np.log(vals))) if all(np.isfinite(vals)) else math.inf
        lines.append(
            f"| {method} | {sum(s['in_band'] for s in scores)}/{len(scores)} | "
            f"{sum(s['seeds_in'] for s in scores)}/{sum(s['n'] for s in scores)} | "
            f"{np.mean([s['log_err'] for s in scores]):.2f} | {geo:.2f}x |"
        )
    return "\n".join(lines)


def detail(tasks: list[dict]) -> str:
    lines = ["| task | best LR (band) | " + " | ".join(methods()) + " |", "|---" * (2 + len(methods())) + "|"]
    for task in tasks:
        best, lo, hi, _ = band(task)
        cells = []
        for method in methods():
            found = [lr for lr in picks(task, method) if lr is not None]
            median = float(np.median(found)) if found else math.nan
            mark = "" if lo <= median <= hi else " *"
            cells.append(f"{median / best:.2g}x{mark}")
        lines.append(f"| {task['task']} | {best:.2g} ({lo:.2g}-{hi:.2g}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(collected: dict) -> str:
    out = [f"seeds {collected['seeds']}; methods: lrlib rules {list(RULES)}, torch-lr-finder 0.2.2"]
    for half, tasks in collected["halves"].items():
        out += ["", f"## {half} ({len(tasks)} tasks)", "", table(tasks), "",
                "Median suggestion over seeds / best LR (* outside the band):", "", detail(tasks)]
    sweep_s = [s["seconds"] for tasks in collected["halves"].values() for t in tasks for s in t["sweeps"]]
    out += ["", f"one lrlib sweep: {np.median(sweep_s):.2f} s median wall time"]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="collect", choices=["collect", "report"],
                        help="collect: measure, write --json and report (default; ~15 min on one core); "
                        "report: print the tables of an earlier collect")
    parser.add_argument("--json", type=Path, default=Path("build/lr_suggestion.json"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--tasks", help="collect only the tasks whose name contains this text")
    args = parser.parse_args()
    if args.command == "collect":
        torch.set_num_threads(1)
        with contextlib.redirect_stderr(io.StringIO()):
            collected = collect(list(range(args.first_seed, args.first_seed + args.seeds)), args.tasks)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(collected))
    print(report(json.loads(args.json.read_text())))


if __name__ == "__main__":
    main()
