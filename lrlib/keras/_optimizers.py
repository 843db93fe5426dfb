"""Keras optimizers whose momentum can change during ``model.fit``: `SGD` (``momentum``) and `Adam` (``beta_1``).

Keras 3 traces the train step into a graph once. Stock ``keras.optimizers.SGD`` keeps ``momentum`` as a Python
float and branches on it (``if self.momentum != 0``) while tracing, and stock ``Adam`` reads ``beta_1`` as a
Python float too: the value at trace time is baked into the graph and assigning the attribute later changes
nothing. These drop-in subclasses keep the hyperparameter in a non-trainable optimizer variable instead (like
Keras's own ``learning_rate``), so the compiled step reads its current value at every update:
``optimizer.momentum = 0.8`` (or ``optimizer.momentum.assign(0.8)``) takes effect at the next step. That is
what `lrlib.keras.ScheduleCallback` drives when a schedule cycles momentum (one-cycle, cyclic).

Both save and load with the model (``model.save`` / ``keras.models.load_model``): the config holds the current
value as a float and the variable is part of the optimizer's saved state.
"""

from __future__ import annotations

from typing import Any, Callable, cast

import keras
from keras import ops

from lrlib.schedules import _checks as check


class _VariableHyperparameter:
    """Descriptor for an optimizer hyperparameter held in a scalar non-trainable variable.

    Reading the attribute returns the variable (use it in graph code, or ``float(...)`` it); assigning a number
    validates it against ``[low, high]`` / ``[low, high)`` and assigns the variable (the first assignment, from
    the optimizer's ``__init__``, creates it).
    """

    def __init__(self, low: float, high: float, high_open: bool) -> None:
        self.low, self.high, self.high_open = low, high, high_open

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.attribute = f"_{name}_variable"

    def __get__(self, optimizer: Any, owner: type | None = None) -> Any:
        if optimizer is None:
            return self
        try:
            return optimizer.__dict__[self.attribute]
        except KeyError:  # before __init__ assigned it (TF's trackable __setattr__ probes with getattr)
            raise AttributeError(self.name) from None

    def __set__(self, optimizer: Any, value: Any) -> None:
        if ops.is_tensor(value) or isinstance(value, keras.Variable):
            value = float(ops.convert_to_numpy(value))
        check.number(self.name, value, self.low, self.high, high_open=self.high_open)
        variable = optimizer.__dict__.get(self.attribute)
        if variable is None:
            variable = optimizer.add_variable(
                shape=(), initializer=keras.initializers.Constant(float(value)), name=self.name
            )
            setattr(optimizer, self.attribute, variable)
        else:
            variable.assign(float(value))


class _ConfigFloats:
    """Mixin: write the variable hyperparameters into ``get_config()`` as their current float values."""

    scheduled_momentum: str

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()  # type: ignore[misc]
        config[self.scheduled_momentum] = float(ops.convert_to_numpy(getattr(self, self.scheduled_momentum)))
        return config


@keras.saving.register_keras_serializable(package="lrlib")
class SGD(_ConfigFloats, keras.optimizers.SGD):
    """``keras.optimizers.SGD`` whose ``momentum`` is a variable, so it can be scheduled during ``fit``.

    Same arguments and the same update as Keras's SGD (``velocity = momentum * velocity - lr * g``,
    ``w = w + velocity``; with ``nesterov``, ``w = w + momentum * velocity - lr * g``), with the momentum read
    from its variable at every step. Unlike Keras's SGD it always keeps a velocity slot per weight, even when
    created with ``momentum=0.0``, because the momentum may be raised later.
    """

    scheduled_momentum = "momentum"
    momentum = _VariableHyperparameter(0.0, 1.0, high_open=False)

    def build(self, variables: list[Any]) -> None:
        """Create the velocity slots (unconditionally: the momentum is not known at trace time)."""
        if self.built:
            return
        keras.optimizers.Optimizer.build(self, variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Keras's SGD momentum update, reading the momentum variable instead of a traced constant."""
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        momentum = ops.cast(self.momentum, variable.dtype)
        velocity = self.momentums[self._get_variable_index(variable)]
        self.assign(velocity, ops.subtract(ops.multiply(velocity, momentum), ops.multiply(gradient, learning_rate)))
        if self.nesterov:
            step = ops.subtract(ops.multiply(velocity, momentum), ops.multiply(gradient, learning_rate))
            self.assign_add(variable, step)
        else:
            self.assign_add(variable, velocity)


@keras.saving.register_keras_serializable(package="lrlib")
class Adam(_ConfigFloats, keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose ``beta_1`` is a variable, so it can be scheduled during ``fit``.

    Same arguments and update as Keras's Adam; its update reads ``beta_1`` only through tensor math, so holding
    it in a variable is all it takes. The bias correction uses the current ``beta_1``:
    ``1 - beta_1_t ** (t + 1)``, as PyTorch's Adam does when a scheduler cycles ``betas[0]``. ``beta_1`` must be
    a float in [0, 1) (Keras's callable or tensor forms are not accepted).
    """

    scheduled_momentum = "beta_1"
    beta_1 = _VariableHyperparameter(0.0, 1.0, high_open=True)


def momentum_variable(optimizer: Any, opt_out: str) -> Any:
    """The variable holding `optimizer`'s momentum (`SGD`) or ``beta_1`` (`Adam`), for a schedule to drive.

    A ``LossScaleOptimizer`` is looked through. Any other optimizer raises a `TypeError` that says why and what
    to use instead (an lrlib optimizer, or `opt_out`: how the caller turns momentum cycling off): its momentum
    would be a traced constant, and cycling it would silently do nothing.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    name = getattr(type(inner), "scheduled_momentum", None)
    if name is not None:
        return getattr(inner, name)
    replacement = "lrlib.keras.Adam" if isinstance(inner, keras.optimizers.Adam) else "lrlib.keras.SGD"
    module = "keras.optimizers" if type(inner).__module__.startswith("keras.") else type(inner).__module__
    raise TypeError(
        f"the schedule cycles momentum, but the model's optimizer is {module}.{type(inner).__name__}, whose "
        "momentum / beta_1 is a Python float baked into Keras's compiled train step, so changing it during fit "
        f"would have no effect. Compile the model with {replacement}(...) (a drop-in subclass whose momentum "
        f"is a variable), or {opt_out} to keep the optimizer's own momentum."
    )


def scalar_setter(variable: Any) -> Callable[[float], None]:
    """A fast ``set(value)`` for a scalar optimizer variable, for callbacks that assign it every batch.

    On the TensorFlow backend it assigns the underlying ``tf.Variable`` without reading the value back, about
    3x cheaper than ``keras.Variable.assign`` (which converts and shape-checks); elsewhere it is ``assign``.
    """
    backend_variable = getattr(variable, "value", None)
    if keras.backend.backend() == "tensorflow" and backend_variable is not None and hasattr(backend_variable, "assign"):
        return lambda value: backend_variable.assign(value, read_value=False)
    return cast(Callable[[float], None], variable.assign)
