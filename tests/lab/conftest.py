"""The JupyterLab tests: every chapter run through JupyterLab's UI in headless Chromium.

They start a JupyterLab server and a browser and take many minutes, so they stay out of the default
``pytest tests/`` run: scripts/lab_test.sh (``make lab-test``) runs them with LRLIB_LAB_SCRATCH set to a scratch
directory it removes afterwards, together with any process left behind that names it.

The server serves a copy of notebooks/ in the scratch directory, so nothing a run does (outputs, autosaves,
files a notebook writes) reaches the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from _chapters import KERNEL, KERNEL_DISPLAY_NAME, NOTEBOOKS, ROOT, chapters, explorer_chapter
from _jupyterlab import JupyterLab, Run
from _server import LabServer, start
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

HERE = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts" / "lab"
# Seconds one chapter may take from "Restart Kernel and Run All Cells" to idle. Generous, because the machine
# may be shared; a chapter that hangs still fails within this bound.
RUN_TIMEOUT = float(os.environ.get("LRLIB_LAB_TIMEOUT", 900))
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in item.path.parents]
    if not os.environ.get("LRLIB_LAB_SCRATCH"):
        skip = pytest.mark.skip(reason="JupyterLab tests: run scripts/lab_test.sh (make lab-test)")
        for item in ours:
            item.add_marker(skip)
        return
    # The slider test reuses the explorer chapter's run while its kernel is alive: run it right after that one.
    slider = next((item for item in ours if item.originalname == "test_explorer_slider_redraws_figure"), None)
    chapter = explorer_chapter()
    run = next((item for item in ours if getattr(item, "callspec", None)
                and item.callspec.params.get("chapter") == chapter), None)
    if slider is not None and run is not None:
        items.remove(slider)
        items.insert(items.index(run) + 1, slider)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", chapters())


@pytest.fixture(scope="session")
def scratch() -> Path:
    path = Path(os.environ["LRLIB_LAB_SCRATCH"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def served(scratch: Path) -> Path:
    """The directory JupyterLab serves: a copy of notebooks/ (the tests add notebooks of their own to it)."""
    copy = scratch / "notebooks"
    shutil.copytree(NOTEBOOKS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"), dirs_exist_ok=True)
    return copy


@pytest.fixture(scope="session")
def server(scratch: Path, served: Path):
    lab = start(scratch / "lab", "--LabApp.expose_app_in_browser=True", notebook_dir=served)
    yield lab
    lab.stop()


@pytest.fixture(scope="session")
def browser(scratch: Path, server: LabServer):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={scratch / 'chromium'}")
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"),
                      log_output=str(scratch / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def lab(browser, server: LabServer) -> JupyterLab:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    return JupyterLab(browser, server.url, ARTIFACTS)


@pytest.fixture(scope="session")
def run_notebook(lab: JupyterLab, server: LabServer):
    """``run_notebook(name, on_poll=None)``: open `name` in the served directory, run it all through the UI.

    The previous notebook's kernel is shut down first. The last run is remembered: asking again for the notebook
    still open returns it without running it again (its kernel still live).
    """
    last: dict[str, Run] = {}

    def run(name: str, on_poll=None) -> Run:
        if name in last:
            return last[name]
        last.clear()
        server.shut_down_kernels()
        lab.open(name)
        result = lab.restart_and_run_all(name, RUN_TIMEOUT, on_poll=on_poll)
        lab.screenshot(Path(name).stem)
        lab.screenshot_first_figure(f"{Path(name).stem}-figure")
        last[name] = result
        return result

    return run


@pytest.fixture(scope="session")
def own_notebook(served: Path):
    """``own_notebook(name, *code)``: write a notebook of `code` cells, for the course's kernel, where JupyterLab
    serves the chapters; returns its name. It lives in the scratch copy only."""

    def write(name: str, *code: str) -> str:
        cells = [nbformat.v4.new_markdown_cell(f"# {name}"), *map(nbformat.v4.new_code_cell, code)]
        kernel = {"name": KERNEL, "display_name": KERNEL_DISPLAY_NAME, "language": "python"}
        nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel}), served / name)
        return name

    return write
