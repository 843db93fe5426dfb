"""book.toml, the files generated from it and notebooks/ agree; and scripts/book.py notices when they do not.

Fast: nothing is built or executed. The site build and the browser test are in tests/site (scripts/site_test.sh).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from jupyter_book.config import get_final_config
from nbformat.v4 import new_markdown_cell, new_notebook

from _book_script import load_book_script

ROOT = Path(__file__).resolve().parent.parent


book_script = load_book_script()
BOOK = book_script.load_book(ROOT)


def _problems(found: list[str]) -> str:
    return "\n".join(["", *found, "(see `python scripts/book.py check`)"])


# ---------------------------------------------------------------------------------------------------- this repository


def test_every_chapter_has_its_notebook() -> None:
    missing = book_script.missing_notebooks(BOOK, ROOT)
    assert not missing, _problems(missing)


def test_every_notebook_is_in_the_book() -> None:
    unlisted = book_script.unlisted_notebooks(BOOK, ROOT)
    assert not unlisted, _problems(unlisted)


def test_chapter_numbers_and_titles_match_the_notebooks() -> None:
    mismatches = book_script.chapter_mismatches(BOOK, ROOT)
    assert not mismatches, _problems(mismatches)


@pytest.mark.parametrize("name", ["_config.yml", "_toc.yml", "index.md", "README.md"])
def test_generated_file_in_sync_with_book_toml(name: str) -> None:
    stale = [problem for problem in book_script.stale_generated_files(BOOK, ROOT) if problem.startswith(name)]
    assert not stale, _problems(stale)


def test_readme_table_lists_every_chapter_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- chapters:start -->")[1].split("<!-- chapters:end -->")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split("](")[1].split(")")[0] for row in rows] == [c.notebook for c in BOOK.chapters]


def test_jupyter_book_accepts_the_config() -> None:
    config, _ = get_final_config(
        user_yaml=ROOT / "_config.yml",
        cli_config={"latex_individualpages": False},  # what `jupyter-book build` passes for HTML
        sourcedir=ROOT,
        raise_on_invalid=True,
    )
    assert config["nb_execution_raise_on_error"] is True
    assert config["nb_execution_allow_errors"] is False
    assert config["nb_execution_mode"] == "cache"
    assert config["html_theme_options"]["repository_url"] == BOOK.repository_url
    launch = config["html_theme_options"]["launch_buttons"]
    assert (launch["binderhub_url"], launch["notebook_interface"]) == (BOOK.binderhub_url, "jupyterlab")
    assert {".venv", "_build"} <= set(config["exclude_patterns"])


def test_toc_lists_the_chapters_in_book_order() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    chapters, reference = ([entry["file"] for entry in part["chapters"]] for part in toc["parts"])
    assert chapters == [chapter.docname for chapter in BOOK.chapters]
    assert reference == [page.docname for page in BOOK.pages]


def test_pages_and_bibliography_exist_and_are_wired_in() -> None:
    assert not book_script.missing_pages(BOOK, ROOT)
    assert {"pages/glossary", "pages/choosing_a_schedule", "pages/bibliography"} <= {p.docname for p in BOOK.pages}
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert "sphinxcontrib.bibtex" in config["extensions"] and config["bibtex_bibfiles"] == ["references.bib"]
    entries = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(entries) == len(set(entries)) >= 12


def test_every_citation_names_an_entry_of_the_bibliography() -> None:
    keys = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), re.MULTILINE))
    sources = [ROOT / path for path in BOOK.notebooks] + [ROOT / page.file for page in BOOK.pages]
    cited = {key.strip() for path in sources for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`",
                                                                     path.read_text(encoding="utf-8"))
             for key in group.split(",")}
    assert cited - keys == set(), f"cited but not in references.bib: {sorted(cited - keys)}"


# ---------------------------------------------------------------------------------------------------- scripts/book.py


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of this course's description with a stand-in notebook (correct title) for every chapter."""
    for name in ("book.toml", "index.md", "README.md", "references.bib"):
        shutil.copy(ROOT / name, tmp_path / name)
    for page in BOOK.pages:
        (tmp_path / page.file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / page.file, tmp_path / page.file)
    for path in BOOK.notebooks:
        _notebook(tmp_path / path, f"# {_title(path)}")
    book_script.generate(tmp_path)
    return tmp_path


def _title(path: str) -> str:
    """The heading a stand-in notebook needs: its chapter's title, or any title for a solutions notebook."""
    return next((c.title for c in BOOK.chapters if c.notebook == path), "Solutions")


def _notebook(path: Path, heading: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_markdown_cell(heading)]), path)


def test_generated_course_checks_clean(course: Path) -> None:
    assert book_script.check(course) == []


def test_check_reports_a_notebook_missing_from_the_book(course: Path) -> None:
    _notebook(course / "notebooks" / "99_extra.ipynb", "# Extra")
    assert book_script.check(course) == ["notebooks/99_extra.ipynb is not in book.toml: add it as a chapter or as a chapter's solutions"]


def test_check_reports_a_chapter_without_its_notebook(course: Path) -> None:
    missing = BOOK.chapters[-1].notebook
    (course / missing).unlink()
    assert book_script.check(course) == [f"book.toml lists {missing} but the notebook does not exist"]


def test_check_reports_files_left_behind_by_an_edit_of_book_toml(course: Path) -> None:
    toml = course / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(BOOK.chapters[1].summary, "A new summary."), encoding="utf-8")
    problems = book_script.check(course)
    assert [p.split(" ")[0] for p in problems] == ["index.md", "README.md"]
    book_script.generate(course)
    assert book_script.check(course) == []


def test_check_reports_a_heading_that_disagrees_with_book_toml(course: Path) -> None:
    chapter = BOOK.chapters[2]
    _notebook(course / chapter.notebook, "# Something else entirely")
    assert book_script.check(course) == [
        f"{chapter.notebook}: book.toml calls it {chapter.title!r} but its heading is 'Something else entirely'; make them agree"
    ]


@pytest.mark.parametrize("heading", ["3. {}", "03 · {}", "Chapter 3: {}", "{}?", "*{}*"])
def test_numbered_or_styled_headings_still_match(course: Path, heading: str) -> None:
    chapter = BOOK.chapters[2]
    _notebook(course / chapter.notebook, "# " + heading.format(chapter.title))
    assert book_script.chapter_mismatches(book_script.load_book(course), course) == []


def test_generate_touches_readme_only_between_the_markers(course: Path) -> None:
    readme = course / "README.md"
    before, rest = readme.read_text(encoding="utf-8").split("<!-- chapters:start -->")
    after = rest.split("<!-- chapters:end -->")[1]
    readme.write_text(f"{before}<!-- chapters:start -->\nSTALE-TABLE\n<!-- chapters:end -->{after}", encoding="utf-8")
    book_script.generate(course)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(before) and text.endswith(after) and "STALE-TABLE" not in text
    assert book_script.render_readme_table(BOOK) in text


def test_generate_appends_the_readme_markers_when_missing(course: Path) -> None:
    (course / "README.md").write_text("# The course\n", encoding="utf-8")
    book_script.generate(course)
    text = (course / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# The course\n\n<!-- chapters:start -->\n| # |")
    assert book_script.check(course) == []


def test_chapter_number_must_match_the_file_name(course: Path) -> None:
    toml = course / "book.toml"
    first, second = BOOK.chapters[0].notebook, BOOK.chapters[1].notebook
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace(first, "SWAP").replace(second, first).replace("SWAP", second), encoding="utf-8")
    problems = book_script.chapter_mismatches(book_script.load_book(course), course)
    assert any(f"{second} is chapter 1" in p for p in problems)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('title = "', 'titel = "', 1), "course.title is missing"),
        (lambda t: t.replace(BOOK.chapters[0].notebook, "chapters/one.ipynb"), "chapters[0].notebook must be a path like"),
        (lambda t: t.replace('frameworks = ["PyTorch"]', "frameworks = []", 1), "chapters[0].frameworks must be a non-empty list"),
        (lambda t: t.replace('notebook_interface = "jupyterlab"', 'notebook_interface = "lab"'), "launch.notebook_interface"),
    ],
)
def test_malformed_book_toml_names_the_key(course: Path, edit, message: str) -> None:
    toml = course / "book.toml"
    toml.write_text(edit(toml.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(book_script.BookError, match=re.escape(message)):
        book_script.load_book(course)
