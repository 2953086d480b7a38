"""Products with a constant that is mostly zeros (a Jacobian's or Hessian's seed: slices of
an identity) are written as scatters of its nonzeros' products (einsum_plan.sparse_product):
the same values as NumPy's dense product, nan and inf included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.ops import einsum_plan

# (equation, which operand is the constant): a's labels first
FORMS = [
    ("bi,kij->kbj", 1),  # X @ E[k] for every k: the seed of a sliced matrix parameter
    ("c,ab->acb", 1),  # an outer product with a one-hot matrix
    ("ij,jk->ik", 1),  # columns picked
    ("bij,bjk->bik", 1),  # batched
    ("ki,k->ik", 0),  # the constant first
]


def _sizes(equation: str, scale: int) -> dict[str, int]:
    labels = sorted(set(equation) - set(",->"))
    return {label: (scale if i % 2 else 16) for i, label in enumerate(labels)}


def _selection(shape, rng, count):
    """A constant with `count` nonzeros at distinct places (1.0 or a random value)."""
    c = np.zeros(shape)
    flat = rng.choice(c.size, size=min(count, c.size), replace=False)
    c.flat[flat] = np.where(rng.random(len(flat)) < 0.5, 1.0, rng.standard_normal(len(flat)))
    return c


def _plan(equation, k, a0, c0):
    a = ad.Variable(np.zeros(a0.shape), name="a")
    operands = [a, ad.Constant(c0)] if k == 1 else [ad.Constant(c0), a]
    return ad.function(ad.einsum(equation, *operands), inputs=[a])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    form=st.sampled_from(FORMS),
    scale=st.sampled_from([8, 16, 40]),  # results below and above _SPARSE_SIZE
    nonzeros=st.integers(1, 64),
    seed=st.integers(0, 2**16),
    special=st.sampled_from([None, np.inf, -np.inf, np.nan, -0.0]),
)
def test_sparse_constant_products_are_numpy_s(form, scale, nonzeros, seed, special):
    equation, k = form
    rng = np.random.default_rng(seed)
    sizes = _sizes(equation, scale)
    (ta, tc), _ = equation.split("->")[0].split(","), None
    if k == 0:
        ta, tc = tc, ta
    a0 = rng.standard_normal(tuple(sizes[x] for x in ta))
    if special is not None:
        a0.flat[rng.integers(a0.size)] = special
    c0 = _selection(tuple(sizes[x] for x in tc), rng, nonzeros)
    plan = _plan(equation, k, a0, c0)
    want = np.einsum(equation, *((a0, c0) if k == 1 else (c0, a0)))
    got = plan(a0)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)  # nan where NumPy has nan
    # a plan called again (its buffer reused) gives the same
    np.testing.assert_allclose(plan(a0), want, rtol=1e-13, atol=1e-300)


def test_the_seed_of_a_sliced_matrix_is_a_scatter():
    rng = np.random.default_rng(0)
    X0 = rng.standard_normal((32, 8))
    E = np.eye(161)[:, :128].reshape(161, 8, 16)  # the one-hot seed of theta[:128].reshape(8, 16)
    plan = _plan("bi,kij->kbj", 1, X0, E)
    assert "_sparse" in plan.source
    np.testing.assert_array_equal(plan(X0), np.einsum("bi,kij->kbj", X0, E))


def test_dense_or_colliding_constants_are_products():
    rng = np.random.default_rng(1)
    a0 = rng.standard_normal((32, 64))
    dense = rng.standard_normal((64, 256))
    assert "_sparse" not in _plan("ij,jk->ik", 1, a0, dense).source
    collide = np.zeros((64, 256))
    collide[:, 0] = 1.0  # every row adds into column 0 of the result
    plan = _plan("ij,jk->ik", 1, a0, collide)
    assert "_sparse" not in plan.source
    np.testing.assert_allclose(plan(a0), a0 @ collide)


def test_the_mlp_hessian_of_a_flat_vector_matches_the_closed_form():
    from benchmarks.workloads import mlp_hessian_reference

    rng = np.random.default_rng(2)
    P, (i, h) = 161, (8, 16)
    theta = ad.Variable(np.zeros(P), name="theta")
    X = ad.Variable(np.zeros((32, i)), name="X")
    y = ad.Variable(np.zeros(32), name="y")
    W1, b1 = theta[: i * h].reshape(i, h), theta[i * h : i * h + h]
    W2, b2 = theta[i * h + h : i * h + 2 * h], theta[-1]
    loss = ad.mean((ad.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2)
    plan = ad.function(ad.hessian(loss, theta), inputs=[theta, X, y])
    assert "_sparse" in plan.source
    t0, X0, y0 = rng.standard_normal(P) * 0.5, rng.standard_normal((32, i)), rng.standard_normal(32)
    np.testing.assert_allclose(plan(t0, X0, y0), mlp_hessian_reference(t0, X0, y0), atol=1e-12)
    X0[3, 2] = np.inf  # nan where the dense products give nan
    theta.value, X.value, y.value = t0, X0, y0
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(
            np.isnan(plan(t0, X0, y0)),
            np.isnan(
                ad.function(ad.hessian(loss, theta), inputs=[theta, X, y], simplify=False)(
                    t0, X0, y0
                )
            ),
        )


def test_export_copies_the_scatter(tmp_path):
    rng = np.random.default_rng(3)
    X0 = rng.standard_normal((32, 8))
    E = np.eye(161)[:, :128].reshape(161, 8, 16)
    plan = _plan("bi,kij->kbj", 1, X0, E)
    text = plan.export(str(tmp_path / "sparse_plan.py"), name="sparse_plan")
    assert "import autodiff" not in text
    namespace: dict = {}
    exec(compile(text, "sparse_plan.py", "exec"), namespace)
    np.testing.assert_array_equal(namespace["sparse_plan"](X0), plan(X0))


@pytest.mark.parametrize("share", [1, 4, 16])
def test_the_share_threshold(share, monkeypatch):
    monkeypatch.setattr(einsum_plan, "_SPARSE_SHARE", share)
    rng = np.random.default_rng(4)
    a0 = rng.standard_normal((64, 64))
    c = np.eye(64)[:, rng.permutation(64)][:, :, None] * np.ones(2)  # (64, 64, 2): 128 nonzeros
    plan = _plan("ij,jkl->ikl", 1, a0, c)
    # 128 nonzeros of 64 columns each into 64 * 64 * 2 elements: half of the result
    assert ("_sparse" in plan.source) == (share <= 2)
    np.testing.assert_allclose(plan(a0), np.einsum("ij,jkl->ikl", a0, c))
