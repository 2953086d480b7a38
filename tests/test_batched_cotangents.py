"""Batched cotangents through elementwise chains, and the symmetric products they lead to.

`grad` keeps a batched cotangent (a Jacobian's or a Hessian's) as ``base * scale`` while it
flows back through elementwise ops, so the graph scales the batch once per chain; the
plan writes ``x.T diag(w) x`` as a symmetric product when it is large. These tests pin the
values (finite differences, closed forms, NumPy) and the shapes of the graphs.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.node import toposort
from autodiff.ops.einsum_plan import weighted_gram

rng = np.random.default_rng(7)


def _logistic_hessian(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-(A @ x)))
    return A.T @ ((s * (1.0 - s))[:, None] * A) + np.eye(len(x))


@pytest.mark.parametrize("n", [3, 50, 160])  # 160: above the symmetric product's threshold
def test_logistic_hessian_matches_closed_form(n):
    x = ad.Variable(rng.standard_normal(n), name="x")
    A = ad.Variable(rng.standard_normal((2 * n, n)) / np.sqrt(n), name="A")
    f = ad.sum(ad.log(1 + ad.exp(A @ x))) + x @ x / 2
    H = ad.hessian(f, x)
    plan = ad.function(H, inputs=[x, A])
    for _ in range(2):
        xv, Av = rng.standard_normal(n), rng.standard_normal((2 * n, n)) / np.sqrt(n)
        np.testing.assert_allclose(plan(xv, Av), _logistic_hessian(xv, Av), rtol=1e-12, atol=1e-13)
    # only the data, the contraction, the identity and their sum are matrices: every
    # elementwise op of the chain runs on vectors
    matrices = [n for n in toposort([H]) if n.ndim == 2]
    assert len([m for m in matrices if isinstance(m, ad.Variable)]) == 1
    planned = [m for m in toposort(plan.planned) if m.ndim == 2 and m is not A]
    assert len(planned) == 3


def test_forms_users_write_agree():
    n = 6
    xv, Av = rng.standard_normal(n), rng.standard_normal((2 * n, n))
    x, A = ad.Variable(xv), ad.Variable(Av)
    forms = [
        ad.sum(ad.log(1 + ad.exp(A @ x))),
        ad.sum(ad.log1p(ad.exp(A @ x))),
        ad.sum(ad.logaddexp(0.0, A @ x)),
        ad.sum(ad.softplus(A @ x)),
        -ad.sum(ad.log(ad.sigmoid(-(A @ x)))),
    ]
    expected = _logistic_hessian(xv, Av) - np.eye(n)
    for f in forms:
        np.testing.assert_allclose(ad.hessian(f, x)(), expected, rtol=1e-10, atol=1e-12)


def test_jacobians_through_chains_with_broadcast_inputs():
    """Inputs an elementwise op broadcasts (a bias, a scalar) sum the cotangent over elements,
    so they take the whole cotangent; inputs of the op's shape take it scaled."""
    W = ad.Variable(rng.standard_normal((5, 4)), name="W")
    x = ad.Variable(rng.standard_normal(4), name="x")
    b = ad.Variable(rng.standard_normal(5), name="b")
    c = ad.Variable(np.array(0.3), name="c")
    M = ad.Variable(rng.standard_normal((3, 5)), name="M")

    def f(x, b, c):
        h = ad.tanh(W @ x + b) * c + ad.exp(c * (W @ x))
        return ad.sin(h) * h + (M @ h)[0]

    ad.check_grads(lambda x, b, c: ad.jacobian(f(x, b, c), x), [x, b, c], order=1)
    for wrt in (x, b, c):
        J = ad.jacobian(f(x, b, c), wrt)
        assert J.shape == (5, *wrt.shape)
    ad.check_grads(lambda x: ad.hessian(ad.sum(f(x, b, c) ** 2), x), [x], order=1)


def test_second_order_batched_through_where_clip_and_maximum():
    x = ad.Variable(rng.standard_normal(7))
    y = ad.Variable(rng.standard_normal(7))

    def f(x, y):
        z = ad.where(x > 0, x * y, ad.exp(x)) + ad.clip(y * x, -0.5, 0.5) + ad.maximum(x, y)
        return ad.sum(ad.tanh(z) ** 2)

    ad.check_grads(lambda x, y: ad.hessian(f(x, y), x), [x, y], order=1)


def test_hooks_see_the_whole_batched_cotangent():
    x = ad.Variable(rng.standard_normal(4))
    h = ad.tanh(x)
    seen = []

    def hook(g):
        seen.append(g.shape)
        return g * 2.0

    J = ad.jacobian(ad.exp(h), x, hooks={h: hook})
    assert seen == [(4, 4)]
    t = np.tanh(x.value)
    np.testing.assert_allclose(J(), np.diag(2.0 * np.exp(t) * (1 - t * t)), rtol=1e-12)


def test_a_target_inside_the_chain_gets_its_whole_cotangent():
    x = ad.Variable(rng.standard_normal(3))
    h = ad.exp(x)
    Jh, Jx = ad.jacobian(ad.sin(h), [h, x])
    e = np.exp(x.value)
    np.testing.assert_allclose(Jh(), np.diag(np.cos(e)), rtol=1e-12)
    np.testing.assert_allclose(Jx(), np.diag(np.cos(e) * e), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1])
def test_weighted_gram_is_the_product_it_stands_for(axis):
    x = rng.standard_normal((40, 30))
    s = rng.random(40 if axis == 0 else 30)
    expected = x.T @ np.diag(s) @ x if axis == 0 else x @ np.diag(s) @ x.T
    result = weighted_gram(x, s, axis)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(result, result.T)  # the symmetric product is exactly symmetric
    s[3] = -1.0  # a negative weight: the general product
    expected = x.T @ np.diag(s) @ x if axis == 0 else x @ np.diag(s) @ x.T
    np.testing.assert_allclose(weighted_gram(x, s, axis), expected, rtol=1e-12, atol=1e-12)


def test_weighted_gram_keeps_nan_and_inf_where_the_product_has_them():
    x = rng.standard_normal((12, 5))
    for bad in (np.nan, np.inf):
        s = rng.random(12)
        s[4] = bad
        expected = np.einsum("ij,i,ik->jk", x, s, x)
        np.testing.assert_array_equal(np.isnan(weighted_gram(x, s, 0)), np.isnan(expected))
        np.testing.assert_array_equal(np.isinf(weighted_gram(x, s, 0)), np.isinf(expected))


def test_plans_write_large_weighted_grams_as_symmetric_products():
    n = 160
    x = ad.Variable(np.zeros(n), name="x")
    A = ad.Variable(np.zeros((2 * n, n)), name="A")
    w = ad.Variable(np.zeros(2 * n), name="w")
    forms = {
        "A.T diag(w) A": ad.einsum("ij,i,ik->jk", A, w, A),
        "its transpose": ad.einsum("ij,i,ik->kj", A, w, A),
        "A diag(w) A.T": ad.einsum("ji,i,ki->jk", ad.transpose(A), w, ad.transpose(A)),
    }
    Av, wv = rng.standard_normal((2 * n, n)), rng.standard_normal(2 * n)
    for name, node in forms.items():
        plan = ad.function(node, inputs=[A, w])
        assert "_gram" in plan.source, name
        for weights in (np.abs(wv), wv):
            expected = np.einsum("ij,i,ik->jk", Av, weights, Av)
            np.testing.assert_allclose(plan(Av, weights), expected, rtol=1e-11, atol=1e-10)
    small = ad.function(ad.einsum("ij,i,ik->jk", x[:4] * A[:8, :4], w[:8], x[:4] * A[:8, :4]))
    assert "_gram" not in small.source  # below the size where it pays


def test_exported_gram_plan_gives_the_same_result(tmp_path):
    n = 160
    x = ad.Variable(rng.standard_normal(n), name="x")
    A = ad.Variable(rng.standard_normal((2 * n, n)) / np.sqrt(n), name="A")
    plan = ad.function(ad.hessian(ad.sum(ad.softplus(A @ x)), x), inputs=[x, A])
    assert "_gram" in plan.source
    path = tmp_path / "hessian.py"
    plan.export(str(path), name="hessian")
    namespace: dict = {}
    exec(path.read_text(), namespace)
    np.testing.assert_array_equal(namespace["hessian"](x.value, A.value), plan(x.value, A.value))
