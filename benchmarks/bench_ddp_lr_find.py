"""Do the ranks of a DDP job agree on lr_find? Per-rank steps and suggestions, or the hang, on 2 gloo processes.

Usage: ``PYTHONPATH=. python benchmarks/bench_ddp_lr_find.py``. Each rank sweeps a DDP model on its own
shard of digits (the job of ``tests/_ddp.py``), for two sweeps (the tests' short one, and lr_find's
default 1e-7..10 over 100 steps), without and with the divergence stop. A job that does not end within
TIMEOUT seconds is reported as a hang (the ranks stopped at different steps and one waits in DDP's
all-reduce). Point PYTHONPATH at an older checkout to measure its lrlib.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import torch._dynamo  # noqa: E402, F401  (before TensorFlow, see tests/conftest.py)

import _ddp  # noqa: E402
import lrlib  # noqa: E402

TIMEOUT = 240.0  # a healthy job takes 50-90 s on a 2-core machine shared with other work
SWEEPS = {"tests' sweep": None, "default sweep": dict(start_lr=1e-7, end_lr=10.0, num_iter=100)}


def main() -> None:
    print(f"lrlib from {Path(lrlib.__file__).parent}")
    for name, options in SWEEPS.items():
        for diverge in (None, 1.0):
            start = time.monotonic()
            try:
                ranks = _ddp.launch(_ddp.sweep, diverge, False, options, timeout=TIMEOUT)
            except _ddp.Hang as hang:
                outcome = f"HANG ({hang})"
            else:
                outcome = "; ".join(
                    f"rank {rank}: {r['steps']} steps, suggestion {r['suggestion']:.4g}" for rank, r in enumerate(ranks)
                )
            print(f"{name}, diverge={diverge}: {outcome} [{time.monotonic() - start:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
