"""Op-case rows for `autodiff.fusion.Fused`, the node a plan makes of a group of elementwise
ops (here built by hand: a comparison, with a transposed input, as a `where` condition)."""

from __future__ import annotations

import numpy as np

import autodiff as ad
from autodiff.fusion import Fused

from . import Case

_T = ((1, 0), (True, True))  # the input transposed


def _less(x, y, views=(None, None)):
    return Fused(x, y, expression="(i0 < (i1 * i1))", views=views, kind="|b1")


CASES = [
    Case(
        "fused comparison",
        lambda x, y: ad.where(_less(x, y), x * y, y),
        lambda x, y: np.where(x < y * y, x * y, y),
        [(3, 4), (4,)],
    ),
    Case(
        "fused comparison of a transposed input",
        lambda x, y: ad.where(_less(x, y, (_T, None)), y, 2 * y),
        lambda x, y: np.where(x.T < y * y, y, 2 * y),
        [(4, 3), (3, 4)],
    ),
]
