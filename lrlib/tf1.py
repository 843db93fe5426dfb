"""TensorFlow 1 style training in TensorFlow 2: a graph, placeholders, a global step and a session loop.

Pre-2019 TensorFlow code (TensorFlow 1 tutorials) computes the learning rate as a tensor of the global step,
with ``tf.cond``, ``tf.compat.v1.train.exponential_decay`` or ``piecewise_constant``, or feeds it through a
placeholder from Python at every step. That code still runs in TensorFlow 2 through ``tf.compat.v1``. This
module holds the plumbing notebook 04 and its exercises share: a small classifier built from placeholders and
variables, a momentum optimizer whose learning rate is whatever tensor you give it, a session loop that logs
training and validation loss, and a helper that reads any step -> LR function off a graph.

Every graph is built in its own ``tf.Graph``, so all of this works whether or not eager execution has been
disabled with ``tf.compat.v1.disable_eager_execution()``. Importing this module imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

__all__ = ["GraphModel", "momentum_graph", "train", "lr_values", "plot_losses"]


@dataclass(frozen=True)
class GraphModel:
    """The tensors and ops of one training graph built by `momentum_graph`."""

    graph: Any  # tf.Graph
    x: Any  # float32 placeholder (batch, input_dim)
    y: Any  # int64 placeholder (batch,)
    loss: Any  # mean softmax cross-entropy
    global_step: Any  # int64 variable, incremented by every train_op run
    lr: Any  # the learning-rate tensor the optimizer reads (a placeholder if fed from Python)
    train_op: Any  # one momentum-SGD update


def momentum_graph(lr_fn: Callable[[Any], Any], input_dim: int, *, hidden: int = 64, num_classes: int = 10,
                   momentum: float = 0.9, seed: int = 0) -> GraphModel:
    """Build a one-hidden-layer ReLU classifier trained by ``tf.compat.v1.train.MomentumOptimizer``.

    ``lr_fn(global_step)`` is called inside the new graph and must return the learning-rate tensor: for
    example ``lambda step: tf.cond(step < 300, lambda: 0.1, lambda: 0.01)``, or a placeholder to feed from
    Python (see `train`'s ``lr_feed``). The optimizer's ``minimize(..., global_step=...)`` increments the
    global step after each update, so update k (0-based) uses the learning rate at step k. Weights are
    He-initialized from `seed`: two graphs with the same seed start from identical weights.
    """
    for name, value in (("input_dim", input_dim), ("hidden", hidden), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.float32, [None, input_dim], name="x")
        y = v1.placeholder(tf.int64, [None], name="y")
        w1 = tf.Variable(tf.random.normal([input_dim, hidden], stddev=np.sqrt(2.0 / input_dim), seed=seed))
        w2 = tf.Variable(tf.random.normal([hidden, num_classes], stddev=np.sqrt(1.0 / hidden), seed=seed + 1))
        b1, b2 = tf.Variable(tf.zeros([hidden])), tf.Variable(tf.zeros([num_classes]))
        logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        global_step = v1.train.get_or_create_global_step()
        lr = lr_fn(global_step)
        train_op = v1.train.MomentumOptimizer(lr, momentum=momentum).minimize(loss, global_step=global_step)
    return GraphModel(graph, x, y, loss, global_step, lr, train_op)


def train(model: GraphModel, train_data: tuple[np.ndarray, np.ndarray], val_data: tuple[np.ndarray, np.ndarray],
          *, steps: int, batch_size: int = 32, log_every: int = 10, seed: int = 0,
          lr_feed: Callable[[int], float] | None = None) -> dict[str, np.ndarray]:
    """Run `steps` updates in a session on shuffled mini-batches; return the logged curves.

    Images are flattened to vectors. Every `log_every` updates the loss on the whole training set and on the
    validation set is recorded (no noise from single batches). With `lr_feed` (a function step -> LR, such as
    an lrlib schedule) the model's ``lr`` must be a placeholder and is fed ``lr_feed(k)`` at update k: the
    placeholder way of decaying the learning rate from outside the graph.

    Returns a dict of numpy arrays: ``step`` (the update counts at which losses were logged), ``train_loss``,
    ``val_loss``, and ``lr`` (the learning rate every update used, as the graph computed it).
    """
    for name, value in (("steps", steps), ("batch_size", batch_size), ("log_every", log_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    is_placeholder = model.lr.op.type == "Placeholder"
    if is_placeholder != (lr_feed is not None):
        raise ValueError("lr_feed must be given exactly when the model's learning rate is a placeholder "
                         f"(its lr is a {model.lr.op.type} op, lr_feed is {'set' if lr_feed else 'None'})")
    x_train, y_train = _flat(train_data[0]), np.asarray(train_data[1])
    x_val, y_val = _flat(val_data[0]), np.asarray(val_data[1])
    whole_train, whole_val = {model.x: x_train, model.y: y_train}, {model.x: x_val, model.y: y_val}
    batches = _batch_indices(len(y_train), batch_size, steps, seed)
    log: dict[str, list] = {"step": [], "train_loss": [], "val_loss": [], "lr": []}
    with v1.Session(graph=model.graph) as session:
        session.run(v1.global_variables_initializer())
        for k, index in enumerate(batches):
            feed = {model.x: x_train[index], model.y: y_train[index]}
            if lr_feed is not None:
                feed[model.lr] = lr_feed(k)
            _, lr = session.run([model.train_op, model.lr], feed)
            log["lr"].append(lr)
            if (k + 1) % log_every == 0:
                log["step"].append(k + 1)
                log["train_loss"].append(session.run(model.loss, whole_train))
                log["val_loss"].append(session.run(model.loss, whole_val))
    return {name: np.asarray(values) for name, values in log.items()}


def lr_values(fn: Callable[[Any], Any], steps: int) -> np.ndarray:
    """Evaluate ``fn(step_tensor)`` at steps 0, 1, ..., steps - 1 in a fresh graph and session.

    `fn` receives a scalar int64 tensor and returns a learning-rate tensor: a ``tf.cond`` on the step, a
    ``tf.compat.v1.train`` decay, or a Keras ``LearningRateSchedule`` (Keras schedules build graph ops when
    called on a graph tensor). This is how to read a schedule's values when eager execution is off.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    graph = tf.Graph()
    with graph.as_default():
        step = v1.placeholder(tf.int64, [], name="step")
        lr = fn(step)
    with v1.Session(graph=graph) as session:
        return np.array([session.run(lr, {step: t}) for t in range(steps)], dtype=np.float64)


def _flat(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    return images.reshape(len(images), -1)


def _batch_indices(n: int, batch_size: int, steps: int, seed: int) -> list[np.ndarray]:
    """`steps` mini-batches of indices drawn epoch by epoch from fresh permutations of range(n)."""
    rng = np.random.default_rng(seed)
    pool = np.empty(0, dtype=np.int64)
    batches = []
    for _ in range(steps):
        if len(pool) < batch_size:
            pool = np.concatenate([pool, rng.permutation(n)])
        batches.append(pool[:batch_size])
        pool = pool[batch_size:]
    return batches


def plot_losses(runs: dict[str, dict[str, np.ndarray]], *, marks: tuple[int, ...] = (), axes=None):
    """Training and validation loss of several `train` results against the update count, side by side.

    `marks` are steps to draw as dotted vertical lines (a decay point, say). Returns the two axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
    for ax, key, title in zip(axes, ("train_loss", "val_loss"), ("training loss", "validation loss")):
        for name, log in runs.items():
            ax.plot(log["step"], log[key], label=name)
        for step in marks:
            ax.axvline(step, color="gray", linestyle=":")
        ax.set(xlabel="update", title=title, yscale="log")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cross-entropy")
    axes[0].legend(fontsize="small")
    return axes
