"""lrlib's types are visible: mypy passes on the library with the project's configuration, signatures are real,
and the names type checkers see behind the lazy exports are exactly the names the lazy loader resolves."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import lrlib

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_passes_on_lrlib_with_the_projects_configuration(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_the_package_is_marked_typed():
    assert (ROOT / "lrlib" / "py.typed").is_file()


@pytest.mark.parametrize("name", ["cosine", "one_cycle", "cyclic", "warmup", "sequence", "chain", "from_function"])
def test_constructors_show_their_parameters_and_return_a_schedule(name):
    signature = inspect.signature(getattr(lrlib, name))
    assert signature.return_annotation is lrlib.Schedule
    assert "args" not in signature.parameters and "kwargs" not in signature.parameters
    assert all(parameter.annotation is not inspect.Parameter.empty for parameter in signature.parameters.values())
    assert not any(isinstance(parameter.annotation, str) for parameter in signature.parameters.values())


def test_cosine_signature_reads_like_its_definition():
    assert str(inspect.signature(lrlib.cosine)) == (
        "(lr: float, total_steps: int, final_lr: float = 0.0, warmup_steps: int = 0, warmup_start_lr: float = 0.0)"
        " -> lrlib.schedules._base.Schedule"
    )


def type_checking_names(package: str) -> set[str]:
    """The names a package's ``if TYPE_CHECKING:`` block imports."""
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING")
    return {alias.asname or alias.name for node in block.body for alias in node.names}


@pytest.mark.parametrize("package", ["lrlib", "lrlib.torch", "lrlib.keras"])
def test_type_checkers_see_exactly_the_lazy_exports(package):
    module = __import__(package, fromlist=["__all__"])
    assert type_checking_names(package) == set(module.__all__)
