"""The course's models: LeNet as in the d2l book's learning-rate-scheduling chapter (ReLU, max pooling), and a
small residual CNN with batch normalization (`resnet_keras`) for the one-cycle chapter.

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


def resnet_keras(seed: int | None = None, width: int = 16):
    """A small residual CNN with batch normalization, as a functional ``keras.Model`` (NHWC, 28x28x1).

    The layout of He et al.'s CIFAR ResNets, shrunk to run in seconds on a CPU: a stride-2 3x3 stem
    convolution (28x28 -> 14x14, `width` channels), one residual block at 14x14, a stride-2 block to 7x7
    with ``2 * width`` channels (its shortcut a stride-2 1x1 convolution), global average pooling and a dense
    layer of 10 logits. Each block is conv-BN-ReLU-conv-BN, added to the shortcut, then ReLU. With the default
    width it has 19,994 parameters, 288 of them batch-norm moving statistics (momentum 0.9, so that they
    follow the weights within the few hundred steps a lesson trains).

    Args:
        seed: seeds each layer's He-normal kernel initializer (a distinct seed per layer), so two models built
            with the same seed start from identical weights without touching global random state.
        width: channels of the first stage (positive).

    Returns:
        An uncompiled ``keras.Model`` named ``"resnet"``; pair its logits with
        ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.

    Raises:
        ValueError: `width` is not a positive integer.

    Example:
        >>> model = resnet_keras(seed=0)  # doctest: +SKIP
        >>> model.output_shape  # doctest: +SKIP
        (None, 10)
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    import keras
    from keras import layers

    counter = iter(range(100))

    def conv(channels: int, kernel: int = 3, strides: int = 1):
        index = next(counter)
        init = keras.initializers.HeNormal(seed=None if seed is None else seed + index)
        return layers.Conv2D(channels, kernel, strides=strides, padding="same", use_bias=False,
                             kernel_initializer=init)

    def block(x, channels: int, strides: int):
        shortcut = x
        if strides != 1 or x.shape[-1] != channels:
            shortcut = layers.BatchNormalization(momentum=0.9)(conv(channels, 1, strides)(x))
        y = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(conv(channels, 3, strides)(x)))
        y = layers.BatchNormalization(momentum=0.9)(conv(channels)(y))
        return layers.ReLU()(layers.Add()([y, shortcut]))

    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(conv(width, 3, 2)(inputs)))
    x = block(x, width, 1)
    x = block(x, 2 * width, 2)
    x = layers.GlobalAveragePooling2D()(x)
    dense_init = keras.initializers.GlorotUniform(seed=None if seed is None else seed + next(counter))
    outputs = layers.Dense(NUM_CLASSES, kernel_initializer=dense_init)(x)
    return keras.Model(inputs, outputs, name="resnet")
