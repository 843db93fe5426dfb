"""The built website in headless Chromium, page by page, as a learner would see it.

Every page of book.toml loads without console errors, every image on it has loaded, every chapter shows at least
one figure from its run, no interactive widget is left half-rendered, the landing page links every chapter, the
launch buttons open the notebook on Binder in JupyterLab, solutions stay folded in the navigation, and the search
page finds each chapter. Screenshots go to test-artifacts/site/.

scripts/site_test.sh builds the site, serves it on 127.0.0.1 and runs this file with LRLIB_SITE_URL set.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import ipywidgets
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LRLIB_SITE_ARTIFACTS", ROOT / "test-artifacts" / "site"))
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
]
LOAD_TIMEOUT = 30  # seconds for a page, its images or a search to finish
# Sphinx loads MathJax from this CDN for pages with formulas. The test machine has no internet, so that one
# request fails here (and works for readers online); any other off-site request, failed or not, is a finding.
CDN_HOSTS_ALLOWED = {"cdn.jsdelivr.net"}
# The repr that an ipywidgets widget leaves as its plain-text fallback, e.g. "IntSlider(value=3)".
WIDGET_NAMES = sorted(
    name for name, obj in vars(ipywidgets).items() if isinstance(obj, type) and issubclass(obj, ipywidgets.Widget)
)
WIDGET_REPR = re.compile(r"\b(?:interactive|%s)\((?:children|value|description|layout)=" % "|".join(WIDGET_NAMES))


@dataclass
class Visit:
    """What one page showed: its console messages, images, figures, text and off-site resources."""

    url: str
    errors: list[str]
    broken_images: list[str]
    figures: int
    text: str
    external_resources: list[str]
    widget_scripts: int


@pytest.fixture(scope="session")
def site_url() -> str:
    return os.environ["LRLIB_SITE_URL"].rstrip("/")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))
    yield driver
    driver.quit()


def _wait(browser, condition_js: str) -> None:
    WebDriverWait(browser, LOAD_TIMEOUT).until(lambda driver: driver.execute_script(f"return {condition_js}"))


def _console_errors(browser, site_host: str) -> list[str]:
    """SEVERE console messages, except failed requests to the allowed CDN hosts (offline here)."""
    errors = []
    for entry in browser.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        url = entry["message"].split(" ", 1)[0]
        host = urlsplit(url).hostname
        if entry.get("source") == "network" and host in CDN_HOSTS_ALLOWED and host != site_host:
            continue
        errors.append(entry["message"])
    return errors


def _screenshot(browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name.replace('/', '__')}.png"))


def visit(browser, url: str, name: str) -> Visit:
    """Load ``url``, wait for it and its images, save screenshots as ``name``, and record what it showed."""
    browser.get_log("browser")  # drop what the previous page logged
    browser.get(url)
    _wait(browser, "document.readyState === 'complete'")
    browser.execute_script("for (const img of document.images) img.loading = 'eager';")
    _wait(browser, "Array.from(document.images).every(img => img.complete)")
    time.sleep(0.5)  # late console messages (failed async scripts) arrive after the load event
    _screenshot(browser, name)
    figures = browser.find_elements(By.CSS_SELECTOR, ".cell_output img")
    if figures:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", figures[0])
        _screenshot(browser, f"{name}-figure")
    host = urlsplit(url).hostname
    return Visit(
        url=url,
        errors=_console_errors(browser, host),
        broken_images=browser.execute_script(
            "return Array.from(document.images).filter(img => img.naturalWidth === 0).map(img => img.src)"
        ),
        figures=len(figures),
        text=browser.find_element(By.TAG_NAME, "main").text,
        external_resources=browser.execute_script(
            "return Array.from(document.querySelectorAll('script[src], link[rel=stylesheet], img[src], iframe[src]'))"
            ".map(el => el.src || el.href).filter(u => u.startsWith('http') && new URL(u).host !== location.host)"
        ),
        widget_scripts=len(browser.find_elements(By.CSS_SELECTOR, 'script[type="application/vnd.jupyter.widget-view+json"]')),
    )


@pytest.fixture(scope="session")
def visited(browser, site_url):
    """``visited(docname)``: the Visit of that page, loaded once per session whichever tests ask."""
    cache: dict[str, Visit] = {}

    def get(docname: str) -> Visit:
        if docname not in cache:
            cache[docname] = visit(browser, f"{site_url}/{docname}.html", docname)
        return cache[docname]

    return get


@pytest.fixture
def page(visited, docname: str) -> Visit:
    """One page of the site (``docname`` is parametrized over every page in conftest.py)."""
    return visited(docname)


def test_page_has_no_console_errors(page: Visit) -> None:
    assert page.errors == [], f"{page.url} logged console errors"


def test_every_image_loaded(page: Visit) -> None:
    assert page.broken_images == [], f"{page.url} has images that did not load"


def test_only_allowed_offsite_resources(page: Visit) -> None:
    hosts = {urlsplit(url).hostname for url in page.external_resources}
    assert hosts <= CDN_HOSTS_ALLOWED, f"{page.url} loads from {sorted(hosts - CDN_HOSTS_ALLOWED)}"


def test_widgets_replaced_by_static_output(page: Visit) -> None:
    assert page.widget_scripts == 0, f"{page.url} embeds widget views that need a live kernel"
    assert "Loading widget" not in page.text
    leftovers = WIDGET_REPR.findall(page.text)
    assert not leftovers, f"{page.url} shows widgets as text ({leftovers}): show a static figure instead"


def test_chapter_page_shows_a_figure(visited, chapter) -> None:
    assert visited(chapter.docname).figures >= 1, f"{chapter.notebook} shows no figure on its page"


def test_landing_page_links_every_chapter(browser, site_url, book) -> None:
    browser.get(f"{site_url}/index.html")
    content = browser.find_element(By.TAG_NAME, "main")
    links = {a.get_attribute("href") for a in content.find_elements(By.TAG_NAME, "a")}
    missing = [c.docname for c in book.chapters if f"{site_url}/{c.docname}.html" not in links]
    assert missing == [], "the landing page does not link these chapters"


def test_launch_buttons_open_binder_in_jupyterlab(browser, site_url, book, chapter) -> None:
    browser.get(f"{site_url}/{chapter.docname}.html")
    slug = urlsplit(book.repository_url).path.strip("/")
    expected = f"{book.binderhub_url}/v2/gh/{slug}/{book.branch}?urlpath=lab/tree/{chapter.notebook}"
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")]
    assert expected in links, f"no Binder/JupyterLab launch link {expected}"


def test_solutions_folded_in_navigation(browser, site_url, book) -> None:
    with_solutions = [c for c in book.chapters if c.solutions]
    if not with_solutions:
        pytest.skip("no chapter has a solutions notebook")
    browser.get(f"{site_url}/index.html")
    for chapter in with_solutions:
        target = chapter.solutions.removesuffix(".ipynb") + ".html"
        links = browser.find_elements(By.CSS_SELECTOR, f'.bd-sidebar a[href$="{target}"]')
        assert links, f"the navigation has no link to {chapter.solutions}"
        assert not any(link.is_displayed() for link in links), f"{chapter.solutions} is not folded away"


def test_search_finds_chapter(browser, site_url, chapter) -> None:
    query = " ".join(re.findall(r"[A-Za-z]{4,}", chapter.title)[:3])  # a few plain words of the title
    browser.get(f"{site_url}/search.html?q={quote(query)}")
    WebDriverWait(browser, LOAD_TIMEOUT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results .search-summary")
        and d.find_element(By.CSS_SELECTOR, "#search-results .search-summary").text.strip()
    )
    _screenshot(browser, f"search-{chapter.docname}")
    hits = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li > a")]
    assert any(hit.split("#")[0].endswith(f"{chapter.docname}.html") for hit in hits), (
        f"searching {query!r} did not find {chapter.docname}: {hits}"
    )


def test_citations_link_to_the_bibliography(visited, site_url) -> None:
    guide = visited("pages/choosing_a_schedule")
    assert "Goyal et al., 2017" in guide.text, "the guide's citations are not rendered author-year"
    bibliography = visited("pages/bibliography")
    assert "A Stochastic Approximation Method".casefold() in bibliography.text.casefold()
