"""The course's chapters and kernel, as the JupyterLab tests see them."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "lrlib-course"  # the kernel `make setup` installs
KERNEL_DISPLAY_NAME = "Python (lrlib course)"


def chapters() -> list[str]:
    """The chapter notebooks, by file name: every notebooks/*.ipynb (solutions live in a subdirectory)."""
    return sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


def explorer_chapter() -> str | None:
    """The first chapter whose code uses lrlib's slider explorer, or None."""
    for name in chapters():
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        if any(cell.cell_type == "code" and "explorer" in cell.source for cell in notebook.cells):
            return name
    return None
