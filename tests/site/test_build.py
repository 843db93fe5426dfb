"""`scripts/book.py build` on a throwaway one-chapter book: cached execution, and a failing cell fails the build.

Both ways of executing are covered: Jupyter Book's own (``--jobs 1``) and book.py's side-by-side run into
Jupyter Book's cache (``--jobs 2``).

Jupyter Book 1 only warns about a failing cell unless told otherwise, and would publish the traceback as the
lesson; these tests pin the configuration that stops that, and the cache that keeps rebuilds fast.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]

BOOK_TOML = """\
[course]
title = "A throwaway course"
authors = ["Test"]
description = "One chapter, built by tests/site/test_build.py."
license = "MIT"
copyright = "2026"

[repository]
url = "https://github.com/example/throwaway"
branch = "main"

[launch]
binderhub_url = "https://mybinder.org"
notebook_interface = "jupyterlab"

[[chapters]]
notebook = "notebooks/01_demo.ipynb"
title = "Demo"
summary = "A figure."
frameworks = ["numpy"]
goals = ["Build."]
"""
PAGE_WITH_MARKERS = "<!-- header:start -->\n<!-- header:end -->\n\n<!-- chapters:start -->\n<!-- chapters:end -->\n"


def _write_notebook(path: Path, *code: str, heading: str = "# Demo") -> None:
    cells = [new_markdown_cell(heading), *(new_code_cell(source) for source in code)]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernel}), path)


@pytest.fixture
def throwaway_book(tmp_path: Path) -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book.toml").write_text(BOOK_TOML)
    (tmp_path / "index.md").write_text(PAGE_WITH_MARKERS)
    (tmp_path / "README.md").write_text(PAGE_WITH_MARKERS)
    shutil.copytree(ROOT / "_static", tmp_path / "_static")
    _write_notebook(tmp_path / "notebooks" / "01_demo.ipynb", "print(sum(range(10)))")
    return tmp_path


def _build(book_cli: list[str], root: Path, jobs: int) -> tuple[int, str]:
    result = subprocess.run(
        [*book_cli, "build", "--root", str(root), "--jobs", str(jobs)], capture_output=True, text=True, timeout=600
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("jobs", [1, 2])
def test_notebook_with_unchanged_code_is_not_executed_again(book_cli, throwaway_book: Path, jobs: int) -> None:
    status, log = _build(book_cli, throwaway_book, jobs)
    assert status == 0, log
    assert ("Executing notebook" if jobs == 1 else "book: executed notebooks/01_demo.ipynb") in log
    _write_notebook(throwaway_book / "notebooks" / "01_demo.ipynb", "print(sum(range(10)))", heading="# Demo\n\nNew prose.")
    status, log = _build(book_cli, throwaway_book, jobs)
    assert status == 0, log
    assert "Using cached notebook" in log
    assert "Executing notebook" not in log and "book: executed" not in log
    page = (throwaway_book / "_build" / "html" / "notebooks" / "01_demo.html").read_text()
    assert "New prose." in page and "45" in page


@pytest.mark.parametrize("jobs", [1, 2])
def test_failing_cell_fails_the_build(book_cli, throwaway_book: Path, jobs: int) -> None:
    _write_notebook(throwaway_book / "notebooks" / "01_demo.ipynb", "print('before')", "1 / 0", "print('after')")
    status, log = _build(book_cli, throwaway_book, jobs)
    assert status != 0
    assert "ZeroDivisionError" in log
    assert not (throwaway_book / "_build" / "html" / "notebooks" / "01_demo.html").exists()


def test_notebook_missing_from_book_fails_before_building(book_cli, throwaway_book: Path) -> None:
    _write_notebook(throwaway_book / "notebooks" / "02_extra.ipynb", "pass")
    status, log = _build(book_cli, throwaway_book, jobs=1)
    assert status == 1
    assert "notebooks/02_extra.ipynb is not in book.toml" in log
    assert not (throwaway_book / "_build").exists()
