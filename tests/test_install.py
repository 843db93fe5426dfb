"""lrlib installs alone: the wheel pulls no framework, and an adapter whose framework is missing says which
extra to install. Builds the wheel and installs it into a fresh virtual environment (about 40 s, from the
package index pip is configured with)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "tensorflow", "keras", "torchvision")
CLEAN = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # see only the installed lrlib

CHECK = """
import importlib, sys, lrlib
assert abs(lrlib.cosine(0.1, 10)(5) - 0.05) < 1e-12
for adapter, extra in (("torch", "torch"), ("keras", "keras")):
    module = importlib.import_module("lrlib." + adapter)
    try:
        getattr(module, "scheduler" if adapter == "torch" else "ScheduleCallback")
    except ImportError as error:
        assert "pip install 'lrlib[%s]'" % extra in str(error), error
    else:
        raise AssertionError("lrlib.%s worked without its framework" % adapter)
heavy = [m for m in FRAMEWORKS if m in sys.modules]
assert not heavy, heavy
print("ok")
"""


def pip(*args: str, python: Path | None = None) -> subprocess.CompletedProcess:
    target = ["--python", str(python)] if python else []
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *target, *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=CLEAN, timeout=600)


def test_the_wheel_installs_into_a_clean_venv_without_any_framework(tmp_path):
    pip("wheel", "--no-deps", "--no-build-isolation", "-q", str(ROOT), "-w", str(tmp_path / "dist"))
    wheel = next((tmp_path / "dist").glob("lrlib-*.whl"))
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    pip("install", "-q", str(wheel), python=python)
    installed = {line.split("==")[0] for line in pip("list", "--format=freeze", python=python).stdout.lower().split()}
    assert not installed & set(FRAMEWORKS), installed
    code = f"FRAMEWORKS = {FRAMEWORKS!r}\n{CHECK}"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=CLEAN, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    typed = subprocess.run(
        [str(python), "-c", "import importlib.resources as r; print(r.files('lrlib').joinpath('py.typed').is_file())"],
        capture_output=True, text=True, cwd=tmp_path, env=CLEAN, timeout=60,
    )  # fmt: skip
    assert typed.stdout.strip() == "True"
