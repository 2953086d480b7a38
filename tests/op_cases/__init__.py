"""The op-case table: one row per use of an op, with a NumPy reference.

Every row drives the same tests in test_ops.py (forward value, gradient checks to `order`,
batched cotangents, second-order batched Jacobians). A guard test there fails when an op
class appears in no row's forward or derivative graph.

Each family's rows live in a module of this package that defines `CASES` (`core` has the
first ones); every module here is collected, in name order, so adding a family is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

import autodiff as ad


def _normal(rng, shape):
    return rng.normal(size=shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


@dataclass
class Case:
    name: str
    fn: Callable[..., ad.Node]  # Nodes in, Node out
    ref: Callable[..., np.ndarray]  # the same on NumPy arrays
    shapes: Sequence[tuple[int, ...]]
    order: int = 2  # gradient checks up to this order
    make: Callable = _normal  # how each argument is drawn
    arrays: Callable | None = field(default=None)  # explicit arguments, overriding shapes

    def args(self, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if self.arrays is not None:
            return [np.array(a, dtype=np.float64) for a in self.arrays(rng)]
        return [self.make(rng, s) for s in self.shapes]



CASES: list[Case] = []
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    CASES += importlib.import_module(f"{__name__}.{_module}").CASES
