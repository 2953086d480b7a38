"""Losses: scalar nodes measuring how far predictions are from targets.

Classification losses take integer labels (checked for dtype when the graph is built, and
for range whenever it is evaluated, or at once for constant labels) and are computed from
logits in a numerically stable way. `reduction` is "mean" (the default), "sum" or "none".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import ops
from ..node import Constant, Node, Variable, composition
from ..ops.elementwise import as_node
from ..ops.nn import log_sum_exp_shifted, shift_by_max
from .layers import check_range

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: str, values: Node, reduction: str) -> Node:
    if reduction == "mean":
        return ops.mean(values)
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "none":
        return values
    raise ValueError(f"{loss}: unknown reduction {reduction!r}; use one of {_REDUCTIONS}")


def _labels(loss: str, scores: Node, labels) -> Node:
    """Integer `labels` for `scores` of shape ``(*labels.shape, classes)``, range-checked."""
    labels = as_node(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{loss}: labels must be integers, got dtype {labels.dtype}")
    if scores.ndim == 0 or scores.shape[:-1] != labels.shape:
        raise ValueError(
            f"{loss}: scores of shape {scores.shape} need labels of shape {scores.shape[:-1]} "
            f"(one per row), got {labels.shape}"
        )
    return check_range(labels, scores.shape[-1], f"{loss}: labels")


def _pick(scores: Node, labels: Node) -> Node:
    """``scores[..., labels]`` row by row: the entry of each row's label, shape ``labels.shape``."""
    classes = scores.shape[-1]
    offsets = Constant(np.arange(labels.size).reshape(labels.shape) * classes)
    return ops.take(ops.reshape(scores, (-1,)), offsets + labels)


@composition("nll")
def nll(log_probs: Node, labels, reduction: str = "mean") -> Node:
    """Negative log-likelihood of integer `labels` under `log_probs` (``(..., classes)``).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> log_probs = ad.Variable(np.log(np.array([[0.5, 0.5], [0.9, 0.1]])))
    >>> round(float(nn.nll(log_probs, np.array([0, 1]))()), 4)   # -(log .5 + log .1) / 2
    1.4979
    """
    log_probs = as_node(log_probs)
    labels = _labels("nll", log_probs, labels)
    return _reduce("nll", ops.negative(_pick(log_probs, labels)), reduction)


@composition("cross_entropy")
def cross_entropy(logits: Node, labels, reduction: str = "mean") -> Node:
    """Softmax cross-entropy of integer `labels` from unnormalised `logits` (``(..., classes)``).

    Computed as ``log(sum(exp(logits - m))) - (logits[label] - m)`` with m the row's max, which
    never overflows and keeps full precision when the logits share a large offset.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> logits = ad.Variable(np.array([[1000.0, 0.0], [0.0, 0.0]]))
    >>> nn.cross_entropy(logits, np.array([0, 1]))()   # (0 + log 2) / 2
    array(0.34657359)
    """
    logits = as_node(logits)
    labels = _labels("cross_entropy", logits, labels)
    shifted, _ = shift_by_max(logits, (logits.ndim - 1,))
    log_sum = ops.reshape(log_sum_exp_shifted(shifted, (logits.ndim - 1,)), labels.shape)
    values = log_sum - _pick(shifted, labels)
    return _reduce("cross_entropy", values, reduction)


def _same_shape(loss: str, prediction: Node, target: Node) -> None:
    if prediction.shape != target.shape:
        raise ValueError(
            f"{loss}: prediction of shape {prediction.shape} "
            f"and target of shape {target.shape} differ"
        )


@composition("mse")
def mse(prediction: Node, target, reduction: str = "mean") -> Node:
    """Mean squared error; `prediction` and `target` must have the same shape.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> nn.mse(ad.Variable(np.array([1.0, 3.0])), np.array([0.0, 0.0]))()
    array(5.)
    """
    prediction = as_node(prediction)
    target = as_node(target, like=prediction)
    _same_shape("mse", prediction, target)
    return _reduce("mse", ops.square(prediction - target), reduction)


@composition("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(logits: Node, targets, reduction: str = "mean") -> Node:
    """Cross-entropy of targets in [0, 1] against ``sigmoid(logits)``, stable for any logit.

    Computed as ``softplus(logits) - logits * targets``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> logits = ad.Variable(np.array([0.0, 800.0]))
    >>> nn.binary_cross_entropy_with_logits(logits, np.array([1.0, 1.0]))()   # (log 2 + 0) / 2
    array(0.34657359)
    """
    name = "binary_cross_entropy_with_logits"
    logits = as_node(logits)
    targets = as_node(targets, like=logits)
    _same_shape(name, logits, targets)
    if (
        isinstance(targets, Constant)
        and targets.size
        and (targets.eval().min() < 0 or targets.eval().max() > 1)
    ):
        raise ValueError(f"{name}: targets must lie in [0, 1]")
    return _reduce(name, ops.softplus(logits) - logits * targets, reduction)


@composition("multiclass_hinge")
def multiclass_hinge(scores: Node, labels, margin: float = 1.0, reduction: str = "mean") -> Node:
    """Multiclass SVM loss (Weston-Watkins): ``sum_{j != label} max(0, s_j - s_label + margin)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> scores = ad.Variable(np.array([[3.0, 1.0, 2.5]]))
    >>> nn.multiclass_hinge(scores, np.array([0]))()   # max(0, 1-3+1) + max(0, 2.5-3+1)
    array(0.5)
    """
    scores = as_node(scores)
    labels = _labels("multiclass_hinge", scores, labels)
    if margin < 0:
        raise ValueError(f"multiclass_hinge: margin must not be negative, got {margin}")
    correct = ops.expand_dims(_pick(scores, labels), -1)
    # the label's own column contributes exactly `margin`; take it off again
    values = ops.sum(ops.relu(scores - correct + margin), axis=-1) - margin
    return _reduce("multiclass_hinge", values, reduction)


@composition("l2_penalty")
def l2_penalty(parameters: Sequence[Variable], weight: float = 1.0) -> Node:
    """``weight * sum of squares`` of all `parameters`: add it to a loss for L2 regularisation.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> nn.l2_penalty([ad.Variable(np.array([1.0, 2.0])), ad.Variable(np.array(3.0))], 0.5)()
    array(7.)
    """
    parameters = list(parameters)
    if not parameters:
        raise ValueError("l2_penalty: no parameters given")
    for i, p in enumerate(parameters):
        if not isinstance(p, Node):
            raise TypeError(f"l2_penalty: parameter {i} is a {type(p).__name__}, not a Node")
    total = ops.sum(ops.square(parameters[0]))
    for p in parameters[1:]:
        total = total + ops.sum(ops.square(p))
    return total * weight
