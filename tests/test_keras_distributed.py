"""Keras's range test under ``tf.distribute.MirroredStrategy`` on two logical CPU devices.

MirroredStrategy is one process driving several devices: ``fit`` reports the loss over the global batch,
so the one callback takes its decisions on the global curve. What can go wrong is the state: a variable
has one copy per replica, and the sweep must set the LR and restore every copy, not only the first.
The runs happen in a subprocess (``tests/_keras_mirrored.py``) because logical devices can be configured
only before TensorFlow initialises.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "_keras_mirrored.py"
TIMEOUT = 300  # seconds; the script took 45-115 s on a 2-core machine shared with other work


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("mirrored") / "runs.json"
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, timeout=TIMEOUT)
    return json.loads(out.read_text())


@pytest.mark.parametrize("mode", ["train", "val"])
def test_mirrored_sweep_equals_the_single_device_sweep(runs, mode):
    """Two replicas of half a batch each compute what one device computes on the whole batch."""
    single, mirrored = runs[f"single-{mode}"], runs[f"mirrored-{mode}"]
    assert mirrored["replicas"] == 2 and single["replicas"] == 1
    assert mirrored["diverged"] and len(mirrored["losses"]) == len(single["losses"])
    np.testing.assert_allclose(mirrored["losses"], single["losses"], rtol=1e-4)
    assert mirrored["suggestion"] == single["suggestion"] is not None


@pytest.mark.parametrize("mode", ["train", "val"])
def test_mirrored_sweep_restores_every_replica(runs, mode):
    assert runs[f"mirrored-{mode}"]["restored"] and runs[f"single-{mode}"]["restored"]
