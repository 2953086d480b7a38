"""autodiff: symbolic, graph-to-graph automatic differentiation on NumPy.

>>> import numpy as np, autodiff as ad
>>> x = ad.Variable(np.array(3.0), name="x")
>>> y = ad.Variable(np.array(4.0), name="y")
>>> z = x * y + ad.exp(x + 3)
>>> float(z())
415.4287934927351
"""

from . import nn, optim
from .check import GradientError, check_grads, numerical_grad
from .checkpoint import checkpoint
from .compile import Function, eval, function
from .grad import grad, hessian, hvp, jacobian, jvp
from .node import Constant, Node, Variable, count_nodes, name_scope, toposort
from .ops import (
    abs,
    absolute,
    add,
    astype,
    broadcast_to,
    clip,
    concatenate,
    cos,
    diagonal,
    divide,
    dot,
    einsum,
    equal,
    exp,
    expand_dims,
    expm1,
    eye,
    full,
    getitem,
    greater,
    greater_equal,
    inner,
    leaky_relu,
    less,
    less_equal,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    norm,
    not_equal,
    ones,
    ones_like,
    outer,
    pad,
    permute_dims,
    power,
    ravel,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    stop_gradient,
    subtract,
    sum,
    take,
    tanh,
    tensordot,
    trace,
    transpose,
    var,
    vdot,
    where,
    zeros,
    zeros_like,
)
from .plotting import plot, plot_html, to_dot
from .simplification import simplify

__all__ = [
    # graph
    "Node", "Variable", "Constant", "name_scope", "toposort", "count_nodes",
    # differentiation
    "grad", "jacobian", "hessian", "hvp", "jvp",
    # simplification and evaluation
    "simplify", "function", "Function", "eval",
    # plotting
    "plot", "plot_html", "to_dot",
    # checkpointing and checks
    "checkpoint",
    "check_grads", "numerical_grad", "GradientError",
    # creation
    "full", "zeros", "ones", "eye", "zeros_like", "ones_like",
    # elementwise
    "add", "subtract", "multiply", "divide", "negative", "power", "exp", "log", "log1p",
    "expm1", "sqrt", "square", "abs", "absolute", "sign", "sin", "cos", "tanh", "sigmoid",
    "relu", "leaky_relu", "softplus", "maximum", "minimum", "clip", "where", "stop_gradient",
    "astype",
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    # contraction
    "einsum", "sum", "mean", "transpose", "permute_dims", "matmul", "dot", "vdot", "outer",
    "inner", "trace", "diagonal", "tensordot", "broadcast_to",
    # shape
    "reshape", "ravel", "expand_dims", "squeeze", "concatenate", "stack", "split", "pad",
    "take", "getitem",
    # training
    "nn", "optim",
    # reductions and nn
    "max", "min", "var", "std", "norm", "logsumexp", "softmax", "log_softmax",
]
