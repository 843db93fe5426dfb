"""scripts/book.py loaded as a module for the tests (scripts/ is not a package), once per test run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_book_script() -> ModuleType:
    """The module ``course_book`` made from scripts/book.py, executed on first use and reused after."""
    if "course_book" not in sys.modules:
        spec = importlib.util.spec_from_file_location("course_book", ROOT / "scripts" / "book.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["course_book"] = module
        spec.loader.exec_module(module)
    return sys.modules["course_book"]
