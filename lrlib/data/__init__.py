"""The course's datasets: Fashion-MNIST when it can be had, scikit-learn's digits offline.

`load` returns PyTorch DataLoaders or numpy arrays of 28x28 grayscale images in [0, 1] with 10 classes,
so the same LeNet trains on either dataset. Which dataset is used comes from the `name` argument, else the
environment variable ``LRLIB_DATASET``, else "auto": Fashion-MNIST when it is cached or its mirror answers
within a few seconds, otherwise digits. `load` always prints which one it used and why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from lrlib.data import _digits, _fashion_mnist
from lrlib.data._download import DatasetUnavailableError, default_cache_dir

__all__ = ["load", "resolve", "arrays", "class_names", "default_cache_dir", "DatasetUnavailableError", "NAMES"]

NAMES = ("fashion_mnist", "digits")
_ALIASES = {"fashion_mnist": "fashion_mnist", "fashion-mnist": "fashion_mnist", "fashionmnist": "fashion_mnist",
            "digits": "digits", "auto": "auto"}
_FRAMEWORKS = ("torch", "numpy", "keras", "tensorflow")
_LAYOUTS = ("NHWC", "NCHW")
_MEMORY: dict[tuple, Any] = {}  # prepared arrays, so that repeated loads in one process are cheap

Arrays = _fashion_mnist.Arrays


def class_names(name: str) -> tuple[str, ...]:
    """The 10 class names of dataset `name` ("fashion_mnist" or "digits")."""
    return {"fashion_mnist": _fashion_mnist.CLASSES, "digits": _digits.CLASSES}[_canonical(name, auto=False)]


def resolve(name: str | None = None, *, cache_dir: str | Path | None = None, base_url: str | None = None,
            checksums: dict[str, str] | None = None, connect_timeout: float = 3.0) -> tuple[str, str]:
    """Decide which dataset `load` would use: returns ``(name, reason)`` without downloading anything."""
    from_env = os.environ.get("LRLIB_DATASET", "").strip()
    requested, source = (name, "requested") if name is not None else (
        (from_env, "from LRLIB_DATASET") if from_env else ("auto", "default"))
    canonical = _canonical(requested, auto=True)
    if canonical != "auto":
        return canonical, f"{source}: {requested!r}"
    cache = _cache_dir(cache_dir)
    if _fashion_mnist.is_cached(cache, checksums or _fashion_mnist.CHECKSUMS):
        return "fashion_mnist", f"auto: Fashion-MNIST is in the cache {cache}"
    if _fashion_mnist.any_mirror_reachable(base_url, connect_timeout):
        return "fashion_mnist", f"auto: Fashion-MNIST is not cached, downloading it into {cache}"
    return "digits", (f"auto: Fashion-MNIST is not in the cache {cache} and no mirror answered within "
                      f"{connect_timeout:g} s (offline?); set LRLIB_DATASET=fashion_mnist to insist")


def arrays(name: str, *, cache_dir: str | Path | None = None, base_url: str | None = None,
           checksums: dict[str, str] | None = None, test_fraction: float = 0.25, split_seed: int = 0) -> Arrays:
    """((x_train, y_train), (x_test, y_test)) of dataset `name`: float32 (N, 28, 28) in [0, 1], int64 labels.

    Fashion-MNIST is downloaded into the cache if needed (see `load`); digits ignore the download arguments,
    Fashion-MNIST ignores `test_fraction` and `split_seed` (it has an official split). The arrays are
    read-only and shared between calls; `load` hands out copies.
    """
    name = _canonical(name, auto=False)
    if name == "digits":
        key: tuple = ("digits", test_fraction, split_seed)
        build = lambda: _digits.load_arrays(test_fraction, split_seed)  # noqa: E731
    else:
        cache, sums = _cache_dir(cache_dir), checksums or _fashion_mnist.CHECKSUMS
        key = ("fashion_mnist", str(cache.resolve()), tuple(sorted(sums.items())))
        build = lambda: _scaled(_fashion_mnist.read(_fashion_mnist.fetch(cache, base_url, sums)))  # noqa: E731
    if key not in _MEMORY:
        _MEMORY[key] = _read_only(build())
    return _MEMORY[key]


def load(name: str | None = None, batch_size: int = 256, *, framework: str = "torch", layout: str | None = None,
         cache_dir: str | Path | None = None, seed: int = 0, base_url: str | None = None,
         checksums: dict[str, str] | None = None, connect_timeout: float = 3.0, test_fraction: float = 0.25,
         split_seed: int = 0):
    """Load a course dataset for PyTorch (DataLoaders) or Keras/TensorFlow (numpy arrays).

    Args:
        name: "fashion_mnist", "digits" or "auto"; None reads ``LRLIB_DATASET`` (default "auto": Fashion-MNIST
            if cached or reachable within `connect_timeout` seconds, else digits).
        batch_size: examples per batch of the PyTorch DataLoaders (positive; unused for numpy).
        framework: "torch" returns ``(train_iter, test_iter)`` DataLoaders, the training one shuffled by a
            generator seeded with `seed`; ``train_iter.dataset.name`` and ``.classes`` say what was loaded. "numpy" (or "keras", "tensorflow") returns
            ``((x_train, y_train), (x_test, y_test))`` float32 images and int64 labels.
        layout: "NCHW" (channels first, PyTorch's convention, the default for torch) or "NHWC" (channels last,
            Keras's default, the default for numpy).
        cache_dir: where Fashion-MNIST is stored; default `default_cache_dir()` (``$LRLIB_CACHE``, else
            ``$XDG_CACHE_HOME/lrlib``, else ``~/.cache/lrlib``).
        seed: seed of the training DataLoader's shuffling.
        base_url: a Fashion-MNIST mirror to use instead of the official ones (also ``LRLIB_FASHION_MNIST_URL``).
        checksums: file name -> MD5 replacing the published checksums (for a private mirror or tests).
        connect_timeout: seconds "auto" waits for a mirror before falling back to digits.
        test_fraction, split_seed: digits only: the stratified train/test split (fixed by default).

    Raises:
        DatasetUnavailableError: Fashion-MNIST was asked for explicitly and cannot be downloaded.
        ValueError: an unknown name, framework or layout, or a non-positive batch size.
    """
    if framework not in _FRAMEWORKS:
        raise ValueError(f"framework must be one of {_FRAMEWORKS}, got {framework!r}")
    layout = layout or ("NCHW" if framework == "torch" else "NHWC")
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if framework == "torch" and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    chosen, reason = resolve(name, cache_dir=cache_dir, base_url=base_url, checksums=checksums,
                             connect_timeout=connect_timeout)
    options = dict(cache_dir=cache_dir, base_url=base_url, checksums=checksums)
    try:
        data = arrays(chosen, **options, test_fraction=test_fraction, split_seed=split_seed)
    except DatasetUnavailableError as exc:
        if not reason.startswith("auto"):
            raise
        chosen, reason = "digits", f"auto: the Fashion-MNIST download failed ({exc}); using the offline digits"
        data = arrays(chosen, test_fraction=test_fraction, split_seed=split_seed)
    (x_train, y_train), (x_test, y_test) = data
    print(f"lrlib.data: using {_TITLES[chosen]}, {len(y_train):,} training and {len(y_test):,} test images "
          f"of 28x28 ({reason})")
    train = _with_channel(x_train, layout), np.array(y_train)
    test = _with_channel(x_test, layout), np.array(y_test)
    if framework == "torch":
        return _loaders(chosen, train, test, batch_size, seed)
    return train, test


_TITLES = {"fashion_mnist": "Fashion-MNIST", "digits": "scikit-learn digits (8x8 upsampled)"}


def _canonical(name: str, *, auto: bool) -> str:
    canonical = _ALIASES.get(str(name).strip().lower()) if isinstance(name, str) else None
    if canonical is None or (canonical == "auto" and not auto):
        allowed = NAMES + (("auto",) if auto else ())
        raise ValueError(f"dataset name must be one of {allowed}, got {name!r}")
    return canonical


def _cache_dir(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def _scaled(data: Arrays) -> Arrays:
    (x_train, y_train), (x_test, y_test) = data
    return (x_train.astype(np.float32) / 255.0, y_train), (x_test.astype(np.float32) / 255.0, y_test)


def _read_only(data: Arrays) -> Arrays:
    for split in data:
        for array in split:
            array.flags.writeable = False
    return data


def _with_channel(images: np.ndarray, layout: str) -> np.ndarray:
    """A writable copy with the channel axis added where `layout` puts it."""
    return np.array(images[:, None] if layout == "NCHW" else images[..., None])


def _loaders(name: str, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], batch_size: int,
             seed: int):
    """DataLoaders over tensor datasets that know their name and classes (``train_iter.dataset.name``)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    def dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
        labelled = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        labelled.name, labelled.classes = name, class_names(name)
        return labelled

    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(dataset(*train), batch_size=batch_size, shuffle=True, generator=generator),
            DataLoader(dataset(*test), batch_size=batch_size, shuffle=False))
