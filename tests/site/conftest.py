"""The website tests: a real browser on the built site, and builds of small throwaway books.

They need a built site served over HTTP and take minutes, so they stay out of the default ``pytest tests/`` run:
scripts/site_test.sh builds and serves the site, then runs them with LRLIB_SITE_URL set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from _book_script import load_book_script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The course whose site is under test: this repository, or another book directory while developing the tests.
BOOK_ROOT = Path(os.environ.get("LRLIB_BOOK_ROOT", ROOT))


book_script = load_book_script()
BOOK = book_script.load_book(BOOK_ROOT)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("LRLIB_SITE_URL"):
        return
    skip = pytest.mark.skip(reason="website tests: run scripts/site_test.sh (it builds, serves and sets LRLIB_SITE_URL)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``docname``: every page of the site (landing page, chapters, solutions, reference pages); ``chapter``: every
    chapter."""
    if "docname" in metafunc.fixturenames:
        docnames = ["index", *(book_script.docname(path) for path in BOOK.notebooks), *(p.docname for p in BOOK.pages)]
        metafunc.parametrize("docname", docnames, ids=docnames)
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", BOOK.chapters, ids=[c.docname for c in BOOK.chapters])


@pytest.fixture(scope="session")
def book():
    return BOOK


@pytest.fixture(scope="session")
def book_cli() -> list[str]:
    """The command line that runs scripts/book.py with this Python."""
    return [sys.executable, str(ROOT / "scripts" / "book.py")]
