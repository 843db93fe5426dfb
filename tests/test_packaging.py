"""The project's promises about packaging: pins agree everywhere, `import lrlib` stays light."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str], separator: str) -> dict[str, str]:
    """Map package name -> pinned version for every ``name<separator>version`` entry in `lines`."""
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if separator in line:
            name, version = line.split(separator, 1)
            pins[_normalise(name)] = version.strip()
    return pins


def requirements_pins() -> dict[str, str]:
    lines = []
    for name in ("requirements.txt", "requirements-nodeps.txt"):
        lines += (ROOT / name).read_text().splitlines()
    return _pins(lines, "==")


def environment_pins() -> tuple[dict[str, str], dict[str, str]]:
    """(conda pins, pip pins) of environment.yml."""
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in spec["dependencies"] if isinstance(d, str) and not d.startswith("python=")]
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    return _pins(conda, "="), _pins(pip, "==")


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [dep for extra in project["optional-dependencies"].values() for dep in extra]
    return _pins(lines, "==")


def test_environment_yml_pins_what_requirements_pin():
    conda, pip = environment_pins()
    assert not set(conda) & set(pip), "a package is pinned twice in environment.yml"
    expected = {k: v for k, v in requirements_pins().items() if k != "d2l"}  # d2l goes in via postBuild
    assert {**conda, **pip} == expected


def test_pyproject_extras_agree_with_requirements():
    pinned = requirements_pins()
    extras = pyproject_pins()
    assert extras, "pyproject.toml's extras pin nothing"
    disagreements = {name: (version, pinned.get(name)) for name, version in extras.items() if pinned.get(name) != version}
    assert not disagreements, f"pyproject.toml vs requirements.txt (pyproject, requirements): {disagreements}"


def test_postbuild_installs_d2l_without_dependencies():
    post_build = (ROOT / "postBuild").read_text()
    assert "--no-deps" in post_build and "requirements-nodeps.txt" in post_build
    assert requirements_pins()["d2l"] == "1.0.3"


@pytest.mark.parametrize("module", ["lrlib", "lrlib.torch", "lrlib.keras", "lrlib.course"])
def test_import_does_not_import_frameworks(module):
    code = (
        f"import sys, {module}; import lrlib; dir(lrlib); "
        "heavy = [m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_the_library_imports_nothing_from_the_course_helpers():
    offenders = []
    for path in sorted((ROOT / "lrlib").rglob("*.py")):
        parts = path.relative_to(ROOT / "lrlib").parts
        if "course" in parts or parts == ("__init__.py",):  # the top package only names it, lazily
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            if any(name == "lrlib.course" or name.startswith("lrlib.course.") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"library modules import lrlib.course: {offenders}"


def test_every_course_helper_resolves():
    import lrlib.course

    assert set(lrlib.course.__all__) >= {"data", "models", "train", "seed_table", "ddp_warmup"}
    for name in lrlib.course.__all__:
        if name not in ("tf1", "concatenate_histories", "plot_history"):  # these import TensorFlow / Keras
            assert getattr(lrlib.course, name) is not None, name


def test_every_public_name_resolves():
    import lrlib

    for name in lrlib.__all__:
        assert getattr(lrlib, name) is not None, name
