"""The examples in the library's docstrings run and print what they show (doctest), in CI via `make test`.

Run here rather than with ``pytest --doctest-modules lrlib``, so that tests/conftest.py's import order (torch's
compiler stack before TensorFlow) holds for the examples too.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

LIBRARY_MODULES = [
    "lrlib.schedules._base",
    "lrlib.schedules.compose",
    "lrlib.schedules.custom",
    "lrlib.schedules.cyclical",
    "lrlib.schedules.decay",
    "lrlib.lr_finder",
    "lrlib.batch_log",
    "lrlib.torch._scheduler",
    "lrlib.torch._lr_find",
    "lrlib.torch._batch_logger",
    "lrlib.keras._schedule",
    "lrlib.keras._callbacks",
    "lrlib.keras._optimizers",
    "lrlib.keras._lr_find",
]


@pytest.mark.parametrize("name", LIBRARY_MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"


def test_the_public_constructors_each_show_an_example():
    import lrlib

    missing = [
        name for name in ("constant", "step", "multistep", "exponential", "square_root", "factor", "polynomial",
                          "inverse_time", "cosine", "cosine_restarts", "cyclic", "one_cycle", "warmup", "sequence",
                          "chain", "from_function", "constructor", "as_schedule", "Sweep", "Schedule")
        if ">>>" not in (getattr(lrlib, name).__doc__ or "")
    ]  # fmt: skip
    assert not missing, f"no Example in the docstring of {missing}"
