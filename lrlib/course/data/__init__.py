"""The course's datasets: scikit-learn's digits offline (the default), Fashion-MNIST on request.

`load` returns PyTorch DataLoaders or numpy arrays of 28x28 grayscale images in [0, 1] with 10 classes,
so the same LeNet trains on either dataset. Which dataset is used comes from the `name` argument, else the
environment variable ``LRLIB_DATASET``, else the offline digits, so that a learner sees the numbers the
course website shows. Fashion-MNIST (``LRLIB_DATASET=fashion_mnist``) is downloaded by torchvision.
`load` always prints which dataset it used and why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from lrlib.course.data import _digits, _fashion_mnist
from lrlib.course.data._fashion_mnist import DatasetUnavailableError, default_cache_dir

__all__ = ["load", "resolve", "arrays", "class_names", "default_cache_dir", "DatasetUnavailableError", "NAMES"]

NAMES = ("digits", "fashion_mnist")
_ALIASES = {"fashion_mnist": "fashion_mnist", "fashion-mnist": "fashion_mnist", "fashionmnist": "fashion_mnist",
            "digits": "digits"}
_FRAMEWORKS = ("torch", "numpy", "keras", "tensorflow")
_LAYOUTS = ("NHWC", "NCHW")
_MEMORY: dict[tuple, Any] = {}  # prepared arrays, so that repeated loads in one process are cheap

Arrays = _fashion_mnist.Arrays


def class_names(name: str) -> tuple[str, ...]:
    """The 10 class names of dataset `name` ("digits" or "fashion_mnist")."""
    return {"fashion_mnist": _fashion_mnist.CLASSES, "digits": _digits.CLASSES}[_canonical(name)]


def resolve(name: str | None = None) -> tuple[str, str]:
    """Which dataset `load` would use, and why: ``(name, reason)``, without loading anything."""
    if name is not None:
        return _canonical(name), f"requested: {name!r}"
    from_env = os.environ.get("LRLIB_DATASET", "").strip()
    if from_env:
        return _canonical(from_env), f"from LRLIB_DATASET: {from_env!r}"
    return "digits", "the default; LRLIB_DATASET=fashion_mnist selects Fashion-MNIST"


def arrays(name: str, *, cache_dir: str | Path | None = None, base_url: str | None = None,
           checksums: dict[str, str] | None = None, test_fraction: float = 0.25, split_seed: int = 0) -> Arrays:
    """((x_train, y_train), (x_test, y_test)) of dataset `name`: float32 (N, 28, 28) in [0, 1], int64 labels.

    Fashion-MNIST is downloaded into the cache if needed (see `load`); digits ignore the download arguments,
    Fashion-MNIST ignores `test_fraction` and `split_seed` (it has an official split). The arrays are
    read-only and shared between calls; `load` hands out copies.
    """
    name = _canonical(name)
    if name == "digits":
        key: tuple = ("digits", test_fraction, split_seed)
        build = lambda: _digits.load_arrays(test_fraction, split_seed)  # noqa: E731
    else:
        cache = _cache_dir(cache_dir)
        key = ("fashion_mnist", str(cache.resolve()), base_url, tuple(sorted((checksums or {}).items())))
        build = lambda: _scaled(_fashion_mnist.load_arrays(cache, base_url, checksums))  # noqa: E731
    if key not in _MEMORY:
        _MEMORY[key] = _read_only(build())
    return _MEMORY[key]


def load(name: str | None = None, batch_size: int = 256, *, framework: str = "torch", layout: str | None = None,
         cache_dir: str | Path | None = None, seed: int = 0, max_train: int | None = None,
         max_test: int | None = None, base_url: str | None = None, checksums: dict[str, str] | None = None,
         test_fraction: float = 0.25, split_seed: int = 0):
    """Load a course dataset for PyTorch (DataLoaders) or Keras/TensorFlow (numpy arrays).

    Args:
        name: "digits" or "fashion_mnist"; None reads ``LRLIB_DATASET`` (default: digits).
        batch_size: examples per batch of the PyTorch DataLoaders (positive; unused for numpy).
        framework: "torch" returns ``(train_iter, test_iter)`` DataLoaders, the training one shuffled by a
            generator seeded with `seed`; ``train_iter.dataset.name`` and ``.classes`` say what was loaded.
            "numpy" (or "keras", "tensorflow") returns ``((x_train, y_train), (x_test, y_test))`` float32
            images and int64 labels.
        layout: "NCHW" (channels first, PyTorch's convention, the default for torch) or "NHWC" (channels last,
            Keras's default, the default for numpy).
        cache_dir: where Fashion-MNIST is stored; default `default_cache_dir()` (``$LRLIB_CACHE``, else
            ``$XDG_CACHE_HOME/lrlib``, else ``~/.cache/lrlib``).
        seed: seed of the training DataLoader's shuffling.
        max_train, max_test: at most this many training / test images (a positive integer, or None for all):
            a fixed subset, stratified by class and drawn with `split_seed`, so a chapter can cap its work on
            the 60,000 Fashion-MNIST images. A cap at or above the split's size changes nothing.
        base_url: a Fashion-MNIST mirror to use instead of torchvision's (also ``LRLIB_FASHION_MNIST_URL``).
        checksums: file name -> MD5 replacing the published checksums (for a private mirror or tests).
        test_fraction: digits only: the share of the stratified test split.
        split_seed: the seed of the digits' train/test split and of the subsets `max_train`/`max_test` draw.

    Raises:
        DatasetUnavailableError: Fashion-MNIST cannot be downloaded (offline, or a checksum mismatch).
        ValueError: an unknown name, framework or layout, or a non-positive batch size or cap.
    """
    if framework not in _FRAMEWORKS:
        raise ValueError(f"framework must be one of {_FRAMEWORKS}, got {framework!r}")
    layout = layout or ("NCHW" if framework == "torch" else "NHWC")
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if framework == "torch" and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    for argument, cap in (("max_train", max_train), ("max_test", max_test)):
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError(f"{argument} must be a positive integer or None, got {cap!r}")
    chosen, reason = resolve(name)
    data = arrays(chosen, cache_dir=cache_dir, base_url=base_url, checksums=checksums,
                  test_fraction=test_fraction, split_seed=split_seed)
    data = (_subset(*data[0], max_train, split_seed), _subset(*data[1], max_test, split_seed))
    (x_train, y_train), (x_test, y_test) = data
    print(f"lrlib.course.data: using {_TITLES[chosen]}, {len(y_train):,} training and {len(y_test):,} test images "
          f"of 28x28 ({reason})")
    train = _with_channel(x_train, layout), np.array(y_train)
    test = _with_channel(x_test, layout), np.array(y_test)
    if framework == "torch":
        return _loaders(chosen, train, test, batch_size, seed)
    return train, test


_TITLES = {"fashion_mnist": "Fashion-MNIST", "digits": "scikit-learn digits (8x8 upsampled)"}


def _canonical(name: str) -> str:
    canonical = _ALIASES.get(name.strip().lower()) if isinstance(name, str) else None
    if canonical is None:
        raise ValueError(f"dataset name must be one of {NAMES}, got {name!r}")
    return canonical


def _subset(images: np.ndarray, labels: np.ndarray, cap: int | None, split_seed: int):
    """At most `cap` examples, stratified by class and fixed by `split_seed` (all of them when `cap` is None)."""
    if cap is None or cap >= len(labels):
        return images, labels
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(labels)), train_size=cap, stratify=labels, random_state=split_seed)
    keep.sort()
    return images[keep], labels[keep]


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
        labelled.name, labelled.classes = name, class_names(name)  # type: ignore[attr-defined]  # read by d2l
        return labelled

    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(dataset(*train), batch_size=batch_size, shuffle=True, generator=generator),
            DataLoader(dataset(*test), batch_size=batch_size, shuffle=False))
