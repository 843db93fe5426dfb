"""Lazy attribute loading for lrlib's packages.

`import lrlib` must stay cheap and must not import torch, TensorFlow or Keras: every public name is
resolved on first access from the module that defines it (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Optional


def lazy_exports(
    package: str, exports: dict[str, str], requires: Optional[dict[str, str]] = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for `package` that import ``exports[name]`` on first use.

    `exports` maps a public name to the module (relative to `package`) that defines it. A name that
    is itself a submodule maps to its own module name and resolves to the module. `requires` maps each
    optional framework the package needs (a top-level module name) to the pip extra that installs it: when
    it is missing, using a name raises an ImportError that says what to install.
    """
    needed = requires or {}

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(f"{package}.{module_name}")
        except ModuleNotFoundError as error:
            missing = (error.name or "").partition(".")[0]
            if missing not in needed:
                raise
            raise ImportError(
                f"{package}.{name} needs {missing}, which is not installed: pip install 'lrlib[{needed[missing]}]'",
                name=missing,
            ) from error
        value = module if module_name == name else getattr(module, name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
