"""Whether rich output (widgets, figures updated in place) reaches a person, and showing figures accordingly.

A notebook can run under a live front end (JupyterLab, Jupyter Notebook, Colab), where ipywidgets render and
a figure can be redrawn in place, or headless (nbval, nbclient, the website build, a plain ``python`` run),
where a widget shows as a useless text repr and an animation leaves a pile of frames. Both run in an IPython
kernel, so the kernel alone does not tell them apart; what does is who launched it: a Jupyter server sets
``JPY_SESSION_NAME`` in the kernel's environment, nbclient and nbval do not. The environment variable
``LRLIB_INTERACTIVE`` (1/0) overrides the detection either way.
"""

from __future__ import annotations

import os
import sys

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def in_kernel() -> bool:
    """True inside an IPython kernel (a notebook, live or executed headless), False in plain python/IPython."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def live_frontend() -> bool:
    """True when widgets and in-place figure updates will render for a person (see the module docstring)."""
    override = os.environ.get("LRLIB_INTERACTIVE", "").strip().lower()
    if override in _TRUE:
        return True
    if override in _FALSE:
        return False
    if override:
        raise ValueError(f"LRLIB_INTERACTIVE must be one of {_TRUE + _FALSE} or unset, got {override!r}")
    if not in_kernel():
        return False
    return bool(os.environ.get("JPY_SESSION_NAME")) or "google.colab" in sys.modules


def show_static(fig) -> None:
    """Show a finished figure once: displayed and closed in a notebook; left open for ``plt.show()`` elsewhere."""
    if in_kernel():
        import matplotlib.pyplot as plt
        from IPython.display import display

        display(fig)
        plt.close(fig)
