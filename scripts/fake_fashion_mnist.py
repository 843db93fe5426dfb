"""Write a stand-in for Fashion-MNIST into an lrlib cache, to time the chapters' opt-in path offline.

The files have Fashion-MNIST's names, format and sizes (60,000 training and 10,000 test images of 28x28,
uint8, 10 classes), laid out where torchvision looks for extracted files, so that
``LRLIB_CACHE=DIR LRLIB_DATASET=fashion_mnist`` makes every chapter load them without a download. The images
are scikit-learn's digits, shifted by up to two pixels and overlaid with noise: learnable, like the real
data, but not the real data. Only the time a chapter takes on 60,000 images is measured with them.

    python scripts/fake_fashion_mnist.py /tmp/fake-cache
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lrlib.course.data import _digits

SIZES = {"train": 60_000, "t10k": 10_000}


def images_and_labels(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` jittered, noisy digits as uint8 (count, 28, 28) and their labels as uint8."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    base = _digits.resize(digits.images / 16.0).clip(0.0, 1.0)
    pick = rng.integers(0, len(base), count)
    shifts = rng.integers(-2, 3, (count, 2))
    images = np.stack([np.roll(base[i], tuple(s), axis=(0, 1)) for i, s in zip(pick, shifts)])
    images = (images + rng.normal(0.0, 0.1, images.shape)).clip(0.0, 1.0)
    return (images * 255).astype(np.uint8), digits.target[pick].astype(np.uint8)


def write_idx(path: Path, array: np.ndarray) -> None:
    """uint8 IDX: two zero bytes, type code 0x08, the number of dimensions, big-endian sizes, the values."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path, help="the directory to use as LRLIB_CACHE")
    raw = parser.parse_args().cache / "fashion_mnist" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, count in SIZES.items():
        images, labels = images_and_labels(count, rng)
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
    print(f"wrote a Fashion-MNIST-shaped stand-in ({SIZES['train']:,} + {SIZES['t10k']:,} images) to {raw}")


if __name__ == "__main__":
    main()
