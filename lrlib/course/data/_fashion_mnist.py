"""Fashion-MNIST (Zalando Research): 70,000 28x28 grayscale images of clothing in 10 classes.

`torchvision.datasets.FashionMNIST` does the work: it downloads the four gzip files, checks their MD5
against the published values and parses the IDX format. This module adds what the course needs around it:
a mirror that the environment variable ``LRLIB_FASHION_MNIST_URL`` can replace, a cache that is checked
again when a file in it is corrupt, and an error that says what to do on an offline machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SUBDIR = "fashion_mnist"

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DatasetUnavailableError(OSError):
    """A dataset is neither in the cache nor downloadable (offline, mirror down, or checksum mismatch)."""


def default_cache_dir() -> Path:
    """Where lrlib caches downloads: ``$LRLIB_CACHE``, else ``$XDG_CACHE_HOME/lrlib``, else ``~/.cache/lrlib``."""
    if os.environ.get("LRLIB_CACHE"):
        return Path(os.environ["LRLIB_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "lrlib"


def load_arrays(cache_dir: Path, base_url: str | None = None, checksums: dict[str, str] | None = None) -> Arrays:
    """((x_train, y_train), (x_test, y_test)): uint8 images (N, 28, 28) and int64 labels, downloaded if needed.

    Args:
        cache_dir: lrlib's cache; the files go to ``cache_dir / "fashion_mnist"``.
        base_url: a mirror to use instead of torchvision's (also ``$LRLIB_FASHION_MNIST_URL``).
        checksums: file name -> MD5 replacing the published checksums (a private mirror, or tests).

    Raises:
        DatasetUnavailableError: a file could not be downloaded, or its checksum does not match.
    """
    dataset_class = _dataset_class(base_url, checksums)
    root = cache_dir / SUBDIR
    raw = root / "FashionMNIST" / "raw"
    _drop_damaged(dataset_class.resources, raw)
    try:
        return _read(dataset_class, root)
    except RuntimeError as exc:  # torchvision's error for a failed download or a checksum mismatch
        if "Error downloading" in str(exc):
            raise _unavailable(exc, root) from exc
        failure: Exception = exc
    except (AssertionError, ValueError, TypeError) as exc:  # what torchvision's IDX parser raises
        failure = exc
    print(f"lrlib.course.data: the Fashion-MNIST files in {raw} are unreadable ({failure!r}); extracting them again")
    for extracted in raw.glob("*-ubyte"):
        extracted.unlink()
    try:
        return _read(dataset_class, root)
    except RuntimeError as exc:
        raise _unavailable(exc, root) from exc


def _drop_damaged(resources: list[tuple[str, str]], raw: Path) -> None:
    """Delete each cached .gz whose MD5 differs from `resources`, with its extracted file, so it is fetched again."""
    from torchvision.datasets.utils import check_integrity

    for name, md5 in resources:
        archive = raw / name
        if archive.exists() and not check_integrity(str(archive), md5):
            print(f"lrlib.course.data: cached {archive} is corrupt or truncated (MD5 differs); downloading it again")
            archive.unlink()
            (raw / archive.stem).unlink(missing_ok=True)


def _dataset_class(base_url: str | None, checksums: dict[str, str] | None) -> type[Any]:
    """torchvision's FashionMNIST, with lrlib's mirror and checksums when they are given."""
    from torchvision.datasets import FashionMNIST

    url = base_url or os.environ.get("LRLIB_FASHION_MNIST_URL")
    overrides: dict = {}
    if url:
        overrides["mirrors"] = [url if url.endswith("/") else url + "/"]
    if checksums:
        overrides["resources"] = [(name, checksums[name]) for name, _ in FashionMNIST.resources]
    # The class keeps torchvision's name, so its files stay in torchvision's folder layout.
    return type("FashionMNIST", (FashionMNIST,), overrides) if overrides else FashionMNIST


def _read(dataset_class: type, root: Path) -> Arrays:
    splits = [dataset_class(str(root), train=train, download=True) for train in (True, False)]
    return tuple((split.data.numpy(), split.targets.numpy().astype(np.int64)) for split in splits)  # type: ignore


def _unavailable(exc: Exception, root: Path) -> DatasetUnavailableError:
    return DatasetUnavailableError(
        f"Fashion-MNIST could not be downloaded into {root}:\n{exc}\n"
        f"If this machine is offline, copy the four .gz files into {root / 'FashionMNIST' / 'raw'}, or use the "
        "offline dataset: lrlib.course.data.load('digits') or the environment variable LRLIB_DATASET=digits."
    )
