"""Fashion-MNIST (Zalando Research): 70,000 28x28 grayscale images of clothing in 10 classes.

Files and MD5 checksums as published at https://github.com/zalandoresearch/fashion-mnist (the same values
torchvision checks). The default mirrors are the dataset's own S3 bucket and the files in its GitHub
repository; `base_url` or the environment variable ``LRLIB_FASHION_MNIST_URL`` replaces them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lrlib.data._download import DatasetUnavailableError, download, is_valid, reachable
from lrlib.data._idx import IDXError, read_idx_gz

MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
CHECKSUMS = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SUBDIR = "fashion_mnist"

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def mirrors(base_url: str | None = None) -> tuple[str, ...]:
    """The base URLs to try, in order: `base_url`, else ``$LRLIB_FASHION_MNIST_URL``, else `MIRRORS`."""
    url = base_url or os.environ.get("LRLIB_FASHION_MNIST_URL")
    return (url if url.endswith("/") else url + "/",) if url else MIRRORS


def is_cached(cache_dir: Path, checksums: dict[str, str] = CHECKSUMS) -> bool:
    """True when all four files are in `cache_dir` with the published checksums."""
    return all(is_valid(cache_dir / SUBDIR / name, md5) for name, md5 in checksums.items())


def any_mirror_reachable(base_url: str | None = None, timeout: float = 3.0) -> bool:
    """True when one of the mirrors accepts a connection within `timeout` seconds."""
    return any(reachable(url, timeout) for url in mirrors(base_url))


def fetch(cache_dir: Path, base_url: str | None = None, checksums: dict[str, str] = CHECKSUMS, *,
          timeout: float = 30.0) -> dict[str, Path]:
    """Make sure the four files are in `cache_dir` with the right checksums; download what is missing or corrupt.

    Returns the path of each file. Raises `DatasetUnavailableError`, listing every URL tried and why it
    failed, when a file cannot be obtained.
    """
    folder = cache_dir / SUBDIR
    paths = {}
    for name, md5 in checksums.items():
        path = folder / name
        if path.exists() and not is_valid(path, md5):
            print(f"lrlib.data: cached {path} is corrupt or truncated (MD5 differs); downloading it again")
        if not is_valid(path, md5):
            _download_from_mirrors(name, path, md5, mirrors(base_url), timeout)
        paths[name] = path
    return paths


def _download_from_mirrors(name: str, path: Path, md5: str, bases: tuple[str, ...], timeout: float) -> None:
    errors = []
    for base in bases:
        try:
            download(base + name, path, md5, timeout=timeout)
            return
        except DatasetUnavailableError as exc:
            errors.append(str(exc))
    raise DatasetUnavailableError(
        f"Fashion-MNIST file {name} could not be downloaded:\n  " + "\n  ".join(errors) + "\n"
        f"If this machine is offline, copy the four .gz files into {path.parent}, or use the offline dataset: "
        "lrlib.data.load('digits') or the environment variable LRLIB_DATASET=digits."
    )


def read(paths: dict[str, Path]) -> Arrays:
    """Parse the four files into ((x_train, y_train), (x_test, y_test)): uint8 images (N, 28, 28), int64 labels."""
    try:
        arrays = {name: read_idx_gz(path) for name, path in paths.items()}
    except IDXError as exc:
        raise DatasetUnavailableError(f"Fashion-MNIST file is unreadable although its checksum matched: {exc}") from exc
    x_train, y_train = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"].astype(np.int64)
    x_test, y_test = arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"].astype(np.int64)
    for images, labels in ((x_train, y_train), (x_test, y_test)):
        if images.ndim != 3 or images.shape[0] != labels.shape[0]:
            raise DatasetUnavailableError(f"Fashion-MNIST images {images.shape} and labels {labels.shape} disagree")
    return (x_train, y_train), (x_test, y_test)
