"""Speed of lrlib's schedules: the PyTorch adapter's step, ``import lrlib``, and vectorized evaluation.

Run: ``.venv/bin/python benchmarks/bench_schedules.py``. Prints

(a) the per-step cost of ``lrlib.torch.scheduler(opt, lrlib.cosine(...)).step()`` next to
    ``CosineAnnealingLR.step()`` in the same run, and their ratio (target <= 1.5);
(b) the time of ``import lrlib`` in a fresh interpreter, median of several (target <= 100 ms), and of
    importing it and evaluating a first schedule (which loads numpy);
(c) the time to evaluate a million steps of several schedules at once.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import timeit

import numpy as np

import lrlib

STEPS = 20_000
REPEATS = 7


def build(make_scheduler, groups: int):
    """``make_scheduler`` on a fresh SGD optimizer with ``groups`` param groups, ready to step."""
    import torch

    optimizer = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(groups)], lr=0.1)
    sched = make_scheduler(optimizer)
    optimizer.step()  # the documented order; schedulers warn if they step before the optimizer ever did
    return sched


def per_step_microseconds(makers: dict, groups: int) -> dict:
    """Best-of-REPEATS cost of one ``step()`` for each scheduler, timed in turns so that load on this shared
    machine hits every contender alike."""
    scheds = {name: build(make, groups) for name, make in makers.items()}
    best = dict.fromkeys(makers, float("inf"))
    for _ in range(REPEATS):
        for name, sched in scheds.items():
            best[name] = min(best[name], timeit.timeit(sched.step, number=STEPS) / STEPS * 1e6)
    return best


def bench_torch_step() -> None:
    import torch
    from torch.optim import lr_scheduler

    import lrlib.torch

    torch.set_num_threads(1)
    total = STEPS * (REPEATS + 1)  # long enough that no timed step reaches the end of the schedule
    print(f"(a) per-step cost of scheduler.step() on SGD (best of {REPEATS} x {STEPS} steps, timed in turns)")
    for groups in (1, 4):
        makers = {
            "torch CosineAnnealingLR": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=1e-4),
            "lrlib scheduler(opt, cosine)": lambda opt: lrlib.torch.scheduler(opt, lrlib.cosine(0.1, total, 1e-4)),
        }
        if groups > 1:
            per_group = [lrlib.cosine(0.1 * (i + 1), total, 1e-4) for i in range(groups)]
            makers[f"lrlib scheduler(opt, [{groups} cosines])"] = lambda opt: lrlib.torch.scheduler(opt, per_group)
        costs = per_step_microseconds(makers, groups)
        builtin = costs.pop("torch CosineAnnealingLR")
        print(f"    {groups} param group(s): torch CosineAnnealingLR {builtin:6.2f} us")
        for name, cost in costs.items():
            print(f"        {name:34s} {cost:6.2f} us   ratio {cost / builtin:4.2f}  (target <= 1.5)")


def fresh_interpreter_ms(statement: str, runs: int) -> list[float]:
    """Wall time of ``statement`` in ``runs`` fresh interpreters, in milliseconds."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return [1e3 * float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)]


def bench_import(runs: int = 7) -> None:
    print(f"(b) time in a fresh interpreter (median, min, max of {runs} runs)")
    for statement in ("import lrlib", "import lrlib; lrlib.cosine(0.1, 100)(5)"):
        times = fresh_interpreter_ms(statement, runs)
        target = "  (target <= 100 ms)" if statement == "import lrlib" else "  (first schedule: loads numpy)"
        print(f"    {statement:42s} {statistics.median(times):6.1f} ms  ({min(times):.1f}, {max(times):.1f}){target}")


VECTORIZED = {
    "step": lrlib.step(0.1, 1000, 0.5),
    "multistep (3 milestones)": lrlib.multistep(0.1, [300_000, 600_000, 900_000]),
    "cosine (with warm-up)": lrlib.cosine(0.1, 1_000_000, 1e-4, warmup_steps=10_000),
    "cosine_restarts (mult 2)": lrlib.cosine_restarts(0.1, 1000, 2),
    "cyclic exp_range + momentum": lrlib.cyclic(1e-3, 0.1, 2000, mode="exp_range", gamma=0.99999, base_momentum=0.8,
                                                max_momentum=0.9),
    "one_cycle (three phase)": lrlib.one_cycle(0.1, 1_000_000, three_phase=True),
    "warmup(sequence of 3)": lrlib.warmup(
        lrlib.sequence([lrlib.constant(0.1), lrlib.cosine(0.1, 500_000), lrlib.constant(1e-4)], [200_000, 700_000]),
        5000,
    ),
}


def bench_vectorized(n: int = 1_000_000) -> None:
    steps = np.arange(n)
    print(f"(c) vectorized evaluation of {n:,} steps (best of 5)")
    for name, schedule in VECTORIZED.items():
        seconds = min(timeit.repeat(lambda: schedule(steps), number=1, repeat=5))
        print(f"    {name:30s} {seconds * 1e3:7.1f} ms")


if __name__ == "__main__":
    bench_torch_step()
    bench_import()
    bench_vectorized()
