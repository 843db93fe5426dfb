"""`make lab` is the learner's command: it starts (as root too), prints its URL and opens on notebooks/.

The command is started exactly as `make lab` runs it, with only the port set and the browser left closed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from _chapters import KERNEL, KERNEL_DISPLAY_NAME, ROOT, chapters
from _server import start


def test_make_lab_runs_scripts_lab_sh() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lab: .*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe and "scripts/lab.sh" in recipe.group(1), "make lab no longer runs scripts/lab.sh"


@pytest.fixture(scope="module")
def learner_lab(scratch: Path):
    """scripts/lab.sh on notebooks/ itself (no kernel is started, so nothing there changes)."""
    lab = start(scratch / "learner")
    yield lab
    lab.stop()


def test_learner_lab_prints_url_and_serves_notebooks(learner_lab) -> None:
    assert learner_lab.url.startswith(learner_lab.base + "/lab?token=")  # start() read it from the log
    listed = {entry["name"] for entry in learner_lab.api("GET", "contents").json()["content"]}
    assert set(chapters()) <= listed, f"make lab does not open on notebooks/ (it lists {sorted(listed)})"
    specs = learner_lab.api("GET", "kernelspecs").json()
    assert specs["default"] == KERNEL
    assert specs["kernelspecs"][KERNEL]["spec"]["display_name"] == KERNEL_DISPLAY_NAME


@pytest.mark.skipif(os.geteuid() != 0, reason="run as root to check that make lab starts as root")
def test_learner_lab_starts_as_root(learner_lab) -> None:
    status = Path(f"/proc/{learner_lab.process.pid}/status").read_text()
    assert re.search(r"^Uid:\s+0\s", status, re.MULTILINE), "the server is not running as root"
    assert learner_lab.process.poll() is None, learner_lab.log_tail()


