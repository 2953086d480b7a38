"""Op-case rows for the nan-functions and order statistics (autodiff/ops/statistics.py)."""

from __future__ import annotations

import numpy as np

import autodiff as ad

from . import Case

HOLES = np.array([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])


def _holes(x):
    """x with nans where HOLES is 0 (by `where`: the nans' places get no gradient)."""
    return ad.where(ad.Constant(HOLES > 0), x, np.nan)


def _np_holes(x):
    return np.where(HOLES > 0, x, np.nan)


CASES = [
    Case("isnan isinf", lambda x: ad.where(ad.isnan(_holes(x)), 0.0, ad.where(ad.isinf(x), 0.0, x)), lambda x: np.where(np.isnan(_np_holes(x)), 0.0, np.where(np.isinf(x), 0.0, x)), [(3, 4)]),
    Case("fmax fmin", lambda x, y: ad.fmax(_holes(x), y) + ad.fmin(y, _holes(x)), lambda x, y: np.fmax(_np_holes(x), y) + np.fmin(y, _np_holes(x)), [(3, 4), (4,)]),
    Case("nansum", lambda x: ad.nansum(_holes(x), axis=1), lambda x: np.nansum(_np_holes(x), axis=1), [(3, 4)], order=3),
    Case("nanmean keepdims", lambda x: ad.nanmean(_holes(x), axis=0, keepdims=True), lambda x: np.nanmean(_np_holes(x), axis=0, keepdims=True), [(3, 4)], order=3),
    Case("nanmax nanmin", lambda x: ad.nanmax(_holes(x), axis=1) - ad.nanmin(_holes(x)), lambda x: np.nanmax(_np_holes(x), axis=1) - np.nanmin(_np_holes(x)), [(3, 4)]),
    Case("nanvar nanstd", lambda x: ad.nanvar(_holes(x), axis=1, ddof=1) + ad.nanstd(_holes(x)), lambda x: np.nanvar(_np_holes(x), axis=1, ddof=1) + np.nanstd(_np_holes(x)), [(3, 4)], order=3),
    Case("ptp", lambda x: ad.ptp(x, axis=-1, keepdims=True), lambda x: np.ptp(x, axis=-1, keepdims=True), [(3, 4)]),
    Case("quantile scalar q", lambda x: ad.quantile(x, 0.3, axis=1), lambda x: np.quantile(x, 0.3, axis=1), [(3, 5)]),
    Case("quantile of all, q list", lambda x: ad.quantile(x, [0.0, 0.25, 0.9, 1.0]), lambda x: np.quantile(x, [0.0, 0.25, 0.9, 1.0]), [(2, 3)]),
    Case("quantile two axes keepdims", lambda x: ad.quantile(x, [0.5, 0.75], axis=(0, 2), keepdims=True), lambda x: np.quantile(x, [0.5, 0.75], axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    Case("percentile", lambda x: ad.percentile(x, 40, axis=0), lambda x: np.percentile(x, 40, axis=0), [(5, 2)]),
    Case("median even and odd", lambda x: ad.median(x, axis=1) + ad.median(x[:, :3], axis=1), lambda x: np.median(x, axis=1) + np.median(x[:, :3], axis=1), [(3, 4)]),
    Case("median 0-d axis None", lambda x: ad.median(x), np.median, [(4,)]),
]
