"""Rows for ad.linalg and ad.stats: well-conditioned random matrices (a shifted diagonal), SPD
ones (a @ a.T + n I) for cholesky and slogdet, stacks of matrices with broadcast batch axes.

Each row builds its matrices inside the row, so the integer and boolean inputs of the table
stay well-conditioned too. Results with a sign ambiguity (eigenvectors, singular vectors) are
tested through sign-invariant products, as autograd's tests do.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

import autodiff as ad
from autodiff.ops.linalg import matrix_transpose as mT

from . import Case, _positive

L = ad.linalg


def _shift(a, eye):
    """a plus 4 on the diagonal, of a's dtype where it is a float (eye: ad.eye or np.eye)."""
    return a + 4.0 * eye(a.shape[-1], dtype=a.dtype)


def well(a):
    return _shift(a, ad.eye)


def well_np(a):
    return _shift(a, np.eye)


def spd(a):
    return a @ mT(a) + 3.0 * ad.eye(a.shape[-1], dtype=a.dtype)


def spd_np(a):
    return a @ np.swapaxes(a, -1, -2) + 3.0 * np.eye(a.shape[-1], dtype=a.dtype)


def dominant(a):
    """a plus 10 on the diagonal: either triangle, mirrored, is positive definite (for the
    table's integers in [-3, 3] too), while a itself is not symmetric."""
    return a + 10.0 * ad.eye(a.shape[-1], dtype=a.dtype)


def dominant_np(a):
    return a + 10.0 * np.eye(a.shape[-1], dtype=a.dtype)


def _svd_parts(u, s, vh):
    """U, S and Vh in one array, each vector times its first entry (sign-invariant)."""
    return ad.concatenate([u * u[..., :1, :], mT(vh * vh[..., :, :1]), s[..., None, :]], axis=-2)


def _svd_np(a, full_matrices=False):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    parts = [u * u[..., :1, :], np.swapaxes(vh * vh[..., :, :1], -1, -2), s[..., None, :]]
    return np.concatenate(parts, axis=-2)


def _eigh_parts(w, v):
    return v * v[..., :1, :] + w[..., None, :]


def _powers(a, np_):
    return np_.matrix_power(a, 0) + np_.matrix_power(a, 3) - np_.matrix_power(a, 5) * 0.01


def _lstsq_np(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return x + residuals


def _mvn(x, mean, a):
    return ad.stats.multivariate_normal.logpdf(x, mean, spd(a))


def _mvn_ref(x, mean, a):
    return stats.multivariate_normal.logpdf(x, mean, spd_np(a))


def _lse_signed(x, b):
    value, sign = ad.stats.logsumexp(x, axis=-1, b=b, return_sign=True)
    return value * sign


def _lse_signed_ref(x, b):
    value, sign = special.logsumexp(x, axis=-1, b=b, return_sign=True)
    return value * sign


CASES: list[Case] = [
    # inverses and solves (order 3: smooth)
    Case(
        "linalg.inv",
        lambda a: L.inv(well(a)),
        lambda a: np.linalg.inv(well_np(a)),
        [(2, 3, 3)],
        order=3,
    ),
    Case(
        "linalg.solve, b broadcast",
        lambda a, b: L.solve(well(a), b),
        lambda a, b: np.linalg.solve(well_np(a), b),
        [(2, 3, 3), (3, 2)],
        order=3,
    ),
    Case(
        "linalg.solve, 1-d b",
        lambda a, b: L.solve(well(a), b),
        lambda a, b: np.linalg.solve(well_np(a), b),
        [(3, 3), (3,)],
        order=3,
    ),
    Case(
        "linalg.solve, batched b",
        lambda a, b: L.solve(well(a), b),
        lambda a, b: np.linalg.solve(well_np(a), b),
        [(3, 3), (2, 3, 1)],
    ),
    Case(
        "linalg.solve_triangular lower, 1-d b",
        lambda a, b: L.solve_triangular(well(a), b, lower=True),
        lambda a, b: np.linalg.solve(np.tril(well_np(a)), b),
        [(3, 3), (3,)],
        order=3,
    ),
    Case(
        "linalg.solve_triangular trans unit_diagonal, batched",
        lambda a, b: L.solve_triangular(a, b, trans="T", unit_diagonal=True),
        lambda a, b: np.linalg.solve(np.swapaxes(np.triu(a, 1) + np.eye(3), -1, -2), b),
        [(2, 3, 3), (3, 2)],
    ),
    # determinants
    Case(
        "linalg.det",
        lambda a: L.det(well(a)),
        lambda a: np.linalg.det(well_np(a)),
        [(2, 3, 3)],
        order=3,
    ),
    Case("linalg.det 1x1", L.det, np.linalg.det, [(1, 1)], order=3, make=_positive),
    Case(
        "linalg.slogdet",
        lambda a: L.slogdet(a)[0] * L.slogdet(a)[1],
        lambda a: np.prod(np.linalg.slogdet(a), axis=0),
        [(2, 3, 3)],
        order=3,
    ),
    Case(
        "linalg.slogdet of SPD",
        lambda a: L.slogdet(spd(a)).logabsdet,
        lambda a: np.linalg.slogdet(spd_np(a))[1],
        [(2, 3, 3)],
        order=3,
    ),
    # factorizations
    Case(
        "linalg.cholesky",
        lambda a: L.cholesky(spd(a)),
        lambda a: np.linalg.cholesky(spd_np(a)),
        [(2, 3, 3)],
        order=3,
    ),
    Case(
        "linalg.cholesky reads the lower triangle",
        lambda a: L.cholesky(dominant(a)),
        lambda a: np.linalg.cholesky(dominant_np(a)),
        [(3, 3)],
    ),
    Case(
        "linalg.cholesky upper",
        lambda a: L.cholesky(dominant(a), upper=True),
        lambda a: np.linalg.cholesky(dominant_np(a), upper=True),
        [(2, 3, 3)],
    ),
    Case(
        "linalg.eigh",
        lambda a: _eigh_parts(*L.eigh(a + mT(a))),
        lambda a: _eigh_parts(*np.linalg.eigh(a + np.swapaxes(a, -1, -2))),
        [(2, 3, 3)],
    ),
    Case(
        "linalg.eigh UPLO='U'",
        lambda a: _eigh_parts(*L.eigh(a, UPLO="U")),
        lambda a: _eigh_parts(*np.linalg.eigh(a, UPLO="U")),
        [(3, 3)],
    ),
    Case(
        "linalg.eigvalsh",
        lambda a: L.eigvalsh(spd(a)),
        lambda a: np.linalg.eigvalsh(spd_np(a)),
        [(2, 3, 3)],
        order=3,
    ),
    Case(
        "linalg.svd tall, reduced",
        lambda a: _svd_parts(*L.svd(a, full_matrices=False)),
        _svd_np,
        [(2, 4, 3)],
    ),
    Case(
        "linalg.svd wide, reduced",
        lambda a: _svd_parts(*L.svd(a, full_matrices=False)),
        _svd_np,
        [(3, 5)],
    ),
    Case(
        "linalg.svd square, full",
        lambda a: _svd_parts(*L.svd(a)),
        lambda a: _svd_np(a, True),
        [(3, 3)],
    ),
    Case(
        "linalg.svd compute_uv=False",
        lambda a: L.svd(a, compute_uv=False),
        lambda a: np.linalg.svd(a, compute_uv=False),
        [(2, 3, 4)],
    ),
    Case(
        "linalg.qr tall",
        lambda a: ad.concatenate(L.qr(a), axis=-2),
        lambda a: np.concatenate(np.linalg.qr(a), axis=-2),
        [(2, 4, 3)],
    ),
    Case(
        "linalg.qr wide",
        lambda a: ad.concatenate(L.qr(a), axis=-1),
        lambda a: np.concatenate(np.linalg.qr(a), axis=-1),
        [(3, 5)],
    ),
    Case(
        "linalg.qr mode r",
        lambda a: L.qr(a, mode="r"),
        lambda a: np.linalg.qr(a, mode="r"),
        [(3, 3)],
    ),
    # pseudo-inverse and least squares
    Case("linalg.pinv tall", L.pinv, np.linalg.pinv, [(4, 3)]),
    Case("linalg.pinv wide, batched", L.pinv, np.linalg.pinv, [(2, 3, 5)]),
    Case(
        "linalg.lstsq x + residuals",
        lambda a, b: L.lstsq(a, b)[0] + L.lstsq(a, b)[1],
        _lstsq_np,
        [(5, 3), (5, 2)],
    ),
    Case(
        "linalg.lstsq 1-d b, rank and s",
        lambda a, b: (lambda x, _, rank, s: x * ad.astype(rank, x.dtype) + s)(*L.lstsq(a, b)),
        lambda a, b: (lambda x, _, rank, s: x * rank + s)(*np.linalg.lstsq(a, b)),
        [(5, 3), (5,)],
    ),
    # powers and norms
    Case(
        "linalg.matrix_power",
        lambda a: _powers(well(a), L),
        lambda a: _powers(well_np(a), np.linalg),
        [(2, 3, 3)],
    ),
    Case(
        "linalg.matrix_power -2",
        lambda a: L.matrix_power(well(a), -2),
        lambda a: np.linalg.matrix_power(well_np(a), -2),
        [(3, 3)],
        order=3,
    ),
    Case(
        "matrix norm 2",
        lambda a: L.norm(a, 2, axis=(0, 2)),
        lambda a: np.linalg.norm(a, 2, axis=(0, 2)),
        [(3, 2, 4)],
    ),
    Case(
        "matrix norm -2",
        lambda a: L.norm(a, -2, keepdims=True),
        lambda a: np.linalg.norm(a, -2, keepdims=True),
        [(3, 4)],
    ),
    Case(
        "matrix norm nuc",
        lambda a: L.norm(a, "nuc", axis=(-1, -2)),
        lambda a: np.linalg.norm(a, "nuc", axis=(-1, -2)),
        [(2, 3, 3)],
    ),
    # statistics
    Case(
        "stats.norm.logpdf",
        lambda x, m, s: ad.stats.norm.logpdf(x, m, s + 0.5),
        lambda x, m, s: stats.norm.logpdf(x, m, s + 0.5),
        [(2, 3), (3,), (2, 1)],
        order=3,
        make=_positive,
    ),
    Case("stats.multivariate_normal.logpdf", _mvn, _mvn_ref, [(4, 3), (3,), (3, 3)], order=3),
    Case(
        "stats.logsumexp b",
        lambda x, b: ad.stats.logsumexp(x, axis=0, b=b * b),
        lambda x, b: special.logsumexp(x, axis=0, b=b * b),
        [(3, 2), (3, 1)],
        order=3,
    ),
    Case("stats.logsumexp return_sign", _lse_signed, _lse_signed_ref, [(2, 3), (2, 3)]),
]
