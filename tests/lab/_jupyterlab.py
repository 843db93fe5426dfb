"""Drive JupyterLab in a browser the way a learner does, and read back what the notebook showed.

The UI is used for what a learner does (open a notebook from a URL, Kernel > Restart Kernel and Run All Cells,
confirm the dialog, drag a slider) and the page is read for what they see (the kernel name in the toolbar, the
kernel status, images, widgets). Which outputs are errors is read from the notebook's model through
``window.jupyterapp`` (the server runs with ``--LabApp.expose_app_in_browser``): in the page an error and a
warning on stderr look the same.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

OPEN_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the visible tab
UI_TIMEOUT = 120  # seconds for JupyterLab to load a notebook and start its kernel, or a menu or dialog to appear
IDLE_FOR = 2.0  # seconds the kernel must stay idle with no cell queued before a run counts as finished
# tqdm's text bar, e.g. " 40%|####      | 4/10 [00:01<00:02,  2.9it/s]": what a learner sees when the widget
# front end is missing.
TQDM_TEXT = re.compile(r"\d+%\|[^|\n]*\| *\d+/\d+ \[")
# Text that JupyterLab shows instead of a widget it cannot render.
WIDGET_FAILURES = ("Error displaying widget", "Loading widget...", "Failed to load model class")

# Records, from the moment it is installed, every progress bar widget that was ever attached to the page (tqdm's
# bar under lrlib's training loop closes itself when done, so it may be gone by the time the run is).
WATCH_PROGRESS_JS = """
window.__labTest = {progressBars: 0};
const count = node => node.nodeType === 1 &&
    (node.matches('.widget-hprogress') ? 1 : node.querySelectorAll('.widget-hprogress').length);
new MutationObserver(records => {
    for (const r of records) for (const n of r.addedNodes) window.__labTest.progressBars += count(n);
}).observe(document.body, {childList: true, subtree: true});
"""

# Per code cell of the current notebook: its position among all cells (1-based, as in JupyterLab's status bar),
# execution count, first source line, error outputs and stream text.
CELLS_JS = """
const panel = window.jupyterapp.shell.currentWidget;
const cells = panel.content.model.cells;
const result = [];
for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code' || !cell.sharedModel.getSource().trim()) continue;  // empty cells never run
    const outputs = cell.outputs.toJSON();
    result.push({
        position: i + 1,
        count: cell.executionCount,
        source: cell.sharedModel.getSource().split('\\n')[0],
        errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
        streams: outputs.filter(o => o.output_type === 'stream').map(o => [].concat(o.text).join('')),
    });
}
return result;
"""

# Every image in an output area (figures, also those inside widget outputs), decoded, with its natural size.
FIGURES_JS = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img'));
Promise.allSettled(images.map(img => img.decode())).then(() => done(images.map(img => ({
    cell: Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell'))
        .findIndex(c => c.contains(img)) + 1,
    width: img.naturalWidth, height: img.naturalHeight}))));
"""

# An image redrawn at its natural size on a canvas, as a PNG data URL: its pixels, whatever its format or
# where it sits on screen (an element screenshot would also change with sub-pixel scroll offsets).
PIXELS_JS = """
const [img, done] = arguments;
img.decode().then(() => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext('2d').drawImage(img, 0, 0);
    done(canvas.toDataURL('image/png'));
}, () => done(null));
"""


@dataclass
class Run:
    """What a notebook showed after Restart Kernel and Run All Cells."""

    notebook: str
    seconds: float
    kernel: str
    cells: list[dict]
    figures: list[dict]
    progress_bars: int
    output_text: str

    @property
    def problems(self) -> list[str]:
        """Each thing a learner would see go wrong, naming the notebook and the cell."""
        problems = []
        for cell in self.cells:
            where = f"{self.notebook}, cell {cell['position']} ({cell['source'][:60]!r})"
            problems += [f"{where} raised {error}" for error in cell["errors"]]
            for text in cell["streams"]:
                if "Traceback (most recent" in text:
                    problems.append(f"{where} printed a traceback")
                if TQDM_TEXT.search(text):
                    problems.append(f"{where} shows tqdm as text, not a widget")
        unrun = [cell for cell in self.cells if cell["count"] is None]
        if unrun and not any(cell["errors"] for cell in self.cells):  # after an error, the rest is not run anyway
            problems.append(f"{self.notebook}, cell {unrun[0]['position']} did not run")
        problems += [f"{self.notebook}, cell {f['cell']}: a figure did not load ({f['width']}x{f['height']})"
                     for f in self.figures if not (f["width"] and f["height"])]
        problems += [f"{self.notebook}: a widget did not render ({text!r})"
                     for text in WIDGET_FAILURES if text in self.output_text]
        return problems

    def report(self) -> str:
        return "\n".join(self.problems) or f"{self.notebook} ran clean in {self.seconds:.0f} s"


class JupyterLab:
    """One browser tab on one JupyterLab server."""

    def __init__(self, browser: WebDriver, url: str, artifacts: Path):
        self.browser = browser
        self.base, self.token = url.split("/lab?token=")
        self.artifacts = artifacts

    def open(self, notebook: str) -> None:
        """Open `notebook` (a path under the served directory) alone in a fresh workspace, its kernel started."""
        self.browser.get(f"{self.base}/lab/tree/{notebook}?token={self.token}&reset")

        def ready_or_asking() -> bool:
            dialog = self._find(".jp-Dialog")
            if dialog is not None:  # e.g. "Select Kernel" when the notebook's kernel is not installed
                raise AssertionError(f"{notebook}: JupyterLab asks {dialog.text!r} on opening")
            return self.kernel_name() not in ("", "No Kernel") and self._kernel_status() == "idle"

        self._wait(UI_TIMEOUT, ready_or_asking, f"{notebook}: the kernel did not start")
        self.browser.execute_script(WATCH_PROGRESS_JS)

    def kernel_name(self) -> str:
        return self.browser.execute_script(
            "return document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName')?.innerText"
        ) or ""

    def restart_and_run_all(self, notebook: str, timeout: float, on_poll: Callable[[], None] | None = None) -> Run:
        """Kernel > Restart Kernel and Run All Cells, confirm, wait until the kernel is idle with nothing queued.

        Args:
            notebook: its name, for messages.
            timeout: seconds the run may take.
            on_poll: called about four times a second while waiting (to catch what shows only during the run).

        Raises:
            TimeoutError: the run took longer than `timeout` seconds (the message says which cell was running).
        """
        kernel = self.kernel_name()
        self.menu("Kernel", "Restart Kernel and Run All Cells…")
        dialog = self._wait(UI_TIMEOUT, lambda: self._find(".jp-Dialog"), "no restart dialog")
        dialog.find_element(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept").click()
        start = time.monotonic()
        self._wait(UI_TIMEOUT, lambda: self._kernel_status() != "idle" or self._prompts_queued(),
                   f"{notebook}: the restart did not begin")
        idle_since = None
        while True:
            now = time.monotonic()
            if now - start > timeout:
                raise TimeoutError(f"{notebook} did not finish within {timeout:.0f} s; still running: "
                                   f"{self._running_cell()}")
            if self._kernel_status() == "idle" and not self._prompts_queued():
                idle_since = idle_since or now
                if now - idle_since >= IDLE_FOR:
                    break
            else:
                idle_since = None
            if on_poll is not None:
                on_poll()
            time.sleep(0.25)
        return Run(notebook=notebook, seconds=idle_since - start, kernel=kernel,
                   cells=self.browser.execute_script(CELLS_JS),
                   figures=self.browser.execute_async_script(FIGURES_JS),
                   progress_bars=self.browser.execute_script("return window.__labTest.progressBars"),
                   output_text=self.browser.execute_script(
                       "return Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                       ".map(e => e.innerText).join('\\n')"))

    def menu(self, top: str, item: str) -> None:
        """Click `top` in the menu bar, then the entry labelled `item`."""
        bar = self._wait(UI_TIMEOUT, lambda: self._menubar_item(top), f"no {top!r} menu")
        bar.click()
        xpath = f"//li[contains(@class, 'lm-Menu-item')][.//div[contains(@class, 'lm-Menu-itemLabel') and .='{item}']]"
        entry = self._wait(UI_TIMEOUT, lambda: next(iter(self.browser.find_elements(By.XPATH, xpath)), None),
                           f"no {item!r} in the {top} menu")
        entry.click()

    def drag(self, element: WebElement, dx: int) -> None:
        """Press the mouse on `element`, move it `dx` pixels right, release (as a learner drags a slider)."""
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        ActionChains(self.browser).click_and_hold(element).move_by_offset(dx, 0).release().perform()

    def screenshot(self, name: str, element: WebElement | None = None) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        if element is None:
            self.browser.save_screenshot(str(path))
        else:  # the notebook scrolls inside its own panel, which the element screenshot does not do for us
            self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            element.screenshot(str(path))
        return path

    def pixels(self, image: WebElement) -> str | None:
        """`image` drawn at its natural size, as a PNG data URL; None when it does not decode."""
        return self.browser.execute_async_script(PIXELS_JS, image)

    def screenshot_first_figure(self, name: str) -> Path | None:
        """The window with the notebook's first figure scrolled to the middle, or None when it has none."""
        images = self.browser.find_elements(By.CSS_SELECTOR, f"{OPEN_NOTEBOOK} .jp-OutputArea-output img")
        if not images:
            return None
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", images[0])
        return self.screenshot(name)

    def wait_for(self, timeout: float, condition, message: str):
        return self._wait(timeout, condition, message)

    def _menubar_item(self, label: str) -> WebElement | None:
        return next((e for e in self.browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text == label),
                    None)

    def _find(self, css: str) -> WebElement | None:
        return next(iter(self.browser.find_elements(By.CSS_SELECTOR, css)), None)

    def _kernel_status(self) -> str | None:
        return self.browser.execute_script(
            "return document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-Notebook-ExecutionIndicator')?.getAttribute('data-status')"
        )

    def _prompts_queued(self) -> bool:
        return self.browser.execute_script(
            "return Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt'))"
            ".some(p => p.innerText.includes('[*]'))"
        )

    def _running_cell(self) -> str:
        return self.browser.execute_script(
            "const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell'));"
            "const i = cells.findIndex(c => c.querySelector('.jp-InputPrompt')?.innerText.includes('[*]'));"
            "return i < 0 ? 'none' : `cell ${i + 1} (${cells[i].querySelector('.jp-InputArea-editor')"
            "?.innerText.split('\\n')[0].slice(0, 60)})`;"
        )

    def _wait(self, timeout: float, condition, message: str):
        return WebDriverWait(self.browser, timeout, poll_frequency=0.25).until(lambda _: condition(), message)
