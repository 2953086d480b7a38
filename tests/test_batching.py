"""Batching independent same-shaped einsums that share an operand (issue 11), and their readers.

Every plan here is compared with the plan of the same graph that is not simplified (so not
batched), value for value, nan and inf included; graphs whose products depend on each other
must keep them apart.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.node import toposort
from autodiff.ops.einsum import Einsum
from autodiff.ops.elementwise import Tanh
from autodiff.ops.shape import Index
from autodiff.simplification import batching, simplify
from benchmarks.workloads import karpathy_graph

rng = np.random.default_rng(11)


def kinds(nodes):
    return [type(n) for n in toposort(nodes if isinstance(nodes, list) else [nodes])]


def same_plans(outputs, inputs, arrays):
    """The simplified (batched) plan gives the unsimplified plan's values, bit for bit up to
    the rounding of a batched product; returns the batched plan."""
    batched = ad.function(outputs, inputs=inputs)
    plain = ad.Function(outputs, inputs, simplify=False)
    with np.errstate(all="ignore"):
        got, want = batched(*arrays), plain(*arrays)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
    return batched


def unbatched(monkeypatch):
    monkeypatch.setattr(batching, "batch", lambda roots, place: roots)


def rnn(V=5, H=4, T=6):
    """min-char-rnn as Karpathy wrote it: one Variable per step, all fed."""
    variables, loss, h = karpathy_graph(V, H, T)
    weights = variables[-5:]
    shapes = [w.shape for w in weights]
    outputs = [loss, *ad.grad(loss, weights), h]
    eye = np.eye(V)
    arrays = [*eye[rng.integers(0, V, T)], *eye[rng.integers(0, V, T)], rng.standard_normal(H)]
    arrays += [rng.standard_normal(s) * 0.5 for s in shapes]
    return outputs, variables, arrays


def test_char_rnn_per_step_products_are_batched_and_the_plan_shrinks(monkeypatch):
    outputs, inputs, arrays = rnn()
    plan = same_plans(outputs, inputs, arrays)
    products = [n for n in plan.nodes if isinstance(n, Einsum) and len(n.inputs) == 2]
    # Wxh @ x_t, Why @ h_t and the read-outs' gradients times Why: one einsum each, over T rows
    assert sum(n.shape[:1] == (6,) for n in products) >= 3
    with monkeypatch.context() as m:
        unbatched(m)
        before = ad.function(outputs, inputs=inputs)
    assert plan.node_count < before.node_count
    assert len(plan.source.splitlines()) < len(before.source.splitlines())
    np.testing.assert_allclose(plan(*arrays)[1], before(*arrays)[1], rtol=1e-12)


def test_products_sharing_an_operand_become_one_einsum_and_its_rows():
    A = ad.Variable(rng.standard_normal((3, 4)), name="A")
    xs = [ad.Variable(rng.standard_normal(4), name=f"x{k}") for k in range(5)]
    outputs = [A @ x for x in xs]
    simplified = simplify(outputs)
    assert kinds(simplified).count(Einsum) == 1
    assert all(isinstance(n, Index) for n in simplified)
    same_plans(outputs, [A, *xs], [rng.standard_normal((3, 4))] + [rng.standard_normal(4)] * 5)
    # the shared operand on the right, and matrices as the stacked ones
    Bs = [ad.Variable(rng.standard_normal((2, 3)), name=f"B{k}") for k in range(3)]
    outputs = [B @ A for B in Bs]
    assert kinds(simplify(outputs)).count(Einsum) == 1
    same_plans(outputs, [A, *Bs], [rng.standard_normal((3, 4))] + [rng.standard_normal((2, 3))] * 3)


def test_readers_doing_the_same_to_each_row_run_once_over_all_rows():
    A = ad.Variable(np.zeros((3, 4)), name="A")
    b = ad.Variable(np.zeros(3), name="b")
    xs = [ad.Variable(np.zeros(4), name=f"x{k}") for k in range(4)]
    outputs = [ad.sum(ad.exp(ad.tanh(A @ x + b) - ad.max(A @ x))) for x in xs]
    simplified = simplify(outputs)
    assert kinds(simplified).count(Tanh) == 1
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(3)] + [
        rng.standard_normal(4) for _ in xs
    ]
    same_plans(outputs, [A, b, *xs], arrays)


def test_a_chain_of_products_is_not_batched():
    A = ad.Variable(np.zeros((3, 3)), name="A")
    h = h0 = ad.Variable(np.zeros(3), name="h0")
    hs = []
    for _ in range(5):
        h = ad.tanh(A @ h)
        hs.append(h)
    simplified = simplify(hs)
    assert kinds(simplified).count(Einsum) == 5 and Index not in kinds(simplified)
    same_plans(hs, [A, h0], [rng.standard_normal((3, 3)), rng.standard_normal(3)])


def test_two_batches_that_would_wait_on_each_other_are_not_both_made():
    # a1 = A u1, a2 = A u2 and b1 = B v1, b2 = B v2 are independent within each group, but
    # v1 is made from a1 and u2 from b2: one matmul for each group would need the other first.
    A, B = (ad.Variable(np.zeros((3, 3)), name=n) for n in "AB")
    u1, v2 = (ad.Variable(np.zeros(3), name=n) for n in ("u1", "v2"))
    a1 = A @ u1
    b1 = B @ ad.tanh(a1)
    b2 = B @ v2
    a2 = A @ ad.sin(b2)
    outputs = [a1 + b1, a2 * b2]
    simplified = simplify(outputs)
    assert kinds(simplified).count(Einsum) == 3  # one group batched, the other kept apart
    arrays = [rng.standard_normal((3, 3)), rng.standard_normal((3, 3))] + [
        rng.standard_normal(3) for _ in range(2)
    ]
    same_plans(outputs, [A, B, u1, v2], arrays)


def test_nan_and_inf_stay_where_the_graph_puts_them():
    A = ad.Variable(np.zeros((3, 2)), name="A")
    xs = [ad.Variable(np.zeros(2), name=f"x{k}") for k in range(3)]
    outputs = [ad.log_softmax(A @ x) for x in xs]
    arrays = [
        np.array([[1.0, np.inf], [0.0, 1.0], [np.nan, 2.0]]),
        np.array([1.0, 0.0]),
        np.array([0.0, 1.0]),
        np.array([np.inf, -1.0]),
    ]
    plan = same_plans(outputs, [A, *xs], arrays)
    with np.errstate(all="ignore"):
        want = [ad.eval(o, dict(zip([A, *xs], arrays, strict=True))) for o in outputs]
        for g, w in zip(plan(*arrays), want, strict=True):
            np.testing.assert_array_equal(g, w)


def test_gradients_of_batched_products_to_second_order():
    A = ad.Variable(rng.standard_normal((3, 2)), name="A")
    xs = [ad.Variable(rng.standard_normal(2), name=f"x{k}") for k in range(4)]
    loss = sum((ad.sum(ad.tanh(A @ x)) for x in xs), ad.Constant(np.array(0.0)))
    (gA,) = ad.grad(loss, [A])
    hAA = ad.jacobian(gA, A)
    plan = same_plans([loss, gA, hAA], [A, *xs], [A.value, *(x.value for x in xs)])
    assert kinds(plan.planned).count(Tanh) == 1

    def f(a):
        return sum((ad.sum(ad.tanh(a @ x.value)) for x in xs), ad.Constant(np.array(0.0)))

    ad.check_grads(f, [A.value], order=2)


def test_large_stacks_are_not_made():
    A = ad.Variable(np.zeros((1, 70_000)), name="A")
    xs = [ad.Variable(np.zeros(70_000), name=f"x{k}") for k in range(2)]  # 1.1 MB stacked
    assert kinds(simplify([A @ x for x in xs])).count(Einsum) == 2


@settings(max_examples=30, deadline=None)
@given(
    k=st.integers(1, 7),
    n=st.integers(1, 4),
    m=st.integers(1, 4),
    right=st.booleans(),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_batched_plans_equal_unbatched_ones(k, n, m, right, bias, seed):
    r = np.random.default_rng(seed)
    W = ad.Variable(np.zeros((n, m) if not right else (m, n)), name="W")
    xs = [ad.Variable(np.zeros(m), name=f"x{i}") for i in range(k)]
    c = ad.Variable(np.zeros(n), name="c")
    outputs = []
    for x in xs:
        p = (x @ W) if right else (W @ x)
        outputs.append(ad.tanh(p + c) if bias else p)
    arrays = (
        [r.standard_normal(W.shape)] + [r.standard_normal(m) for _ in xs] + [r.standard_normal(n)]
    )
    same_plans(outputs, [W, *xs, c], arrays)
    if k >= 2:
        assert kinds(simplify(outputs)).count(Einsum) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_kept(dtype):
    A = ad.Variable(np.ones((2, 3), dtype), name="A")
    xs = [ad.Variable(np.ones(3, dtype), name=f"x{k}") for k in range(3)]
    simplified = simplify([A @ x * 2 for x in xs])
    assert all(s.dtype == dtype and s.shape == (2,) for s in simplified)


def test_integer_products_are_batched_exactly():
    A = ad.Variable(np.arange(6).reshape(2, 3), name="A")
    xs = [ad.Variable(np.arange(3) + k, name=f"x{k}") for k in range(3)]
    outputs = [A @ x + 1 for x in xs]
    assert kinds(simplify(outputs)).count(Einsum) == 1
    plan = ad.function(outputs, inputs=[A, *xs])
    arrays = [np.arange(6).reshape(2, 3) * 7] + [np.arange(3) * (k - 1) for k in range(3)]
    for got, x in zip(plan(*arrays), arrays[1:], strict=True):
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, arrays[0] @ x + 1)


def test_an_output_that_is_a_row_is_the_caller_s_own():
    A = ad.Variable(np.ones((2, 2)), name="A")
    xs = [ad.Variable(np.ones(2), name=f"x{k}") for k in range(2)]
    plan = ad.function([A @ x for x in xs], inputs=[A, *xs])
    first, second = plan(np.eye(2), np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    first[:] = -1.0
    np.testing.assert_array_equal(second, [3.0, 4.0])


def test_more_groups_than_the_pass_looks_at_keep_their_values():
    # 80 matrices, each times x and times y: more groups than `_MAX_SEEDS` and `_MAX_CHECKS`
    As = [ad.Variable(np.zeros((2, 2)), name=f"A{i}") for i in range(80)]
    x, y = ad.Variable(np.zeros(2), name="x"), ad.Variable(np.zeros(2), name="y")
    outputs = [ad.tanh(A @ x) * (A @ y) for A in As]
    assert len(As) > max(batching._MAX_SEEDS, batching._MAX_CHECKS)
    assert kinds(simplify(outputs)).count(Einsum) <= 2
    arrays = [rng.standard_normal((2, 2)) for _ in As] + [rng.standard_normal(2) for _ in "xy"]
    same_plans(outputs, [*As, x, y], arrays)
