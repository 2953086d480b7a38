"""ad.linalg and ad.stats beyond the op-case rows: values vs NumPy and SciPy (batched,
broadcast, every option), build-time errors, Hessians of slogdet and solve vs finite
differences, ports of HIPS autograd's tests/test_linalg.py, and the Gaussian MLE example."""

from __future__ import annotations

import importlib.util
import itertools
import os

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special, stats

import autodiff as ad

L = ad.linalg
RNG = np.random.default_rng(7)


def _well(*shape):
    return RNG.normal(size=shape) + 4 * np.eye(shape[-1])


def _spd(*shape):
    a = RNG.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _close(node, expected, rtol=1e-10, atol=1e-12):
    value = node()
    assert node.shape == value.shape == np.shape(expected), (node.shape, np.shape(expected))
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol)


# -- values vs NumPy and SciPy --------------------------------------------------------------
def test_solve_follows_numpy_2_broadcasting():
    a, b = _well(2, 1, 3, 3), RNG.normal(size=(4, 3, 2))
    _close(L.solve(ad.Variable(a), b), np.linalg.solve(a, b))
    v = RNG.normal(size=3)
    _close(L.solve(ad.Variable(a), v), np.linalg.solve(a, v))  # 1-d b: one vector per matrix
    with pytest.raises(ValueError):  # NumPy 2: a 2-d b is a matrix, not a stack of vectors
        np.linalg.solve(_well(5, 3, 3), RNG.normal(size=(5, 3)))
    with pytest.raises(
        ValueError, match=r"Solve: b of shape \(5, 3\) does not match a of shape \(5, 3, 3\)"
    ):
        L.solve(ad.Variable(_well(5, 3, 3)), RNG.normal(size=(5, 3)))


@pytest.mark.parametrize(
    "lower, trans, unit",
    list(itertools.product([True, False], [0, 1, 2, "N", "T", "C"], [False, True])),
)
def test_solve_triangular_matches_scipy(lower, trans, unit):
    a = _well(4, 4)
    for b in (RNG.normal(size=4), RNG.normal(size=(4, 2))):
        expected = scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
        _close(
            L.solve_triangular(ad.Variable(a), b, trans=trans, lower=lower, unit_diagonal=unit),
            expected,
        )


def test_solve_triangular_is_batched_and_refuses_a_zero_pivot():
    a, b = _well(2, 3, 3), RNG.normal(size=(3, 5))
    expected = np.linalg.solve(np.triu(a), b)
    _close(L.solve_triangular(ad.Variable(a), b), expected)
    singular = np.triu(_well(3, 3))
    singular[1, 1] = 0.0
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        L.solve_triangular(ad.Variable(singular), np.ones(3))()


def test_values_of_every_function_batched():
    a, s, r = _well(2, 3, 3), _spd(2, 3, 3), RNG.normal(size=(2, 5, 3))
    x, y, z = ad.Variable(a), ad.Variable(s), ad.Variable(r)
    _close(L.inv(x), np.linalg.inv(a))
    _close(L.det(x), np.linalg.det(a))
    for ours, theirs in zip(L.slogdet(x), np.linalg.slogdet(a), strict=True):
        _close(ours, theirs)
    _close(L.cholesky(y), np.linalg.cholesky(s))
    _close(L.cholesky(y, upper=True), np.linalg.cholesky(s, upper=True))
    for uplo in "LU":
        w, v = L.eigh(x, UPLO=uplo)  # a is not symmetric: one triangle is read
        w_ref, v_ref = np.linalg.eigh(a, UPLO=uplo)
        _close(w, w_ref)
        _close(v, v_ref)
        _close(L.eigvalsh(x, UPLO=uplo), np.linalg.eigvalsh(a, UPLO=uplo))
    for full in (True, False):
        for ours, theirs in zip(
            L.svd(z, full_matrices=full), np.linalg.svd(r, full_matrices=full), strict=True
        ):
            _close(ours, theirs)
    _close(L.svdvals(z), np.linalg.svdvals(r))
    for ours, theirs in zip(L.qr(z), np.linalg.qr(r), strict=True):
        _close(ours, theirs)
    wide = np.swapaxes(r, -1, -2)
    for ours, theirs in zip(
        L.qr(ad.Variable(wide), mode="complete"), np.linalg.qr(wide, mode="complete"), strict=True
    ):
        _close(ours, theirs)
    _close(L.pinv(z), np.linalg.pinv(r))
    _close(L.pinv(z, rcond=0.5), np.linalg.pinv(r, rcond=0.5))
    _close(L.pinv(z, rtol=0.5), np.linalg.pinv(r, rtol=0.5))
    for n in (-3, -1, 0, 1, 2, 3, 4, 7):
        _close(L.matrix_power(x, n), np.linalg.matrix_power(a, n), rtol=1e-9)
    for ord in (2, -2, "nuc"):
        _close(L.norm(z, ord, axis=(2, 1)), np.linalg.norm(r, ord, axis=(2, 1)))
    _close(L.matrix_transpose(z), np.swapaxes(r, -1, -2))


def test_integer_inputs_give_numpy_s_dtypes():
    a = np.array([[2, 1], [1, 3]])
    x = ad.Variable(a)
    for ours, theirs in (
        (L.inv(x), np.linalg.inv(a)),
        (L.det(x), np.linalg.det(a)),
        (L.matrix_power(x, 3), np.linalg.matrix_power(a, 3)),
        (L.matrix_power(x, 0), np.linalg.matrix_power(a, 0)),
    ):
        assert ours.dtype == ours().dtype == theirs.dtype
        np.testing.assert_allclose(ours(), theirs, rtol=1e-12)


def test_lstsq_returns_what_numpy_returns():
    a, b = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2))
    for bb in (b, b[:, 0]):
        result = L.lstsq(ad.Variable(a), bb)
        expected = np.linalg.lstsq(a, bb)
        for ours, theirs in zip(result, expected, strict=True):
            _close(ours, np.asarray(theirs), rtol=1e-9)
        assert result.rank.dtype == np.asarray(expected[2]).dtype
    wide = RNG.normal(size=(2, 4))
    x, residuals, rank, s = L.lstsq(ad.Variable(wide), np.ones(2))
    _close(x, np.linalg.lstsq(wide, np.ones(2))[0])
    assert residuals.shape == (0,) and int(rank()) == 2
    deficient = np.outer(np.arange(1.0, 6.0), [1.0, 2.0, 3.0])
    assert (
        int(L.lstsq(ad.Variable(deficient), np.ones(5)).rank())
        == np.linalg.lstsq(deficient, np.ones(5))[2]
        == 1
    )


def test_the_rest_of_numpy_linalg_s_namespace():
    a, sq = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 3))
    x = ad.Variable(a)
    pairs = [
        (L.trace(x, offset=1), np.linalg.trace(a, offset=1)),
        (L.diagonal(x, offset=-1), np.linalg.diagonal(a, offset=-1)),
        (L.outer(x[0, 0], a[1, 1]), np.linalg.outer(a[0, 0], a[1, 1])),
        (
            L.tensordot(x, a, axes=([1, 2], [1, 2])),
            np.linalg.tensordot(a, a, axes=([1, 2], [1, 2])),
        ),
        (L.matmul(x, a[0].T), np.linalg.matmul(a, a[0].T)),
    ]
    chain = [
        RNG.normal(size=5),
        RNG.normal(size=(5, 3)),
        RNG.normal(size=(3, 4)),
        RNG.normal(size=4),
    ]
    for first, last in ((0, 4), (1, 3), (1, 4), (0, 3)):
        arrays = chain[first:last]
        pairs.append(
            (L.multi_dot([ad.Variable(arrays[0]), *arrays[1:]]), np.linalg.multi_dot(arrays))
        )
    for ord in (2, 1, np.inf, -np.inf, 0, 3):
        for axis in (None, 1, (0, 2), (2, 0, 1)):
            for keepdims in (False, True):
                pairs.append(
                    (
                        L.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims),
                        np.linalg.vector_norm(a, ord=ord, axis=axis, keepdims=keepdims),
                    )
                )
    for ord in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        pairs.append(
            (
                L.matrix_norm(x, ord=ord, keepdims=True),
                np.linalg.matrix_norm(a, ord=ord, keepdims=True),
            )
        )
    for p in (None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"):
        pairs.append((L.cond(ad.Variable(sq), p), np.linalg.cond(sq, p)))
    r = np.outer([1.0, 2.0, 3.0], [1.0, 1.0, 2.0])
    for ours, theirs in (
        (L.matrix_rank(ad.Variable(r)), np.linalg.matrix_rank(r)),
        (L.matrix_rank(x), np.linalg.matrix_rank(a)),
        (L.matrix_rank(ad.Variable(np.zeros(3))), np.linalg.matrix_rank(np.zeros(3))),
        (L.matrix_rank(ad.Variable(r), tol=0.5), np.linalg.matrix_rank(r, tol=0.5)),
        (L.matrix_rank(ad.Variable(r), rtol=0.5), np.linalg.matrix_rank(r, rtol=0.5)),
    ):
        pairs.append((ours, theirs))
    for ours, theirs in pairs:
        assert ours.dtype == ours().dtype == np.asarray(theirs).dtype
        _close(ours, theirs)
    ad.check_grads(lambda m: L.cond(m) + L.cond(m, 1), [_well(2, 3, 3)], order=2)
    ad.check_grads(
        lambda u, v: L.multi_dot([u, v, u.T]),
        [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3))],
        order=2,
    )
    ad.check_grads(lambda m: L.vector_norm(m, axis=(0, 2), ord=3), [a], order=2)


def test_ad_linalg_norm_is_ad_norm():
    assert L.norm is ad.norm


# -- errors, when the graph is built ---------------------------------------------------------
ERRORS = [
    (
        lambda: L.inv(ad.Variable(np.ones((2, 3)))),
        np.linalg.LinAlgError,
        r"Inv: the last two axes of a must be square, got shape \(2, 3\)",
    ),
    (
        lambda: L.det(ad.Variable(np.ones(3))),
        np.linalg.LinAlgError,
        r"Det: a must have at least 2 dimensions, got shape \(3,\)",
    ),
    (
        lambda: L.slogdet(ad.Variable(np.ones((3, 2)))),
        np.linalg.LinAlgError,
        r"Slogdet: .*\(3, 2\)",
    ),
    (
        lambda: L.solve(ad.Variable(np.eye(3)), np.ones(4)),
        ValueError,
        r"Solve: b of shape \(4,\) does not match a of shape \(3, 3\)",
    ),
    (
        lambda: L.solve(ad.Variable(np.ones((2, 3, 3))), np.ones((4, 3, 1))),
        ValueError,
        r"Solve: cannot broadcast the batch axes of a of shape \(2, 3, 3\) and b of shape \(4, 3, 1\)",
    ),
    (
        lambda: L.solve(ad.Variable(np.eye(2) + 0j), np.ones(2)),
        TypeError,
        r"Solve: complex input a",
    ),
    (
        lambda: L.solve_triangular(ad.Variable(np.eye(2)), np.ones(2), trans="X"),
        ValueError,
        r"SolveTriangular: trans must be",
    ),
    (
        lambda: L.solve_triangular(ad.Variable(np.eye(2)), np.ones((3, 1))),
        ValueError,
        r"SolveTriangular: b of shape \(3, 1\) does not match a of shape \(2, 2\)",
    ),
    (
        lambda: L.cholesky(ad.Variable(np.ones((2, 3)))),
        np.linalg.LinAlgError,
        r"Cholesky: .*square.*\(2, 3\)",
    ),
    (
        lambda: L.eigh(ad.Variable(np.eye(2)), UPLO="X"),
        ValueError,
        r"Eigh: UPLO must be 'L' or 'U'",
    ),
    (
        lambda: L.qr(ad.Variable(np.ones((3, 2))), mode="bad"),
        ValueError,
        r"Qr: unrecognized mode 'bad'",
    ),
    (
        lambda: L.qr(ad.Variable(np.ones((3, 2))), mode="complete"),
        NotImplementedError,
        r"Qr: mode='complete'.*\(3, 2\)",
    ),
    (
        lambda: L.matrix_power(ad.Variable(np.eye(2)), 1.5),
        TypeError,
        r"MatrixPower: exponent must be an integer",
    ),
    (
        lambda: L.matrix_power(ad.Variable(np.ones((2, 3))), 2),
        np.linalg.LinAlgError,
        r"MatrixPower: .*\(2, 3\)",
    ),
    (
        lambda: L.lstsq(ad.Variable(np.ones((2, 3, 3))), np.ones(3)),
        np.linalg.LinAlgError,
        r"Lstsq: a must be 2-dimensional, got shape \(2, 3, 3\)",
    ),
    (
        lambda: L.lstsq(ad.Variable(np.ones((3, 2))), np.ones(4)),
        np.linalg.LinAlgError,
        r"Lstsq: a of shape \(3, 2\) and b of shape \(4, 1\)",
    ),
    (
        lambda: L.pinv(ad.Variable(np.ones((3, 2))), rcond=0.1, rtol=0.1),
        ValueError,
        r"Pinv: pass rcond or rtol",
    ),
    (
        lambda: ad.stats.multivariate_normal.logpdf(
            ad.Variable(np.ones((4, 3))), np.zeros(3), np.eye(2)
        ),
        ValueError,
        r"MultivariateNormal: cov of shape \(2, 2\)",
    ),
    (
        lambda: ad.stats.logsumexp(ad.Variable(np.ones((4, 3))), b=np.ones(4)),
        ValueError,
        r"Logsumexp: cannot broadcast",
    ),
]


@pytest.mark.parametrize(
    "build, kind, message",
    ERRORS,
    ids=[m.split(":")[0] + str(i) for i, (_, _, m) in enumerate(ERRORS)],
)
def test_errors_name_the_function_and_the_shapes(build, kind, message):
    with pytest.raises(kind, match=message):
        build()


def test_errors_when_evaluated_are_numpy_s():
    with pytest.raises(np.linalg.LinAlgError):
        L.cholesky(ad.Variable(-np.eye(2)))()
    with pytest.raises(np.linalg.LinAlgError):
        L.inv(ad.Variable(np.zeros((2, 2))))()


def test_svd_full_matrices_of_a_non_square_matrix_has_no_gradient():
    x = ad.Variable(RNG.normal(size=(4, 3)))
    u, s, vh = L.svd(x)
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        ad.grad(ad.sum(u), x)
    ad.check_grads(lambda a: L.svd(a)[1], [x.value], order=2)  # the values alone: fine


# -- Hessians vs finite differences -----------------------------------------------------------
def _jacobian_of_gradient(grad_node, x, eps=1e-6):
    plan = ad.function(grad_node)
    x0 = x.value.copy()
    out = np.zeros(grad_node.shape + x.shape)
    for index in np.ndindex(x.shape):
        for sign in (1, -1):
            bumped = x0.copy()
            bumped[index] += sign * eps
            x.value = bumped
            out[(...,) + index] += sign * plan() / (2 * eps)
    x.value = x0
    return out


def test_hessian_of_slogdet_is_exact():
    a = _well(3, 3)
    x = ad.Variable(a)
    f = L.slogdet(x).logabsdet
    H = ad.hessian(f, x)()
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(
        H, -np.einsum("jk,li->ijkl", inverse, inverse), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(H, _jacobian_of_gradient(ad.grad(f, x), x), rtol=1e-6, atol=1e-8)
    ad.check_grads(lambda b: L.slogdet(b)[1], [_well(2, 3, 3)], order=3)


def test_hessian_of_solve_vs_finite_differences():
    a, b, w = _well(3, 3), RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    x, y = ad.Variable(a), ad.Variable(b)
    f = ad.sum(L.solve(x, y) * w)
    ga, gb = ad.grad(f, [x, y])
    np.testing.assert_allclose(
        ad.hessian(f, x)(), _jacobian_of_gradient(ga, x), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        ad.jacobian(ga, y)(), _jacobian_of_gradient(ga, y), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        ad.hessian(f, y)(), np.zeros((3, 2, 3, 2)), atol=1e-14
    )  # linear in b


def test_hessian_of_the_gaussian_log_density_in_its_mean_is_minus_the_precision():
    cov = _spd(3, 3)
    mean = ad.Variable(RNG.normal(size=3))
    f = ad.sum(ad.stats.multivariate_normal.logpdf(RNG.normal(size=(5, 3)), mean, cov))
    np.testing.assert_allclose(ad.hessian(f, mean)(), -5 * np.linalg.inv(cov), rtol=1e-10)


def test_eigenvalue_and_singular_value_gradients_are_finite_at_a_repeated_value():
    x = ad.Variable(np.eye(3))
    weights = np.array([1.0, 2.0, 3.0])
    with np.errstate(all="raise"):
        for f in (
            ad.sum(L.eigvalsh(x) * weights),
            ad.sum(L.eigh(x)[0]),
            ad.sum(L.svd(x)[1]),
            L.norm(x, "nuc"),
        ):
            assert np.all(np.isfinite(ad.grad(f, x)()))
    np.testing.assert_allclose(ad.grad(L.norm(x, "nuc"), x)(), np.eye(3))


def test_float32_stays_float32():
    x = ad.Variable(_spd(3, 3).astype(np.float32))
    for y in (
        L.inv(x),
        L.cholesky(x),
        L.slogdet(x)[1],
        L.eigh(x)[1],
        L.svd(x)[0],
        L.qr(x)[0],
        L.pinv(x),
        L.solve_triangular(x, np.ones(3, np.float32)),
        ad.stats.multivariate_normal.logpdf(np.ones(3, np.float32), None, x),
    ):
        assert y.dtype == np.float32
        g = ad.grad(ad.sum(y), x)
        assert g.dtype == g().dtype == np.float32


# -- statistics vs SciPy ------------------------------------------------------------------------
def test_stats_match_scipy():
    x, cov = RNG.normal(size=(2, 4, 3)), _spd(3, 3)
    mean = RNG.normal(size=3)
    _close(
        ad.stats.multivariate_normal.logpdf(ad.Variable(x), mean, cov),
        stats.multivariate_normal.logpdf(x, mean, cov),
    )
    _close(
        ad.stats.multivariate_normal.pdf(ad.Variable(x[0, 0]), mean, cov),
        stats.multivariate_normal.pdf(x[0, 0], mean, cov),
    )
    _close(
        ad.stats.multivariate_normal.logpdf(ad.Variable(x[0, 0]), mean, np.diag(cov)),
        stats.multivariate_normal.logpdf(x[0, 0], mean, np.diag(cov)),
    )
    _close(
        ad.stats.multivariate_normal.logpdf(ad.Variable(x[0, :, 0]), 0.5, 2.0),
        stats.multivariate_normal.logpdf(x[0, :, 0], 0.5, 2.0),
    )
    _close(ad.stats.norm.logpdf(ad.Variable(x), mean, 2.0), stats.norm.logpdf(x, mean, 2.0))
    _close(
        ad.stats.norm.pdf(ad.Variable(x), 0.0, np.array([1.0, 2.0, 3.0])),
        stats.norm.pdf(x, 0.0, [1.0, 2.0, 3.0]),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**16),
    st.sampled_from([None, 0, 1, -1, (0, 1)]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_logsumexp_matches_scipy(seed, axis, keepdims, return_sign, weighted):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 4)) * 30
    b = rng.normal(size=(4,)) if weighted else None
    expected = special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    with np.errstate(invalid="ignore"):
        ours = ad.stats.logsumexp(
            ad.Variable(a), axis=axis, b=b, keepdims=keepdims, return_sign=return_sign
        )
        for o, e in zip(
            ours if return_sign else [ours], expected if return_sign else [expected], strict=True
        ):
            assert o.shape == np.shape(e)
            np.testing.assert_allclose(o(), e, rtol=1e-12, atol=1e-12)


@st.composite
def _stacks(draw):
    """A well-conditioned stack a (..., n, n), an SPD stack, and a b whose batch axes
    broadcast with a's (or a 1-d b); n up to 5, exponents past matrix_power's special cases."""
    n = draw(st.integers(1, 5))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    b_batch = tuple(1 if draw(st.booleans()) else m for m in batch)[
        draw(st.integers(0, len(batch))) :
    ]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a = rng.normal(size=batch + (n, n)) + 2 * n * np.eye(n)
    m = rng.normal(size=batch + (n, n))
    spd = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    b = (
        rng.normal(size=(n,))
        if draw(st.booleans())
        else rng.normal(size=b_batch + (n, draw(st.integers(1, 3))))
    )
    return a, spd, b, draw(st.integers(-6, 9)), draw(st.booleans())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_stacks())
def test_stacks_match_numpy(case):
    a, spd, b, power, lower = case
    x, y = ad.Variable(a), ad.Variable(spd)
    triangle = np.tril(a) if lower else np.triu(a)
    b_matrix = b[:, None] if b.ndim == 1 else b
    expected_triangular = np.linalg.solve(triangle, b_matrix)
    pairs = [
        (L.solve(x, b), np.linalg.solve(a, b)),
        (
            L.solve_triangular(x, b, lower=lower),
            expected_triangular[..., 0] if b.ndim == 1 else expected_triangular,
        ),
        (L.inv(x), np.linalg.inv(a)),
        (L.det(x), np.linalg.det(a)),
        (L.slogdet(y).logabsdet, np.linalg.slogdet(spd)[1]),
        (L.cholesky(y, upper=not lower), np.linalg.cholesky(spd, upper=not lower)),
        (L.eigvalsh(y), np.linalg.eigvalsh(spd)),
        (L.svdvals(x[..., :, 1:]), np.linalg.svdvals(a[..., :, 1:])),
        (L.qr(x).R, np.linalg.qr(a).R),
        (L.pinv(x[..., 1:, :]), np.linalg.pinv(a[..., 1:, :])),
        (L.matrix_power(x, power), np.linalg.matrix_power(a, power)),
    ]
    for ours, theirs in pairs:
        _close(ours, theirs, rtol=1e-8, atol=1e-10)
    ad.check_grads(lambda m, v: L.solve(m, v), [a, b], order=1)


# -- ports of HIPS autograd's tests/test_linalg.py ------------------------------------------
def _to_scalar(x):  # autograd's: sum(sin(x))
    return ad.sum(ad.sin(x))


def _symmetrized(fun):  # autograd's check_symmetric_matrix_grads: (tril(A) + tril(A).T) / 2
    def f(a):
        lower = a * np.tril(np.ones(a.shape[-2:]))
        return fun((lower + L.matrix_transpose(lower)) / 2.0)

    return f


def _psd(d):
    m = RNG.normal(size=(d, d))
    return m @ m.T


def _stack(make, count):
    return np.stack([make() for _ in range(count)])


def _uvs(x):
    u, s, v = L.svd(x, full_matrices=False)
    return _to_scalar(u) + _to_scalar(s) + _to_scalar(v)


def _wv(uplo):
    return lambda x: (lambda w, v: _to_scalar(w) + _to_scalar(v))(*L.eigh(x, uplo))


_M8 = RNG.normal(size=(8, 8))
_A6 = RNG.normal(size=(6, 6)) + np.eye(6)
_A8 = RNG.normal(size=(8, 8)) + 10 * np.eye(8)
_B = {
    "8x7": RNG.normal(size=(8, 7)),
    "8": RNG.normal(size=8),
    "5x4": RNG.normal(size=(5, 4)),
    "5x4x6": RNG.normal(size=(5, 4, 6)),
}
_MAT6 = RNG.normal(size=(6, 6))
_T6, _b6, _B6 = (
    RNG.normal(size=(6, 6)) + 10 * np.eye(6),
    RNG.normal(size=6),
    RNG.normal(size=(6, 5)),
)
_HB = [RNG.normal(size=(2, 3, 6, 6)) + 10 * np.eye(6) for _ in range(2)]
_HB = [np.einsum("...ij,...kj->...ik", m, m) for m in _HB]

AUTOGRAD = [
    ("inv", lambda x: _to_scalar(L.inv(x)), _M8 @ _M8 + np.eye(8)),
    ("inv_3d", lambda x: _to_scalar(L.inv(x)), RNG.normal(size=(4, 4, 4)) + 5 * np.eye(4)),
    ("inv_4d", lambda x: _to_scalar(L.inv(x)), RNG.normal(size=(4, 4, 4, 4)) + 5 * np.eye(4)),
    ("solve_arg1", lambda a: _to_scalar(L.solve(a, _B["8x7"])), _A8),
    ("solve_arg1_1d", lambda a: _to_scalar(L.solve(a, _B["8"])), _A8),
    ("solve_arg2", lambda b: _to_scalar(L.solve(_A6, b)), RNG.normal(size=(6, 5))),
    # NumPy 2: a stack of vectors is b[..., None] (autograd's NumPy 1 took b (5, 4) as one)
    (
        "solve_arg1_3d",
        lambda a: _to_scalar(L.solve(a, _B["5x4"][..., None])),
        RNG.normal(size=(5, 4, 4)) + 5 * np.eye(4),
    ),
    (
        "solve_arg1_3d_3d",
        lambda a: _to_scalar(L.solve(a, _B["5x4x6"])),
        RNG.normal(size=(5, 4, 4)) + 5 * np.eye(4),
    ),
    ("det", L.det, RNG.normal(size=(6, 6))),
    ("det_3d", lambda x: _to_scalar(L.det(x)), RNG.normal(size=(3, 3, 3))),
    ("slogdet", lambda x: L.slogdet(x)[1], _MAT6),
    ("slogdet of -mat", lambda x: L.slogdet(x)[1], -_MAT6),
    ("slogdet_3d", lambda x: ad.sum(L.slogdet(x)[1]), _stack(lambda: _psd(5) + 5 * np.eye(5), 3)),
    ("vector_2norm", lambda x: _to_scalar(L.norm(x)), RNG.normal(size=6)),
    ("frobenius_norm", lambda x: _to_scalar(L.norm(x)), RNG.normal(size=(6, 5))),
    (
        "frobenius_norm_axis",
        lambda x: _to_scalar(L.norm(x, axis=(0, 1))),
        RNG.normal(size=(6, 5, 4)),
    ),
    *[
        (f"vector_norm_ord {o}", lambda x, o=o: L.norm(x, ord=o), RNG.normal(size=6))
        for o in range(2, 5)
    ],
    *[
        (f"norm_axis {k}", lambda x, k=k: _to_scalar(L.norm(x, axis=k)), RNG.normal(size=(6, 5, 4)))
        for k in range(3)
    ],
    ("norm_nuclear", lambda x: _to_scalar(L.norm(x, ord="nuc")), RNG.normal(size=(6, 5))),
    (
        "norm_nuclear_axis",
        lambda x: _to_scalar(L.norm(x, ord="nuc", axis=(0, 1))),
        RNG.normal(size=(6, 5, 4)),
    ),
    ("eigvalh_lower", _symmetrized(_wv("L")), _MAT6.T @ _MAT6),
    ("eigvalh_upper", _symmetrized(_wv("U")), _MAT6.T @ _MAT6),
    ("eigvalh_lower_broadcasting", _symmetrized(_wv("L")), _HB[0]),
    ("eigvalh_upper_broadcasting", _symmetrized(_wv("U")), _HB[1]),
    ("cholesky", _symmetrized(lambda a: _to_scalar(L.cholesky(a))), _psd(6)),
    (
        "cholesky_broadcast",
        _symmetrized(lambda a: _to_scalar(L.cholesky(a))),
        _stack(lambda: _psd(6), 3),
    ),
    (
        "cholesky_reparameterization_trick",
        _symmetrized(lambda a: L.norm(L.cholesky(a) @ np.random.RandomState(0).randn(6))),
        _psd(6),
    ),
    *[
        (
            f"solve_triangular_arg1 trans={t!r} lower={low}",
            lambda a, t=t, low=low: _to_scalar(L.solve_triangular(a, _b6, trans=t, lower=low)),
            _T6,
        )
        for t, low in itertools.product(["T", "N", "C", 0, 1, 2], [True, False])
    ],
    *[
        (
            f"solve_triangular_arg2_1d trans={t!r} lower={low}",
            lambda b, t=t, low=low: _to_scalar(L.solve_triangular(_T6, b, trans=t, lower=low)),
            _b6,
        )
        for t, low in itertools.product(["T", "N", "C", 0, 1, 2], [True, False])
    ],
    *[
        (
            f"solve_triangular_arg2_2d trans={t!r} lower={low}",
            lambda b, t=t, low=low: _to_scalar(L.solve_triangular(_T6, b, trans=t, lower=low)),
            _B6,
        )
        for t, low in itertools.product(["T", "N", "C", 0, 1, 2], [True, False])
    ],
    ("svd_wide_2d", _uvs, RNG.normal(size=(3, 5))),
    ("svd_wide_3d", _uvs, RNG.normal(size=(4, 3, 5))),
    ("svd_square_2d", _uvs, RNG.normal(size=(4, 4))),
    ("svd_square_3d", _uvs, RNG.normal(size=(3, 4, 4))),
    ("svd_tall_2d", _uvs, RNG.normal(size=(5, 3))),
    ("svd_tall_3d", _uvs, RNG.normal(size=(4, 5, 3))),
    (
        "svd_only_s_2d",
        lambda x: _to_scalar(L.svd(x, full_matrices=False, compute_uv=False)),
        RNG.normal(size=(5, 3)),
    ),
    (
        "svd_only_s_3d",
        lambda x: _to_scalar(L.svd(x, full_matrices=False, compute_uv=False)),
        RNG.normal(size=(4, 5, 3)),
    ),
]


@pytest.mark.parametrize(
    "fun, arg", [(f, a) for _, f, a in AUTOGRAD], ids=[name for name, _, _ in AUTOGRAD]
)
def test_autograd_port(fun, arg):
    """autograd checks each function and the gradient of its gradient: order 2 here."""
    ad.check_grads(fun, [arg], order=2)


def test_autograd_numpy_1_solve_form_is_refused_as_numpy_2_refuses_it():
    a, b = RNG.normal(size=(5, 4, 4)) + 5 * np.eye(4), _B["5x4"]
    with pytest.raises(ValueError):
        np.linalg.solve(a, b)
    with pytest.raises(ValueError, match="Solve: b of shape"):
        L.solve(ad.Variable(a), b)


# -- the example ---------------------------------------------------------------------------------
def _example():
    path = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "gaussian_mle.py")
    spec = importlib.util.spec_from_file_location("example_gaussian_mle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gaussian_mle_example_finds_scipy_s_answer(capsys):
    result = _example().main(["--points", "300", "--dim", "3", "--seed", "3"])
    assert "step" in capsys.readouterr().out
    x = result["x"]
    mean, cov = x.mean(axis=0), np.cov(x, rowvar=False, bias=True)  # the closed-form MLE
    assert result["iterations"] < 20 and result["gradient_norm"] < 1e-8
    np.testing.assert_allclose(result["mean"], mean, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(result["cov"], cov, rtol=1e-9, atol=1e-10)
    best = stats.multivariate_normal.logpdf(x, mean, cov).sum()
    np.testing.assert_allclose(result["log_likelihood"], best, rtol=1e-12)
    np.testing.assert_allclose(-result["nll"] * len(x), best, rtol=1e-12)
    fitted = stats.multivariate_normal.fit(x)  # SciPy's own fit agrees
    np.testing.assert_allclose(result["mean"], fitted[0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result["cov"], fitted[1], rtol=1e-8, atol=1e-10)
