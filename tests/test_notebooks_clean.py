"""Notebooks are committed clean (no outputs and no execution counts, except cells marked to keep theirs) and
ask for the course's kernel, the one `make setup` installs, so JupyterLab picks it when a learner opens them;
every cell has an id."""

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].glob("notebooks/**/*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and not cell.metadata.get("keep_output")
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_asks_for_the_course_kernel(path):
    kernelspec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "lrlib-course", (
        f"{path.name} asks for kernel {kernelspec.get('name')!r}: JupyterLab would open it with that one, not the "
        "course's; set the notebook's kernel to \"Python (lrlib course)\" (Kernel > Change Kernel) and save"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_has_an_id(path):
    cells = json.loads(path.read_text())["cells"]
    missing = [index for index, cell in enumerate(cells) if "id" not in cell]
    assert not missing, f"{path.name}: cells {missing} have no id (nbformat 4.5 needs one; JupyterLab adds it on save)"
