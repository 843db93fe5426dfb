"""Every chapter the way a learner runs it: `make lab`, then Restart Kernel and Run All Cells in the browser.

For each chapter: the course's kernel is picked, the run ends within a bound, no cell raises or prints a
traceback, every figure loads, tqdm bars are widgets, not text. In the chapter with the schedule explorer, a
dragged slider redraws the figure. A notebook that raises is reported by name and cell. Screenshots go to
test-artifacts/lab/. (test_make_lab.py checks the learner's command itself.)
"""

from __future__ import annotations

import pytest
from _chapters import KERNEL_DISPLAY_NAME, explorer_chapter
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

SLIDER_DRAG = 120  # pixels; the explorer's sliders are ~150 px wide, so this moves any of them by several steps
REDRAW_TIMEOUT = 60  # seconds for the kernel to redraw the explorer's figure after a slider moved


def test_chapter_runs_clean_in_jupyterlab(run_notebook, chapter: str) -> None:
    run = run_notebook(chapter)
    problems = run.problems
    if run.kernel != KERNEL_DISPLAY_NAME:
        problems.insert(0, f"{chapter} opens with kernel {run.kernel!r}, not {KERNEL_DISPLAY_NAME!r}")
    assert not problems, "\n".join(problems)
    print(run.report(), f"({len(run.figures)} figures, {run.progress_bars} progress bar widgets)")


@pytest.mark.skipif(explorer_chapter() is None, reason="no chapter uses lrlib.course.explorer")
def test_explorer_slider_redraws_figure(run_notebook, lab) -> None:
    chapter = explorer_chapter()
    run_notebook(chapter)
    boxes = [box for box in lab.browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output .widget-vbox")
             if box.find_elements(By.CSS_SELECTOR, ".widget-hslider .noUi-handle")
             and box.find_elements(By.CSS_SELECTOR, ".widget-output img")]
    assert boxes, f"{chapter}: no explorer with a slider and a figure rendered (are the widgets' scripts there?)"
    box = boxes[0]
    handle = box.find_element(By.CSS_SELECTOR, ".widget-hslider .noUi-handle")
    value = handle.get_attribute("aria-valuenow")
    before = figure(lab, box)
    assert before is not None and figure(lab, box) == before, "the same figure compares unequal to itself"
    lab.screenshot("explorer-before", box)
    lab.drag(handle, SLIDER_DRAG)
    assert handle.get_attribute("aria-valuenow") != value, "dragging the slider did not change its value"
    lab.wait_for(REDRAW_TIMEOUT, lambda: figure(lab, box) not in (None, before),
                 f"{chapter}: the explorer's figure did not change after the slider moved")
    lab.screenshot("explorer-after", box)


def figure(lab, box) -> str | None:
    """The explorer's figure, as pixels (a PNG data URL), or None while it is being redrawn.

    Pixels, not the image's source: matplotlib stamps each SVG with the time it was drawn.
    """
    images = box.find_elements(By.CSS_SELECTOR, ".widget-output img")
    try:
        return lab.pixels(images[0]) if images else None
    except StaleElementReferenceException:  # replaced while we looked
        return None


def test_tqdm_bar_renders_as_widget(run_notebook, lab, own_notebook) -> None:
    # lrlib's training loop shows a tqdm bar when a learner watches; batches are slowed so the bar stays up.
    name = own_notebook(
        "lab_test_progress.ipynb",
        "import time\nimport torch\nimport lrlib.torch",
        "class SlowBatches:\n"
        "    def __init__(self):\n"
        "        g = torch.Generator().manual_seed(0)\n"
        "        self.batches = [(torch.randn(8, 4, generator=g), torch.randint(0, 2, (8,), generator=g))\n"
        "                        for _ in range(10)]\n"
        "    def __len__(self):\n"
        "        return len(self.batches)\n"
        "    def __iter__(self):\n"
        "        for batch in self.batches:\n"
        "            time.sleep(0.1)\n"
        "            yield batch",
        "net = torch.nn.Linear(4, 2)\n"
        "lrlib.course.train(net, SlowBatches(), SlowBatches(), 3, torch.nn.CrossEntropyLoss(),\n"
        "                  torch.optim.SGD(net.parameters(), lr=0.1), live_plot=False)",
    )
    shots = []

    def capture_bar() -> None:
        if shots:
            return
        bars = lab.browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output .widget-hprogress")
        try:
            moved = bool(bars) and not bars[0].find_element(By.XPATH, "..").text.startswith("0%")
        except StaleElementReferenceException:  # the bar closed while we looked
            return
        if moved:
            shots.append(lab.screenshot("tqdm-progress-bar"))

    run = run_notebook(name, on_poll=capture_bar)
    assert not run.problems, run.report()
    assert run.progress_bars >= 1, "lrlib.course.train showed no progress bar widget under JupyterLab"


def test_failing_notebook_is_reported_by_notebook_and_cell(run_notebook, own_notebook) -> None:
    name = own_notebook("lab_test_fails.ipynb", "print('before')", "1 / 0", "print('after')")
    run = run_notebook(name)
    assert run.problems == [f"{name}, cell 3 ('1 / 0') raised ZeroDivisionError: division by zero"]
    assert [cell["count"] is None for cell in run.cells] == [False, False, True]  # the run stopped there
