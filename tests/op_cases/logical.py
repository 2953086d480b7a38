"""Op-case rows for the logical ops and the mask operators & | ^ ~ (boolean, no gradient)."""

from __future__ import annotations

import numpy as np

import autodiff as ad

from . import Case

CASES = [
    Case("logical and, or, xor of masks", lambda x, y: ad.where((x > 0) & (y < 0.5) | ~(x < y) ^ (y > 1), x * y, x), lambda x, y: np.where((x > 0) & (y < 0.5) | ~(x < y) ^ (y > 1), x * y, x), [(3, 4), (4,)]),
    Case("logical functions of numbers", lambda x, y: ad.where(ad.logical_and(x, ad.logical_not(ad.logical_or(y > 0, ad.logical_xor(x > 1, y > 1)))), x, y * y), lambda x, y: np.where(np.logical_and(x, np.logical_not(np.logical_or(y > 0, np.logical_xor(x > 1, y > 1)))), x, y * y), [(3, 4), (3, 1)]),
]
