"""Optimizers: update rules that move parameters along their gradients, in plain NumPy.

An optimizer owns a list of parameters (Variables) and updates their values in place from
gradient arrays: ``optimizer.step(grads)``. Updates are not graph ops; the graph only gives
the gradients. Each optimizer may clip its gradients (by value, then by global norm) and
take its learning rate from a schedule (a function of the step count). `TrainStep` ties it
together: it differentiates each loss with respect to its optimizer's parameters, plans all
of them at once, and on each call feeds a batch, runs the plan and applies every update;
several (loss, optimizer) pairs give independent updates from one shared forward pass.
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self, cast

import numpy as np

from .compile import function
from .differentiation import grad
from .nn.layers import Noise
from .node import Node, Variable, toposort

Schedule = Callable[[int], float]
NonFinite = Literal["raise", "skip"] | None


# -- clipping ------------------------------------------------------------------------------
__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSProp",
    "Adam",
    "AdamW",
    "TrainStep",
    "clip_by_value",
    "clip_by_global_norm",
    "global_norm",
    "step_decay",
    "cosine_decay",
    "defer_signals",
]


def clip_by_value(grads: Sequence[np.ndarray], limit: float) -> list[np.ndarray]:
    """Each gradient entry limited to [-limit, limit].

    >>> import numpy as np
    >>> from autodiff import optim
    >>> optim.clip_by_value([np.array([-3.0, 0.5, 2.0])], 1.0)
    [array([-1. ,  0.5,  1. ])]
    """
    if not limit > 0:
        raise ValueError(f"clip_by_value: limit must be positive, got {limit}")
    return [np.clip(g, -limit, limit) for g in grads]


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """The 2-norm of all gradients together, as if joined into one vector.

    >>> import numpy as np
    >>> from autodiff import optim
    >>> optim.global_norm([np.array([3.0]), np.array([[4.0]])])
    5.0
    """
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads))


def clip_by_global_norm(
    grads: Sequence[np.ndarray], max_norm: float
) -> tuple[list[np.ndarray], float]:
    """All gradients scaled by one factor so that their global norm is at most `max_norm`.

    Returns the clipped gradients and the global norm before clipping.

    >>> import numpy as np
    >>> from autodiff import optim
    >>> clipped, norm = optim.clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)
    >>> clipped, norm
    ([array([0.6]), array([0.8])], 5.0)
    """
    if not max_norm > 0:
        raise ValueError(f"clip_by_global_norm: max_norm must be positive, got {max_norm}")
    norm = global_norm(grads)
    if norm <= max_norm:
        return list(grads), norm
    scale = max_norm / norm
    return [g * np.asarray(scale, g.dtype) for g in grads], norm


# -- schedules -------------------------------------------------------------------------------
def step_decay(lr: float, every: int, factor: float = 0.1) -> Schedule:
    """A learning rate multiplied by `factor` after each `every` steps.

    >>> from autodiff import optim
    >>> schedule = optim.step_decay(1.0, every=10, factor=0.5)
    >>> schedule(0), schedule(9), schedule(10), schedule(25)
    (1.0, 1.0, 0.5, 0.25)
    """
    if every < 1:
        raise ValueError(f"step_decay: every must be at least 1, got {every}")

    def schedule(step: int) -> float:
        return lr * factor ** (step // every)

    return schedule


def cosine_decay(
    lr: float, total_steps: int, final_lr: float = 0.0, warmup_steps: int = 0
) -> Schedule:
    """A linear warm-up to `lr` over `warmup_steps`, then a cosine to `final_lr` at `total_steps`.

    >>> from autodiff import optim
    >>> schedule = optim.cosine_decay(1.0, total_steps=100, warmup_steps=10)
    >>> schedule(0), schedule(10), round(schedule(55), 3), schedule(100), schedule(500)
    (0.1, 1.0, 0.5, 0.0, 0.0)
    """
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(
            f"cosine_decay: need 0 <= warmup_steps < total_steps, "
            f"got {warmup_steps} and {total_steps}"
        )

    def schedule(step: int) -> float:
        if step < warmup_steps:
            return lr * (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
        return final_lr + (lr - final_lr) * 0.5 * (1 + math.cos(math.pi * progress))

    return schedule


# -- checks -----------------------------------------------------------------------------------
def _real(owner: str, field: str, value: Any) -> float:
    """`value` as a float; TypeError unless it is a real number (a bool is not one)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {field} must be a real number, got {value!r} ({type(value).__name__})"
        )
    return float(value)


def _count(owner: str, field: str, value: Any) -> int:
    """`value` as an int; TypeError unless it is an integer, ValueError if it is negative."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: {field} must be an integer, got {value!r} ({type(value).__name__})"
        )
    if value < 0:
        raise ValueError(f"{owner}: {field} must not be negative, got {value}")
    return int(value)


def _positive(owner: str, field: str, value: Any) -> float:
    """`value` as a float; ValueError unless it is finite and above zero."""
    number = _real(owner, field, value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{owner}: {field} must be positive and finite, got {value}")
    return number


def _fraction(owner: str, field: str, value: Any) -> float:
    """`value` as a float; ValueError unless it lies in [0, 1)."""
    number = _real(owner, field, value)
    if not 0 <= number < 1:
        raise ValueError(f"{owner}: {field} must be in [0, 1), got {value}")
    return number


def _non_negative(owner: str, field: str, value: Any) -> float:
    """`value` as a float; ValueError unless it is finite and not below zero."""
    number = _real(owner, field, value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{owner}: {field} must not be negative, got {value}")
    return number


# -- optimizers ------------------------------------------------------------------------------
class Optimizer:
    """Base class: holds `params`, a step count, per-parameter state arrays, and the options
    shared by every rule. Subclasses define `update(value, g, state, lr)`, which changes the
    parameter's array `value` and its state arrays in place (on copies: a step that fails
    changes nothing).

    `lr` is a number or a schedule (a function of the number of steps taken so far).
    `clip_value` limits each gradient entry, `clip_norm` the global norm of all gradients.
    `nonfinite` says what a step does with a gradient holding nan or inf (looked at before
    clipping): ``"raise"`` raises ValueError naming the parameter, ``"skip"`` leaves the
    parameters, the state and `steps` as they were and counts the step in `skipped`, and None
    (the default) does not look. `steps` and `lr` are checked whenever they are set.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import optim
    >>> w = ad.Variable(np.array([1.0, 2.0]), name="w")
    >>> opt = optim.SGD([w], lr=0.1, nonfinite="skip")
    >>> opt.step([np.array([np.nan, 1.0])])
    >>> w.value, opt.steps, opt.skipped
    (array([1., 2.]), 0, 1)
    """

    state_names: tuple[str, ...] = ()  # per-parameter state arrays, zero at the start
    non_negative_states: tuple[str, ...] = ()  # those that are sums of squares, never below 0

    def __init__(
        self,
        params: Sequence[Variable],
        lr: float | Schedule,
        *,
        clip_value: float | None = None,
        clip_norm: float | None = None,
        nonfinite: NonFinite = None,
    ):
        name = type(self).__name__
        if isinstance(params, (Node, np.ndarray, str)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: params must be a list of ad.Variables, got a {type(params).__name__}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: no parameters to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, Variable):
                raise TypeError(
                    f"{name}: parameter {i} is a {type(p).__name__}, not an ad.Variable"
                )
            if p.dtype.kind != "f":
                raise TypeError(
                    f"{name}: parameter {i} ({p.name!r}) has dtype {p.dtype}; "
                    "only floating parameters can be optimized"
                )
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter is listed twice")
        for option, value in (("clip_value", clip_value), ("clip_norm", clip_norm)):
            if value is not None and not _real(name, option, value) > 0:
                raise ValueError(f"{name}: {option} must be positive, got {value}")
        self.lr = lr
        self.clip_value, self.clip_norm = clip_value, clip_norm
        self.nonfinite = nonfinite
        self.steps = 0
        self.skipped = 0
        self.state = [
            {key: np.zeros(p.shape, p.dtype) for key in self.state_names} for p in self.params
        ]

    @property
    def lr(self) -> float | Schedule:
        """The learning rate: a positive finite number, or a schedule (step count -> rate)."""
        return self._lr

    @lr.setter
    def lr(self, value: float | Schedule) -> None:
        if not callable(value):
            _positive(type(self).__name__, "lr", value)
        self._lr = value

    @property
    def nonfinite(self) -> NonFinite:
        """What a step does with a gradient holding nan or inf: "raise", "skip" or None."""
        return self._nonfinite

    @nonfinite.setter
    def nonfinite(self, value: NonFinite) -> None:
        if value not in (None, "raise", "skip"):
            raise ValueError(
                f"{type(self).__name__}: nonfinite must be 'raise', 'skip' or None, got {value!r}"
            )
        self._nonfinite = value

    @property
    def steps(self) -> int:
        """The number of steps taken: a non-negative integer (Adam's bias correction reads it)."""
        return self._steps

    @steps.setter
    def steps(self, value: int) -> None:
        self._steps = _count(type(self).__name__, "steps", value)

    def current_lr(self) -> float:
        """The learning rate the next step will use; ValueError if a schedule gives a bad one."""
        if not callable(self.lr):
            return float(self.lr)
        lr = self.lr(self.steps)
        owner = f"{type(self).__name__}: the lr schedule at step {self.steps}"
        if isinstance(lr, np.ndarray) and lr.shape == () and lr.dtype.kind in "iuf":
            lr = lr.item()
        number = _real(owner, "its value", lr)
        if not (math.isfinite(number) and number >= 0):
            raise ValueError(f"{owner} gave lr={lr}; a rate must be finite and not negative")
        return number

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place from its gradient (same order as `params`)."""
        name = type(self).__name__
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(
                f"{name}: got {len(grads)} gradients for {len(self.params)} parameters"
            )
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if np.shape(g) != p.shape:
                raise ValueError(
                    f"{name}: gradient {i} has shape {np.shape(g)}, "
                    f"parameter {p.name!r} has {p.shape}"
                )
            if np.asarray(g).dtype.kind not in "biuf":
                raise TypeError(
                    f"{name}: gradient {i} (parameter {p.name!r}) has dtype {np.asarray(g).dtype}; "
                    "gradients must be real numbers"
                )
        grads = [np.asarray(g, p.dtype) for p, g in zip(self.params, grads, strict=True)]
        if self.nonfinite is not None and not self._all_finite(grads):
            return
        if self.clip_value is not None:
            grads = clip_by_value(grads, self.clip_value)
        if self.clip_norm is not None:
            grads, _ = clip_by_global_norm(grads, self.clip_norm)
        lr = self.current_lr()
        values, states = [], []
        self._steps += 1  # the rules see the count of this step (Adam's bias correction)
        try:
            for p, g, state in zip(self.params, grads, self.state, strict=True):
                # a private copy: arrays handed out earlier stay as they were
                value = np.array(p.value)
                state = {key: array.copy() for key, array in state.items()}
                self.update(value, g, state, lr)
                values.append(value)
                states.append(state)
        except BaseException:
            self._steps -= 1
            raise
        for p, value in zip(self.params, values, strict=True):
            value.flags.writeable = False  # handed over: the Variable keeps it without a copy
            p.value = value
        self.state = states

    def _all_finite(self, grads: Sequence[np.ndarray]) -> bool:
        """Whether every gradient is finite; if not, raise or count a skipped step (`nonfinite`)."""
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            finite = np.isfinite(g)
            if finite.all():
                continue
            if self.nonfinite == "raise":
                nan = int(np.isnan(g).sum())
                raise ValueError(
                    f"{type(self).__name__}: gradient {i} (parameter {p.name!r}) "
                    f"has {g.size - int(finite.sum())} "
                    f"non-finite entries ({nan} nan) at step {self.steps}"
                )
            self.skipped += 1
            return False
        return True

    def update(
        self, value: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], lr: float
    ) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """The step count and a copy of every state array (``"3.m"``: state m of parameter 3)."""
        arrays = {"steps": np.array(self.steps)}
        for i, state in enumerate(self.state):
            for key, array in state.items():
                arrays[f"{i}.{key}"] = array.copy()
        return arrays

    def load_state_dict(self, arrays: Mapping[str, Any]) -> None:
        """Restore what `state_dict` gave; every array is checked before any is set.

        `steps` must be one non-negative integer; each state array must have its parameter's
        shape, hold finite real numbers in the parameter's dtype, and, for a sum of squares,
        none below zero. Anything else raises, naming the entry and what is wrong with it.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(arrays, Mapping):
            raise TypeError(
                f"{owner}: expected a mapping of names to arrays, got a {type(arrays).__name__}"
            )
        expected = ["steps"] + [
            f"{i}.{key}" for i in range(len(self.params)) for key in self.state_names
        ]
        missing = [key for key in expected if key not in arrays]
        unexpected = [key for key in arrays if key not in expected]
        if missing or unexpected:
            raise ValueError(f"{owner}: missing {missing}, unexpected {unexpected}")
        steps = np.asarray(arrays["steps"])
        if steps.shape != ():
            raise ValueError(
                f"{owner}: 'steps' must be one integer, got an array of shape {steps.shape}"
            )
        if steps.dtype.kind not in "iu":
            raise TypeError(
                f"{owner}: 'steps' must be an integer, got {steps.item()!r} (dtype {steps.dtype})"
            )
        count = _count(owner, "'steps'", steps.item())
        new = []
        for i, p in enumerate(self.params):
            state = {}
            for key in self.state_names:
                entry = f"'{i}.{key}'"
                array = np.asarray(arrays[f"{i}.{key}"])
                if array.shape != p.shape:
                    raise ValueError(
                        f"{owner}: {entry} has shape {array.shape}, parameter {i} has {p.shape}"
                    )
                if array.dtype.kind not in "biuf":
                    raise TypeError(
                        f"{owner}: {entry} has dtype {array.dtype}; state arrays hold real numbers"
                    )
                with np.errstate(over="ignore"):  # a value too large for the dtype is caught next
                    value = np.array(array, p.dtype)
                bad = int(np.count_nonzero(~np.isfinite(value)))
                if bad:
                    raise ValueError(
                        f"{owner}: {entry} has {bad} non-finite entries (as {p.dtype})"
                    )
                if key in self.non_negative_states and value.size and value.min() < 0:
                    raise ValueError(
                        f"{owner}: {entry} is a sum of squares but has negative entries "
                        f"(the least is {value.min()})"
                    )
                state[key] = value
            new.append(state)
        self.steps = count
        self.state = new


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    ``g += weight_decay * p; v = momentum * v + g; p -= lr * (g + momentum * v if nesterov else v)``

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import optim
    >>> w = ad.Variable(np.array([1.0, 2.0]))
    >>> optim.SGD([w], lr=0.1).step([np.array([1.0, -1.0])])
    >>> w.value
    array([0.9, 2.1])
    """

    def __init__(
        self,
        params,
        lr: float | Schedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        **options,
    ):
        _fraction("SGD", "momentum", momentum)
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov needs a momentum above 0")
        _non_negative("SGD", "weight_decay", weight_decay)
        self.state_names = ("velocity",) if momentum else ()
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        super().__init__(params, lr, **options)

    def update(self, value, g, state, lr):
        if self.weight_decay:
            g = g + self.weight_decay * value
        if self.momentum:
            v = state["velocity"]
            v *= self.momentum
            v += g
            g = g + self.momentum * v if self.nesterov else v
        value -= lr * g


class Adagrad(Optimizer):
    """Adagrad: ``s += g**2; p -= lr * g / (sqrt(s) + eps)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import optim
    >>> w = ad.Variable(np.array([1.0]))
    >>> optim.Adagrad([w], lr=0.5).step([np.array([4.0])])
    >>> w.value
    array([0.5])
    """

    state_names = ("sum_squares",)
    non_negative_states = ("sum_squares",)

    def __init__(self, params, lr: float | Schedule = 0.01, eps: float = 1e-10, **options):
        self.eps = _positive("Adagrad", "eps", eps)
        super().__init__(params, lr, **options)

    def update(self, value, g, state, lr):
        s = state["sum_squares"]
        s += g * g
        value -= lr * g / (np.sqrt(s) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: ``s = rho * s + (1 - rho) * g**2; p -= lr * g / (sqrt(s) + eps)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import optim
    >>> w = ad.Variable(np.array([1.0]))
    >>> optim.RMSProp([w], lr=0.1, rho=0.75).step([np.array([2.0])])
    >>> w.value
    array([0.8])
    """

    state_names = ("mean_square",)
    non_negative_states = ("mean_square",)

    def __init__(
        self, params, lr: float | Schedule = 0.001, rho: float = 0.9, eps: float = 1e-8, **options
    ):
        self.rho = _fraction("RMSProp", "rho", rho)
        self.eps = _positive("RMSProp", "eps", eps)
        super().__init__(params, lr, **options)

    def update(self, value, g, state, lr):
        s = state["mean_square"]
        s *= self.rho
        s += (1 - self.rho) * g * g
        value -= lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; `weight_decay` adds ``weight_decay * p`` to g.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import optim
    >>> w = ad.Variable(np.array([1.0, 1.0]))
    >>> optim.Adam([w], lr=0.1).step([np.array([0.5, -2.0])])   # the first step moves by lr
    >>> w.value
    array([0.9, 1.1])
    """

    state_names = ("m", "v")
    non_negative_states = ("v",)
    decoupled = False

    def __init__(
        self,
        params,
        lr: float | Schedule = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        **options,
    ):
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = tuple(_fraction(name, "betas", b) for b in betas)
        self.eps = _positive(name, "eps", eps)
        self.weight_decay = _non_negative(name, "weight_decay", weight_decay)
        super().__init__(params, lr, **options)

    def update(self, value, g, state, lr):
        b1, b2 = self.betas
        if self.weight_decay and self.decoupled:
            value -= lr * self.weight_decay * value
        elif self.weight_decay:
            g = g + self.weight_decay * value
        m, v = state["m"], state["v"]
        # in place, one scratch array: ten passes (the plain formula made fifteen arrays)
        dtype = value.dtype.type
        t = np.multiply(g, dtype(1 - b1))
        m *= dtype(b1)
        m += t
        np.multiply(g, g, out=t)
        t *= dtype(1 - b2)
        v *= dtype(b2)
        v += t
        # lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / c1 and v_hat = v / c2
        c1, c2 = 1 - b1**self.steps, 1 - b2**self.steps
        np.sqrt(v, out=t)
        t *= dtype(1 / math.sqrt(c2))
        t += dtype(self.eps)
        np.divide(m, t, out=t)
        t *= dtype(lr / c1)
        value -= t


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p -= lr * weight_decay * p`` first.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import optim
    >>> w = ad.Variable(np.array([1.0]))
    >>> optim.AdamW([w], lr=0.1, weight_decay=0.5).step([np.array([0.0])])
    >>> w.value
    array([0.95])
    """

    decoupled = True

    def __init__(
        self,
        params,
        lr: float | Schedule = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        **options,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, **options)


# -- training steps ---------------------------------------------------------------------------
class TrainStep:
    """A training step planned once: `losses[k]` is differentiated with respect to the
    parameters of `optimizers[k]`, and one plan computes every loss and gradient. Each call
    feeds one array per input Variable, resamples the Noise (dropout masks) in the graph,
    runs the plan, lets each optimizer apply its own gradients, and returns the loss values.

    Fed arrays must have the kind of their Variable (an integer Variable takes integers only).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn, optim
    >>> model = nn.Linear(2, 3, rng=0)
    >>> x = ad.Variable(np.zeros((4, 2)), name="x")
    >>> y = ad.Variable(np.zeros(4, np.int64), name="y")
    >>> loss = nn.cross_entropy(model(x), y)
    >>> step = optim.TrainStep(loss, optim.SGD(model.parameters(), lr=0.5), inputs=[x, y])
    >>> data, labels = np.eye(4, 2), np.array([0, 1, 0, 2])
    >>> first = step(data, labels)
    >>> later = [step(data, labels) for _ in range(20)][-1]
    >>> later < first
    True
    """

    def __init__(
        self,
        losses: Node | Sequence[Node],
        optimizers: Optimizer | Sequence[Optimizer],
        inputs: Sequence[Variable] = (),
    ):
        self.single = isinstance(losses, Node)
        self.losses: list[Node] = [losses] if isinstance(losses, Node) else list(losses)
        self.optimizers = [optimizers] if isinstance(optimizers, Optimizer) else list(optimizers)
        if len(self.losses) != len(self.optimizers):
            raise ValueError(
                f"TrainStep: {len(self.losses)} losses for {len(self.optimizers)} optimizers; "
                "pair them up"
            )
        for i, (loss, optimizer) in enumerate(zip(self.losses, self.optimizers, strict=True)):
            if not isinstance(loss, Node) or loss.ndim != 0:
                raise ValueError(f"TrainStep: loss {i} must be a scalar Node, got {loss!r}")
            if not isinstance(optimizer, Optimizer):
                raise TypeError(
                    f"TrainStep: optimizer {i} is a {type(optimizer).__name__}, not an Optimizer"
                )
        self.inputs = list(inputs)
        grads = [
            g
            for loss, optimizer in zip(self.losses, self.optimizers, strict=True)
            for g in grad(loss, optimizer.params)
        ]
        self.plan = function(self.losses + grads, inputs=self.inputs)
        self.noises = [node for node in toposort(self.losses) if isinstance(node, Noise)]

    def __call__(self, *arrays: Any) -> float | list[float]:
        if len(arrays) != len(self.inputs):
            raise TypeError(
                f"TrainStep: expected {len(self.inputs)} input arrays, got {len(arrays)}"
            )
        for i, (variable, array) in enumerate(zip(self.inputs, arrays, strict=True)):
            kind = np.asarray(array).dtype.kind
            if variable.dtype.kind in "iu" and kind not in "iu":
                raise TypeError(
                    f"TrainStep: input {i} ({variable.name!r}) takes integers, "
                    f"got an array of dtype {np.asarray(array).dtype}"
                )
        for noise in self.noises:
            noise.resample()
        values = cast(list[np.ndarray], self.plan(*arrays))  # a plan of a list returns a list
        grads = values[len(self.losses) :]
        for optimizer in self.optimizers:
            count = len(optimizer.params)
            optimizer.step(grads[:count])
            grads = grads[count:]
        losses = [float(v) for v in values[: len(self.losses)]]
        return losses[0] if self.single else losses


# -- interrupts ---------------------------------------------------------------------------------
_held: set[int] = set()  # the signals an active `defer_signals` holds (main thread only)


class defer_signals:
    """Hold interrupts back while a block runs, and deliver them once it has ended.

    Inside ``with optim.defer_signals():`` a SIGINT (Ctrl-C) or SIGTERM does not stop the
    block halfway: it is only recorded in `received` (a second Ctrl-C too). When the block
    ends, however it ends, the handlers from before are back and each signal still in
    `received` is handed to its handler once (for SIGINT that raises KeyboardInterrupt).
    A block can act on them itself and clear `received`: a training loop checks it at each
    step boundary, stops there, saves a checkpoint that is whole, and clears it. Off the main
    thread, where Python runs no signal handlers, and for signals an enclosing
    `defer_signals` already holds, it does nothing.

    >>> import signal
    >>> from autodiff import optim
    >>> done = []
    >>> try:
    ...     with optim.defer_signals() as deferred:
    ...         signal.raise_signal(signal.SIGINT)  # Ctrl-C in the middle of an update
    ...         done.append("the whole update")
    ... except KeyboardInterrupt:
    ...     done.append("then the interrupt")
    >>> done, deferred.received
    (['the whole update', 'then the interrupt'], [<Signals.SIGINT: 2>])
    """

    def __init__(self, signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)):
        self.signals = [signal.Signals(signum) for signum in signals]
        self.received: list[signal.Signals] = []
        self._previous: dict[signal.Signals, Any] = {}

    def _hold(self, signum: int, frame: Any) -> None:
        self.received.append(signal.Signals(signum))

    def __enter__(self) -> Self:
        self.received = []
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in self.signals:
            if signum not in _held:
                self._previous[signum] = signal.signal(signum, self._hold)
                _held.add(signum)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        previous, self._previous = self._previous, {}
        for signum in reversed(list(previous)):  # SIGINT, listed first, is restored last
            signal.signal(signum, previous[signum])
            _held.discard(signum)
        for signum in dict.fromkeys(self.received):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
