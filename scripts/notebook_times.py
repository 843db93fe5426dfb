"""Execute every course notebook in a fresh kernel and print how long each one took.

The course promises that each chapter runs in under a minute on a laptop CPU; this script measures it (the
closing note quotes its output). It runs the notebooks the way a learner's "Restart and run all" does, with
nbclient, each in a new kernel started in the notebook's own directory, and reports wall time per notebook,
solutions notebooks included. Nothing is written back: the notebooks stay clean in git.

    python scripts/notebook_times.py                     # every notebooks/**/*.ipynb
    python scripts/notebook_times.py notebooks/0[1-3]*.ipynb --limit 60 --json times.json

Exit status: 0 when every notebook ran (and, with --limit, each within the limit), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "notebooks"


@dataclass
class Timing:
    """One notebook's run: its path, wall seconds, and the error that stopped it (None when it ran clean)."""

    notebook: str
    seconds: float
    error: str | None = None


def find_notebooks(paths: list[str]) -> list[Path]:
    """The notebooks named by `paths` (files or directories searched recursively), sorted, without checkpoints."""
    found: set[Path] = set()
    for raw in paths or [str(DEFAULT_DIR)]:
        path = Path(raw)
        if path.is_dir():
            found.update(path.rglob("*.ipynb"))
        elif path.suffix == ".ipynb" and path.exists():
            found.add(path)
        else:
            raise FileNotFoundError(f"no notebook or directory at {raw}")
    return sorted(p for p in found if ".ipynb_checkpoints" not in p.parts)


def run_notebook(path: Path, timeout: int, kernel: str | None) -> Timing:
    """Execute `path` in a fresh kernel (cwd = its folder) and time it, kernel start-up included; errors are
    reported, not raised."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    options = {"kernel_name": kernel} if kernel else {}
    client = NotebookClient(notebook, timeout=timeout, resources={"metadata": {"path": str(path.parent)}}, **options)
    start = time.perf_counter()
    try:
        client.execute()
        error = None
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = _first_line(exc)
    return Timing(_display_path(path), time.perf_counter() - start, error)


def _first_line(exc: Exception) -> str:
    """The line of a cell error that names the exception, without terminal colour codes."""
    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line]
    return (errors[-1] if errors else (lines[-1] if lines else type(exc).__name__))[:200]


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def report(timings: list[Timing], limit: float | None) -> str:
    """A plain-text table: notebook, seconds, and OK / FAILED / OVER LIMIT."""
    width = max(len(t.notebook) for t in timings)
    lines = [f"{'notebook':{width}s}  {'seconds':>8s}  status"]
    for t in timings:
        status = "FAILED: " + t.error if t.error else ("OVER LIMIT" if limit and t.seconds > limit else "ok")
        lines.append(f"{t.notebook:{width}s}  {t.seconds:8.1f}  {status}")
    lines.append(f"{'total':{width}s}  {sum(t.seconds for t in timings):8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or directories (default: notebooks/)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may take (default 600)")
    parser.add_argument("--limit", type=float, help="flag (and fail on) notebooks slower than this many seconds")
    parser.add_argument("--kernel", help="kernel name (default: the one in each notebook's metadata)")
    parser.add_argument("--json", type=Path, help="also write the timings to this JSON file")
    args = parser.parse_args(argv)
    if args.timeout < 1 or (args.limit is not None and args.limit <= 0):
        parser.error("--timeout must be >= 1 and --limit > 0")
    notebooks = find_notebooks(args.paths)
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    timings = []
    for path in notebooks:
        timing = run_notebook(path, args.timeout, args.kernel)
        print(f"{timing.notebook}: {timing.seconds:.1f} s{' FAILED' if timing.error else ''}", file=sys.stderr,
              flush=True)
        timings.append(timing)
    print(report(timings, args.limit))
    if args.json:
        args.json.write_text(json.dumps([asdict(t) for t in timings], indent=2) + "\n")
    slow = args.limit is not None and any(t.seconds > args.limit for t in timings)
    return 1 if slow or any(t.error for t in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
