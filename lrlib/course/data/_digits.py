"""scikit-learn's handwritten digits, resized to Fashion-MNIST's 28x28 so the same LeNet applies offline.

`sklearn.datasets.load_digits` ships with scikit-learn: 1,797 real 8x8 digits (UCI optdigits test set),
pixel values 0..16. They are upsampled bilinearly to 28x28, scaled to [0, 1], and split into train and test
sets stratified by class with a fixed seed, so every run and every notebook sees the same split.
"""

from __future__ import annotations

import numpy as np

CLASSES = tuple(str(d) for d in range(10))
SIZE = 28


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The (n_out, n_in) matrix that resamples a 1-D signal bilinearly with half-pixel centres.

    Applied along both axes it equals ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``.
    """
    x = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0, n_in - 1)
    lo = np.floor(x).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), lo), 1.0 - (x - lo))
    np.add.at(weights, (np.arange(n_out), hi), x - lo)
    return weights


def resize(images: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Resize a stack of square images (N, h, h) to (N, size, size) bilinearly."""
    m = bilinear_matrix(images.shape[-1], size)
    return np.einsum("ij,njk,lk->nil", m, images, m)


def load_arrays(test_fraction: float = 0.25, split_seed: int = 0):
    """((x_train, y_train), (x_test, y_test)): float32 images (N, 28, 28) in [0, 1], int64 labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    digits = load_digits()
    images = (resize(digits.images / 16.0)).clip(0.0, 1.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=split_seed
    )
    return (x_train, y_train), (x_test, y_test)
