"""Plans: the semantics of `function` and `eval`, einsum lowering, freeing and in-place reuse."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.node import toposort
from autodiff.ops.elementwise import Elementwise

rng = np.random.default_rng(0)


def interpret(outputs):
    """The reference: every node's own eval, in topological order, nothing reused."""
    values = {}
    for node in toposort(outputs):
        values[id(node)] = np.asarray(node.eval(*[values[id(x)] for x in node.inputs]))
    return [values[id(n)] for n in outputs]


def test_single_output_and_list():
    x = ad.Variable(np.array([1.0, 2.0]), name="x")
    assert isinstance(ad.function(x * 2)(), np.ndarray)
    assert isinstance(ad.function([x * 2])(), list)
    np.testing.assert_array_equal(ad.function(x * 2, inputs=[x])(np.array([3.0, 4.0])), [6.0, 8.0])


def test_variables_not_in_inputs_are_read_at_every_call():
    x = ad.Variable(np.array([1.0, 2.0]))
    w = ad.Variable(np.array(3.0))
    f = ad.function(ad.sum(x * w), inputs=[x])
    assert float(f(np.array([1.0, 1.0]))) == 6.0
    w.value = np.array(10.0)
    assert float(f(np.array([1.0, 1.0]))) == 20.0
    y = ad.exp(x)
    assert np.allclose(y(), np.exp([1.0, 2.0]))
    x.value = np.array([0.0, 0.0])
    np.testing.assert_array_equal(y(), [1.0, 1.0])


def test_input_errors():
    x = ad.Variable(np.zeros((2, 3)), name="x")
    f = ad.function(ad.sum(x), inputs=[x])
    with pytest.raises(TypeError, match="expected 1 input arrays, got 2"):
        f(np.zeros((2, 3)), np.zeros(1))
    with pytest.raises(ValueError, match=r"Variable 'x': value of shape \(3, 2\) does not fit shape \(2, 3\)"):
        f(np.zeros((3, 2)))
    assert float(f([[1, 2, 3], [4, 5, 6]])) == 21.0  # lists and ints are converted
    with pytest.raises(TypeError, match="input 0 must be a Variable"):
        ad.function(ad.sum(x), inputs=[ad.sum(x)])
    with pytest.raises(ValueError, match="listed twice"):
        ad.function(ad.sum(x), inputs=[x, x])
    with pytest.raises(TypeError, match="output 1 is a float"):
        ad.function([ad.sum(x), 1.0])


def test_unused_inputs_are_still_checked():
    x, u = ad.Variable(np.zeros(2)), ad.Variable(np.zeros(3), name="u")
    f = ad.function(x * 2, inputs=[u])
    f(np.ones(3))
    with pytest.raises(ValueError, match="'u'"):
        f(np.ones(4))


def test_multiple_outputs_share_work_and_survive_freeing():
    x = ad.Variable(rng.standard_normal(4))
    h = ad.tanh(x)
    g = h * 2.0
    outputs = [h, g, ad.exp(g) + h, g, x, ad.Constant(np.array([1.0, 2.0]))]
    results = ad.function(outputs)()
    for got, want in zip(results, interpret(outputs)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_results_and_inputs_are_never_overwritten():
    x = ad.Variable(np.zeros(5))
    c = ad.Variable(rng.standard_normal(5))
    y = ad.exp(ad.tanh(x * 2.0) + c) * 3.0 - x
    f = ad.function([y, ad.grad(ad.sum(y * y), x)], inputs=[x])
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    a_copy, c_copy = a.copy(), c.value.copy()
    first = [r.copy() for r in f(a)]
    kept = f(a)
    f(b)
    for r, k in zip(first, kept):
        np.testing.assert_array_equal(r, k)
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(c.value, c_copy)


def test_constant_results_are_fresh_writable_arrays():
    f = ad.function([ad.full((2,), 3.0), ad.Constant(np.array([1.0, 2.0])) * 2])
    first, second = f()
    first += 1
    second += 1
    np.testing.assert_array_equal(f()[0], [3.0, 3.0])
    np.testing.assert_array_equal(f()[1], [2.0, 4.0])


def test_zero_dimensional_results_are_arrays():
    x = ad.Variable(np.array(0.5))
    results = ad.function([ad.tanh(x), x * 2, ad.sum(ad.Constant(np.ones(3)))])()
    assert all(isinstance(r, np.ndarray) and r.shape == () for r in results)


def test_node_count_source_and_simplify_switch():
    x = ad.Variable(np.array(0.3))
    d = ad.tanh(x)
    for _ in range(6):
        d = ad.grad(d, x)
    plain, simplified = ad.function(d, simplify=False), ad.function(d)
    assert plain.node_count == ad.count_nodes(d)
    assert simplified.node_count < plain.node_count / 3
    assert simplified.source.startswith("def plan(")
    np.testing.assert_allclose(simplified(), plain(), rtol=1e-12)


def test_eval_with_feed():
    x = ad.Variable(np.array(2.0))
    y = ad.Variable(np.array(1.0))
    assert ad.eval([x * y, x + 1], feed={x: 5.0}) == [5.0, 6.0]
    assert float(x.value) == 2.0
    assert float(ad.eval(x * y)) == 2.0


def test_call_caches_its_plan():
    x = ad.Variable(np.array([1.0, 2.0]))
    y = ad.sum(ad.square(x))
    assert float(y()) == 5.0
    plan = y.__dict__["_plan"]
    assert float(y()) == 5.0 and y.__dict__["_plan"] is plan


# -- einsum lowering -----------------------------------------------------------------------------
SIZES = {"a": 2, "b": 3, "c": 4, "d": 1, "e": 2}


@st.composite
def contractions(draw):
    n = draw(st.integers(1, 4))
    terms = [draw(st.text(alphabet="abcde", min_size=0, max_size=3)) for _ in range(n)]
    labels = sorted(set("".join(terms)))
    out = draw(st.permutations(labels))[: draw(st.integers(0, len(labels)))]
    shapes = [tuple(1 if draw(st.integers(0, 5)) == 0 else SIZES[l] for l in t) for t in terms]
    for t, shape in zip(terms, shapes):  # a label repeated inside one operand has one size
        for i, l in enumerate(t):
            if t.index(l) != i:
                shape = shape[:i] + (shape[t.index(l)],) + shape[i + 1:]
        shapes[terms.index(t)] = shape
    return ",".join(terms) + "->" + "".join(out), shapes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contractions(), st.sampled_from([np.float64, np.float32]))
def test_einsum_lowering_matches_the_op(case, dtype):
    equation, shapes = case
    operands = [ad.Variable(rng.standard_normal(s).astype(dtype)) for s in shapes]
    try:
        node = ad.einsum(equation, *operands)
    except ValueError:
        return  # a size-1 label that does not broadcast the way the equation needs
    (want,) = interpret([node])
    got = ad.function(node, simplify=False)()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-5)


def test_matmul_shapes_lower_to_matmul():
    A, B = ad.Variable(rng.standard_normal((3, 4))), ad.Variable(rng.standard_normal((5, 4)))
    v = ad.Variable(rng.standard_normal(4))
    cases = [A @ v, A @ B.T, B @ A.T, ad.einsum("ij,kj->ki", A, B), ad.einsum("ij,j->", A, v), ad.outer(v, v)]
    for node in cases:
        f = ad.function(node, simplify=False)
        assert "einsum" not in f.source
        np.testing.assert_allclose(f(), interpret([node])[0], rtol=1e-12)


# -- in-place reuse against the reference, on graphs full of views -------------------------------------
OPS = [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - ad.tanh(b), lambda a, b: ad.exp(-a * a) / (1 + b * b),
    lambda a, b: ad.transpose(a) + b, lambda a, b: ad.reshape(a, (-1,))[::-1].reshape(a.shape) * b,
    lambda a, b: a[1:2] * b, lambda a, b: ad.sum(a, axis=0) + b, lambda a, b: ad.stop_gradient(a) * 2.0 + b,
    lambda a, b: a @ b, lambda a, b: ad.einsum("ij,jk->ik", a, ad.exp(b)) - a,
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 100), st.integers(0, 100)),
                min_size=1, max_size=12), st.integers(1, 4), st.sampled_from([3, 96]))
def test_plans_match_the_reference(steps, n_outputs, n):
    """Small arrays, and arrays large enough (96 x 96) to live in buffers kept between calls."""
    pool = [ad.Variable(rng.standard_normal((n, n)) / n), ad.Variable(rng.standard_normal((n, n)) / n)]
    for op, i, j in steps:
        pool.append(OPS[op](pool[i % len(pool)], pool[j % len(pool)]))
    outputs = pool[-n_outputs:]
    with np.errstate(all="ignore"):
        reference = interpret(outputs)
    if not all(np.all(np.isfinite(r)) and np.max(np.abs(r), initial=0) < 1e6 for r in reference):
        return
    for simplify in (False, True):
        plan = ad.function(outputs, simplify=simplify)
        got = plan()
        for g, want in zip(got, reference):
            np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-9)
        kept = [g.copy() for g in got]
        pool[0].value = pool[0].value * 0.5  # a second call must not touch the first results
        plan()
        pool[0].value = pool[0].value * 2.0
        for g, k in zip(got, kept):
            np.testing.assert_array_equal(g, k)


def test_plans_of_derivatives_match_the_reference():
    x = ad.Variable(rng.standard_normal(4))
    W = ad.Variable(rng.standard_normal((4, 4)))
    f = ad.sum(ad.tanh(W @ x) * ad.exp(x)) + ad.sum(ad.log1p(ad.square(W)))
    outputs = [f, *ad.grad(f, [x, W]), ad.hessian(f, x), ad.jacobian(ad.tanh(W @ x), W)]
    for got, want in zip(ad.function(outputs)(), interpret(outputs)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_stop_gradient_and_stacks_have_no_lines_of_their_own():
    x = ad.Variable(rng.standard_normal(3))
    h = ad.tanh(x)
    parts = [h * float(k) for k in range(4)]
    outputs = [ad.stop_gradient(h * 2.0), ad.stack(parts) * 1.5, ad.stop_gradient(x)]
    f = ad.function(outputs, simplify=False)
    assert "np.array([" in f.source and ".reshape((1, 3))" not in f.source
    for got, want in zip(f(), interpret(outputs)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_buffers_kept_between_calls_never_leak_into_results():
    x = ad.Variable(np.zeros((128, 128)))
    W = ad.Variable(rng.standard_normal((128, 128)) / 128)
    h = ad.tanh(W @ x) * ad.exp(-x * x)
    outputs = [ad.sum(h * h), ad.grad(ad.sum(h * h), x), ad.transpose(h)[::2]]
    f = ad.function(outputs, inputs=[x])
    assert "_buf" in f.source
    a, b = rng.standard_normal((128, 128)), rng.standard_normal((128, 128))
    first = f(a)
    kept = [r.copy() for r in first]
    second = f(b)
    for r, k in zip(first, kept):
        np.testing.assert_array_equal(r, k)
    x.value = b
    for got, want in zip(second, interpret(outputs)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    with f._lock:  # another call is running: this one runs without the buffers
        for got, want in zip(f(b), second):
            np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1])
def test_scatter_add_matches_the_op(axis):
    E = ad.Variable(rng.standard_normal((6, 5)))
    ids = ad.Variable(np.array([[1, -1], [3, 1], [0, 5]]) if axis == 0 else np.array([4, 0, 4, -2]))
    y = ad.take(E, ids, axis=axis)
    weights = rng.standard_normal(y.shape)
    g = ad.grad(ad.sum(y * ad.Constant(weights)), E)
    f = ad.function(g, inputs=[ids])
    assert "_f" in f.source  # the op's own eval (one bincount): plans, folding and eval share it
    want = np.zeros(E.shape)
    np.add.at(want, (slice(None),) * axis + (ids.value,), weights)
    np.testing.assert_array_equal(f(ids.value), want)
    np.testing.assert_array_equal(f(ids.value), interpret([g])[0])
    with pytest.raises(IndexError):
        f(np.full(ids.shape, 7))


class _Ident(Elementwise):
    """An op that declares nothing and whose eval returns its input unchanged."""

    def eval(self, x):
        return x

    def grad(self, g):
        return (g,)


def test_an_op_that_declares_nothing_is_never_written_over():
    x = ad.Variable(np.array([0.5, 1.0, 2.0]), name="x")
    before = x.value.copy()
    y = ad.exp(_Ident(x)) * 2.0
    np.testing.assert_allclose(ad.function(y)(), 2.0 * np.exp(before))
    np.testing.assert_array_equal(x.value, before)  # the plan wrote nothing into x's array
    f = ad.function(y, inputs=[x])
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f(a), 2.0 * np.exp([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    assert "_f" in f.source  # it runs through its eval
    assert not _Ident.fresh and not ad.Node.fresh  # the safe default


def test_a_declared_ufunc_gets_the_in_place_path():
    x = ad.Variable(np.linspace(-2.0, 2.0, 5), name="x")
    f = ad.function(ad.arctan(x * 3.0) + 1.0, inputs=[x])
    (line,) = [line for line in f.source.splitlines() if "_u" in line and "arctan" not in line
               and f._run.__globals__[line.split("= ")[1].split("(")[0]] is np.arctan]
    target, call = line.strip().split(" = ")
    assert call.endswith(f"({target}, {target})")  # out= is the array it reads: in place
    np.testing.assert_allclose(f(x.value), np.arctan(3.0 * x.value) + 1.0)
    big = ad.Variable(np.zeros(10_000), name="big")  # large: written into a kept buffer
    g = ad.function(ad.sum(ad.arctan(big) * big), inputs=[big])
    assert "_buf" in g.source
    b = np.linspace(-3, 3, 10_000)
    np.testing.assert_allclose(g(b), np.sum(np.arctan(b) * b), rtol=1e-12)


@pytest.mark.parametrize("second", ["same", "other"])
def test_concatenate_reading_a_stop_gradient_is_not_a_stack(second):
    x = ad.Variable(rng.standard_normal((2, 3)), name="x")
    y = x if second == "same" else ad.Variable(rng.standard_normal((1, 3)), name="y")
    c = ad.concatenate([ad.stop_gradient(x), y])
    want = np.concatenate([x.value, y.value])
    np.testing.assert_array_equal(ad.eval(c), want)
    np.testing.assert_array_equal(ad.function(c * 2.0)(), 2.0 * want)


def test_outputs_and_inputs_may_be_any_collection():
    x = ad.Variable(np.ones(2), name="x")
    plan = ad.function((y for y in [x * 2, x + 1]), inputs=(v for v in [x]))
    first, second = plan(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(first, [2.0, 4.0])
    np.testing.assert_array_equal(second, [2.0, 3.0])
    assert ad.function((x * 3,), inputs=(x,))(np.zeros(2))[0].tolist() == [0.0, 0.0]


def test_an_einsum_of_floats_with_a_mask_is_lowered_to_blas_and_exports():
    # relu's gradient is a mask (bool) times the cotangent: the plan casts it and runs a matmul
    a = ad.Variable(np.array([0.1, 0.7, -1.3]), name="a")
    m = ad.Variable(np.arange(6.0).reshape(2, 3) - 1.0, name="M")
    y = ad.relu(m @ a)
    plan = ad.function([y, ad.grad(ad.sum(y), a)], inputs=[a])
    assert "astype" in plan.source and "@" in plan.source.split("astype")[1]
    for got, want in zip(plan(a.value), ad.eval([y, ad.grad(ad.sum(y), a)]), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ab,c->abc", [(161, 32), (16,)]),  # an outer product past the size written as np.einsum
        ("ab,c->acb", [(161, 16), (32,)]),
        ("a,b->ba", [(70, ), (64,)]),
        ("a,b->ab", [(8,), (4,)]),  # below it: a broadcast multiply
    ],
)
def test_outer_products_large_and_small(equation, shapes, dtype):
    values = [rng.standard_normal(s).astype(dtype) for s in shapes]
    values[0].flat[3] = np.inf
    values[1].flat[1] = np.nan
    xs = [ad.Variable(v, name=f"x{i}") for i, v in enumerate(values)]
    y = ad.einsum(equation, *xs)
    expected = np.einsum(equation, *values)
    for plan in (ad.function([y, y * 2.0], inputs=xs), ad.function(y, inputs=xs)):
        result = plan(*values)
        result = result[0] if isinstance(result, list) else result
        assert result.dtype == dtype
        np.testing.assert_array_equal(result, expected)
    inside = ad.function(ad.sin(y) * 2.0, inputs=xs)  # y an intermediate: into a kept buffer
    with np.errstate(invalid="ignore"):  # sin(inf)
        for _ in range(2):  # the second call reuses the plan's buffers
            np.testing.assert_array_equal(inside(*values), np.sin(expected) * dtype(2.0))
