"""autodiff: symbolic, graph-to-graph automatic differentiation on NumPy.

>>> import numpy as np, autodiff as ad
>>> x = ad.Variable(np.array(3.0), name="x")
>>> y = ad.Variable(np.array(4.0), name="y")
>>> z = x * y + ad.exp(x + 3)
>>> float(z())
415.4287934927351
"""

from . import backends, blas, fusion, linalg, nn, ops, optim, stats
from .check import GradientError, check_grads, numerical_grad
from .checkpointing import checkpoint
from .compile import Function, eval, function
from .custom import clip_gradient, custom_gradient, scale_gradient
from .differentiation import grad, hessian, hvp, jacobian, jvp
from .node import Constant, Node, Variable, count_nodes, name_scope, toposort
from .ops import *  # noqa: F403  (the factories: ops.__all__)
from .plotting import plot, plot_html, to_dot
from .printing import debugprint, pretty, to_latex
from .simplification import simplify

__all__ = [
    # graph
    "Node",
    "Variable",
    "Constant",
    "name_scope",
    "toposort",
    "count_nodes",
    # differentiation
    "grad",
    "jacobian",
    "hessian",
    "hvp",
    "jvp",
    # simplification and evaluation
    "simplify",
    "function",
    "Function",
    "eval",
    "backends",  # where a plan's arrays live: NumPy, Dask, CuPy (autodiff.backends)
    # plotting
    "plot",
    "plot_html",
    "to_dot",
    # printing
    "pretty",
    "to_latex",
    "debugprint",
    # checkpointing and checks
    "checkpoint",
    # custom gradients
    "custom_gradient",
    "clip_gradient",
    "scale_gradient",
    "check_grads",
    "numerical_grad",
    "GradientError",
    # linear algebra and statistics (np.linalg and scipy.stats-like namespaces)
    "linalg",
    "stats",
    # training
    "nn",
    "optim",
    # plans: the optional elementwise fusion's switch and thresholds; BLAS threads
    "fusion",
    "blas",
    # the ops: creation, elementwise, contraction, shape, reductions and nn
    *ops.__all__,
]
