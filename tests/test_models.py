"""lrlib.course.models: the d2l LeNet (ReLU, max pooling) in PyTorch and Keras."""

from __future__ import annotations

import numpy as np
import pytest

from lrlib.course import models

# d2l's LeNet: conv 1->6 (5x5), conv 6->16 (5x5), dense 400->120->84->10, each with a bias.
LAYERS = [(1 * 5 * 5, 6), (6 * 5 * 5, 16), (16 * 5 * 5, 120), (120, 84), (84, 10)]
PARAMETERS = sum(fan_in * units + units for fan_in, units in LAYERS)


def test_torch_lenet_architecture():
    torch = pytest.importorskip("torch")
    from torch import nn

    net = models.lenet_torch(0)
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in net.parameters()) == PARAMETERS
    kinds = [type(layer) for layer in net]
    assert kinds.count(nn.ReLU) == 4 and kinds.count(nn.MaxPool2d) == 2
    assert not any(k in kinds for k in (nn.Sigmoid, nn.AvgPool2d, nn.Softmax))


def test_torch_lenet_seed_fixes_weights_without_touching_the_global_rng():
    torch = pytest.importorskip("torch")

    state = torch.get_rng_state()
    a, b, c = models.lenet_torch(1), models.lenet_torch(1), models.lenet_torch(2)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


def test_keras_lenet_matches_the_torch_architecture_and_seeds():
    keras = pytest.importorskip("keras")

    net = models.lenet_keras(0)
    assert net.count_params() == PARAMETERS
    assert tuple(net(np.zeros((2, 28, 28, 1), "float32")).shape) == (2, 10)
    assert [type(layer).__name__ for layer in net.layers].count("MaxPooling2D") == 2
    assert all(layer.activation is keras.activations.relu for layer in net.layers[:-1] if hasattr(layer, "activation"))
    same = models.lenet_keras(0).get_weights()
    assert all(np.array_equal(u, v) for u, v in zip(net.get_weights(), same))
    assert not np.array_equal(net.get_weights()[0], models.lenet_keras(1).get_weights()[0])


def test_keras_lenet_trains_on_the_numpy_data():
    keras = pytest.importorskip("keras")
    from lrlib.course import data

    (x_train, y_train), _ = data.load("digits", framework="numpy")
    net = models.lenet_keras(0)
    net.compile(optimizer=keras.optimizers.SGD(0.1),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    before = net.evaluate(x_train[:256], y_train[:256], verbose=0)[0]
    net.fit(x_train[:256], y_train[:256], batch_size=32, epochs=3, verbose=0, shuffle=False)
    assert net.evaluate(x_train[:256], y_train[:256], verbose=0)[0] < before


def test_keras_resnet_has_batch_norm_residual_blocks_and_seeded_weights():
    keras = pytest.importorskip("keras")

    net = models.resnet_keras(0)
    assert tuple(net(np.zeros((2, 28, 28, 1), "float32")).shape) == (2, 10)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("Add") == 2 and kinds.count("BatchNormalization") == 6
    assert net.count_params() == 19_994
    same = models.resnet_keras(0).get_weights()
    assert all(np.array_equal(u, v) for u, v in zip(net.get_weights(), same))
    assert not np.array_equal(net.get_weights()[0], models.resnet_keras(1).get_weights()[0])
    assert models.resnet_keras(0, width=8).count_params() < net.count_params()
    with pytest.raises(ValueError, match="width must be a positive integer"):
        models.resnet_keras(0, width=0)


def test_keras_resnet_learns_the_digits_in_two_epochs():
    keras = pytest.importorskip("keras")
    from lrlib.course import data

    (x_train, y_train), (x_test, y_test) = data.load("digits", framework="numpy")
    keras.utils.set_random_seed(0)
    net = models.resnet_keras(0)
    net.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    net.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
    assert net.evaluate(x_test, y_test, verbose=0)[1] > 0.5
