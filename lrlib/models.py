"""The course's model: LeNet as in the d2l book's learning-rate-scheduling chapter (ReLU, max pooling).

Input 28x28 with one channel; two 5x5 convolutions (6 and 16 channels, the first padded to keep 28x28), each
followed by ReLU and 2x2 max pooling; then dense layers of 120 and 84 ReLU units and 10 outputs. The output is
logits (no softmax): pair it with ``nn.CrossEntropyLoss()`` or
``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``. Each builder imports its framework only
when called.
"""

from __future__ import annotations

NUM_CLASSES = 10


def lenet_torch(seed: int | None = None):
    """LeNet as a ``torch.nn.Sequential`` taking NCHW input of shape (N, 1, 28, 28); 61,706 parameters.

    With `seed`, the initial weights (PyTorch's default initialization) are drawn after
    ``torch.manual_seed(seed)`` inside a forked RNG, so the global random state is left untouched; without it
    they come from the global generator.
    """
    import torch
    from torch import nn

    def build() -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, NUM_CLASSES),
        )

    if seed is None:
        return build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def lenet_keras(seed: int | None = None):
    """LeNet as a ``keras.Sequential`` taking NHWC input of shape (N, 28, 28, 1); 61,706 parameters.

    With `seed`, each layer's Glorot-uniform kernel initializer (Keras's default) gets its own seed derived
    from it, so two models built with the same seed start from identical weights without touching global
    random state.
    """
    import keras
    from keras import layers

    def init(layer: int):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + layer)

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(6, 5, padding="same", activation="relu", kernel_initializer=init(0)),
        layers.MaxPooling2D(pool_size=2, strides=2),
        layers.Conv2D(16, 5, activation="relu", kernel_initializer=init(1)),
        layers.MaxPooling2D(pool_size=2, strides=2),
        layers.Flatten(),
        layers.Dense(120, activation="relu", kernel_initializer=init(2)),
        layers.Dense(84, activation="relu", kernel_initializer=init(3)),
        layers.Dense(NUM_CLASSES, kernel_initializer=init(4)),
    ], name="lenet")
