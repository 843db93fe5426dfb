"""lrlib.keras on Keras 3's PyTorch backend, in a fresh process where TensorFlow cannot be imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("keras")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


def test_every_keras_adapter_works_on_the_torch_backend_without_tensorflow():
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "_keras_backend_check.py")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout + result.stderr
