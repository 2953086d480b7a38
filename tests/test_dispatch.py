"""NumPy on nodes: ``np.<f>(node)``, ufuncs and their methods, ndarray's methods, operators,
conversions that evaluate, the errors; and HIPS autograd's cases of NumPy calls on traced
values (tests/test_numpy.py, test_wrappers.py, test_ufunc_dispatch.py), ported.

Each row of a table is a function written with NumPy that takes its inputs as nodes or as
arrays: on arrays it is the reference; on nodes it must build a node with the same value
(and dtype), whose gradients match finite differences to second order.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.ops import dispatch

rng = np.random.default_rng(1)
A34 = rng.normal(size=(3, 4))
A33 = rng.normal(size=(3, 3))
SPD = A33 @ A33.T + 3 * np.eye(3)
V3 = rng.normal(size=3)
V4 = rng.normal(size=4)
MASK34 = rng.normal(size=(3, 4)) > 0


def row(name, fn, *inputs, order=2, marks=()):
    """A table row: `fn` written with NumPy, its inputs' arrays (each becomes a Variable)."""
    return pytest.param(fn, [np.asarray(a, dtype=np.float64) for a in inputs], order, id=name,
                        marks=marks)  # fmt: skip


def _check(fn, inputs, order):
    nodes = [ad.Variable(a, name=f"arg{i}") for i, a in enumerate(inputs)]
    y = fn(*nodes)
    expected = np.asarray(fn(*inputs))
    assert isinstance(y, ad.Node), type(y)
    value = y()
    assert y.shape == expected.shape and value.shape == expected.shape
    assert value.dtype == expected.dtype, (value.dtype, expected.dtype)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    if order and y.dtype.kind == "f":
        ad.check_grads(fn, inputs, order=order)


# -- np.<function>(node, ...) and mixed with arrays ---------------------------------------
CALLS = [
    row("sin", lambda x: np.sin(x), V3, order=3),
    row("add-number", lambda x: np.add(x, 1), V3),
    row("array*node", lambda x: A34 * x, V4),
    row("array@node", lambda x: A34 @ x, V4),
    row("node@array", lambda x: x @ A34, V3),
    row("array-node", lambda x: A34 - x, V4),
    row("array/node", lambda x: A34 / (x * x + 1), V4),
    row("array**node", lambda x: np.exp(A34) ** x, V4),
    row("numpy-scalar*node", lambda x: np.float64(2.5) * x, V3),
    row("node*numpy-scalar", lambda x: x * np.float64(2.5) + np.int64(1), V3),
    row("sum-axis0", lambda x: np.sum(x, axis=0), A34),
    row("sum-axis-tuple-keepdims", lambda x: np.sum(x, axis=(0, 1), keepdims=True), A34),
    row("sum-dtype-out-none", lambda x: np.sum(x, 1, None, None), A34),
    row("mean", lambda x: np.mean(x, axis=-1), A34),
    row("mean-dtype", lambda x: np.mean(x, dtype=np.float32).astype(np.float64), A34, order=0),
    row("max", lambda x: np.max(x, axis=1), A34),
    row("amax-keepdims", lambda x: np.amax(x, axis=0, keepdims=True), A34),
    row("min", lambda x: np.min(x), A34),
    row("var-ddof", lambda x: np.var(x, axis=0, ddof=1), A34),
    row("std", lambda x: np.std(x, keepdims=True), A34),
    row("einsum", lambda x: np.einsum("ij,j", A34, x), V4),
    row("einsum-two-nodes", lambda x, y: np.einsum("ij,j->i", x, y), A34, V4),
    row("einsum-optimize", lambda x: np.einsum("ij,jk", x, x.T, optimize=True), A34),
    row("concatenate", lambda x, y: np.concatenate([x, y, V3]), V3, V4),
    row("concatenate-axis1", lambda x: np.concatenate((A34, x), 1), A33),
    row("stack", lambda x: np.stack([x, V3, x * 2], axis=1), V3),
    row("where", lambda x, y: np.where(MASK34, x, y), A34, V4),
    row("where-mixed", lambda x: np.where(x > 0, x, 0.0), A34),
    row("dot", lambda x, y: np.dot(x, y), A34, V4),
    row("dot-array", lambda x: np.dot(A34, x), V4),
    row("matmul", lambda x: np.matmul(x, A34), A33),
    row("tensordot", lambda x: np.tensordot(x, A34, axes=([0], [0])), A34),
    row("inner", lambda x: np.inner(x, V4), A34),
    row("outer", lambda x, y: np.outer(x, y), V3, V4),
    row("vdot", lambda x: np.vdot(x, A34), A34),
    row("transpose", lambda x: np.transpose(x), A34),
    row("transpose-axes", lambda x: np.transpose(x[None], (2, 0, 1)), A34),
    row("reshape", lambda x: np.reshape(x, (4, 3)), A34),
    row("ravel", lambda x: np.ravel(x), A34),
    row("squeeze", lambda x: np.squeeze(x[:, None]), A34),
    row("expand_dims", lambda x: np.expand_dims(x, 1), A34),
    row("broadcast_to", lambda x: np.broadcast_to(x, (3, 4)), V4),
    row("trace", lambda x: np.trace(x, offset=1), A34),
    row("diagonal", lambda x: np.diagonal(x), A34),
    row("clip", lambda x: np.clip(x, -0.5, 0.5), A34),
    row("clip-min-max", lambda x: np.clip(x, min=-0.5, max=0.5), A34),
    row("clip-array", lambda x: np.clip(A34, x, 1.0), A34 - 0.5),
    row("maximum", lambda x: np.maximum(x, A34.T), A34.T + 0.1),
    row("abs", lambda x: np.abs(x), A34),
    row("absolute", lambda x: np.absolute(x), A34),
    row("true_divide", lambda x: np.true_divide(1.0, x * x + 1), A34),
    row("sqrt-log-exp", lambda x: np.sqrt(np.exp(np.log1p(x * x))), A34, order=3),
    row("tanh-arctan", lambda x: np.tanh(np.arctan(x)), A34, order=3),
    row("take", lambda x: np.take(x, [2, 0, 2], axis=1), A34),
    row("split", lambda x: np.split(x, 2, axis=1)[1], A34),
    row("pad", lambda x: np.pad(x, 1), A34),
    row("norm-as-np.linalg", lambda x: np.linalg.norm(x), A34),
    row("zeros_like", lambda x: np.zeros_like(x) + x, A34),
    row(
        "astype",
        lambda x: np.astype(x, np.float32).astype(np.float64),
        A34,
        order=0,
        marks=pytest.mark.skipif(not hasattr(np, "astype"), reason="NumPy 2.1's np.astype"),
    ),  # fmt: skip
    # functions that land with issue 10's other parts
    row("prod", lambda x: np.prod(x, axis=0), A34),
    row("cumsum", lambda x: np.cumsum(x, axis=1), A34),
    row("cumprod", lambda x: np.cumprod(x), V4),
    row("diff", lambda x: np.diff(x, axis=0), A34),
    row("sort", lambda x: np.sort(x, axis=1), A34),
    row("average", lambda x: np.average(x, axis=1, weights=V4), A34),
    row("tan", lambda x: np.tan(x), V3 / 4),
    row("arctan2", lambda x, y: np.arctan2(x, y), V3, V3 + 3),
    row("hypot", lambda x: np.hypot(x, 2.0), V3),
    row("log10", lambda x: np.log10(x * x + 1), V3),
    row("logaddexp", lambda x: np.logaddexp(x, A34), V4),
    row("floor", lambda x: np.floor(x) + x, V3 * 3 + 0.25),
    row("round", lambda x: np.round(x, 1) + x, V3),
    row("around", lambda x: np.around(x) + x, V3 + 0.25),
    row("flip", lambda x: np.flip(x, axis=0), A34),
    row("roll", lambda x: np.roll(x, 1, axis=1), A34),
    row("tile", lambda x: np.tile(x, (2, 1)), A34),
    row("repeat", lambda x: np.repeat(x, 2, axis=0), A34),
    row("swapaxes", lambda x: np.swapaxes(x, 0, 1), A34),
    row("moveaxis", lambda x: np.moveaxis(x[None], 0, -1), A34),
    row("hstack", lambda x: np.hstack([x, A34]), A34),
    row("vstack", lambda x: np.vstack([x, V4]), A34),
    row("triu", lambda x: np.triu(x, 1), A34),
    row("diag", lambda x: np.diag(x), V3),
    row("kron", lambda x: np.kron(x, A33[:2, :2]), A33),
    row("cross", lambda x, y: np.cross(x, y), V3, V3[::-1]),
    row(
        "take_along_axis",
        lambda x: np.take_along_axis(x, np.argsort(A34, axis=1), 1),
        A34,
    ),  # fmt: skip
    row("solve", lambda x, b: np.linalg.solve(x, b), SPD, V3),
    row("inv", lambda x: np.linalg.inv(x), SPD),
    row("det", lambda x: np.linalg.det(x), SPD),
    row("slogdet", lambda x: np.linalg.slogdet(x)[1], SPD),
    row("cholesky", lambda x: np.linalg.cholesky(x), SPD),
]


@pytest.mark.parametrize("fn, inputs, order", CALLS)
def test_numpy_function_on_nodes(fn, inputs, order):
    _check(fn, inputs, order)


def test_np_calls_give_the_hash_consed_nodes_of_the_factories():
    x = ad.Variable(A34, name="x")
    assert np.sin(x) is ad.sin(x)
    assert np.add(x, x) is ad.add(x, x)
    assert np.sum(x, axis=0) is ad.sum(x, axis=0)
    assert np.einsum("ij,j", x, V4).shape == (3,)
    assert isinstance(A34 * x, ad.Node) and isinstance(np.float64(2) * x, ad.Node)


# -- ufunc methods --------------------------------------------------------------------------
UFUNC_METHODS = [
    row("add.reduce", lambda x: np.add.reduce(x), A34),
    row("add.reduce-axis1", lambda x: np.add.reduce(x, axis=1), A34),
    row("add.reduce-all", lambda x: np.add.reduce(x, axis=None, keepdims=True), A34),
    row("maximum.reduce", lambda x: np.maximum.reduce(x, axis=1), A34),
    row("minimum.reduce", lambda x: np.minimum.reduce(x), A34),
    row("multiply.outer", lambda x, y: np.multiply.outer(x, y), V3, A34),
    row("add.outer-array", lambda x: np.add.outer(V3, x), V4),
    row("subtract.outer", lambda x: np.subtract.outer(x, x), V4),
    row("multiply.reduce", lambda x: np.multiply.reduce(x, axis=0), A34),
    row("add.accumulate", lambda x: np.add.accumulate(x, axis=1), A34),
    row("multiply.accumulate", lambda x: np.multiply.accumulate(x), V4),
    row("logaddexp.reduce", lambda x: np.logaddexp.reduce(x, axis=0), A34),
]


@pytest.mark.parametrize("fn, inputs, order", UFUNC_METHODS)
def test_ufunc_methods_on_nodes(fn, inputs, order):
    _check(fn, inputs, order)


def test_boolean_reductions_by_ufunc_method():
    x = ad.Variable(A34)
    for u in (np.logical_and, np.logical_or):
        np.testing.assert_array_equal(u.reduce(x > 0, axis=1)(), u.reduce(A34 > 0, axis=1))


# -- every ufunc NumPy has: a node where autodiff has its factory, else a TypeError ---------
def _ufuncs():
    return sorted(
        {u for u in vars(np).values() if isinstance(u, np.ufunc)}, key=lambda u: u.__name__
    )


@pytest.mark.parametrize("ufunc", _ufuncs(), ids=lambda u: u.__name__)
def test_every_ufunc_dispatches_or_names_itself(ufunc):
    x0 = np.array([0.25, 0.5, 0.75])
    y0 = np.array([0.6, 0.3, 0.9])
    inputs = (x0, y0)[: ufunc.nin]
    nodes = [ad.Variable(a) for a in inputs]
    target = dispatch.factory("numpy", ufunc.__name__)
    if ufunc.__name__ in dispatch._BITWISE:  # Python's operators: masks only, as for floats NumPy
        with pytest.raises(TypeError, match="defined for boolean nodes"):
            ufunc(*nodes)
        return
    if target is None:
        with pytest.raises(
            TypeError, match=rf"autodiff has no differentiable np\.{ufunc.__name__}"
        ):
            ufunc(*nodes)
        return
    with np.errstate(all="ignore"):  # arccosh of these is nan, in NumPy as in autodiff
        ys = ufunc(*nodes)
        wanted = ufunc(*inputs)
    if ufunc.nout == 1:  # divmod: a tuple of nodes, as NumPy's is of arrays
        ys, wanted = (ys,), (wanted,)
    assert len(ys) == len(wanted) == ufunc.nout
    for y, expected in zip(ys, wanted, strict=True):
        assert isinstance(y, ad.Node)
        with np.errstate(all="ignore"):
            value = y()
        np.testing.assert_allclose(value, expected, rtol=1e-12)
        assert value.dtype.kind == np.asarray(expected).dtype.kind


def test_dispatch_finds_a_factory_added_later(monkeypatch):
    # a factory added to autodiff.ops (and its __all__) works through NumPy with no table edit
    def gradient(x):
        return x * 2

    monkeypatch.setattr(ad.ops, "gradient", gradient, raising=False)
    monkeypatch.setattr(ad.ops, "__all__", [*ad.ops.__all__, "gradient"])
    x = ad.Variable(V3)
    np.testing.assert_allclose(np.gradient(x)(), 2 * V3)


# -- ndarray's methods ------------------------------------------------------------------------
METHODS = [
    row("max", lambda x: x.max(), A34),
    row("max-axis-keepdims", lambda x: x.max(axis=1, keepdims=True), A34),
    row("max-positional", lambda x: x.max(0), A34),
    row("min", lambda x: x.min(axis=0), A34),
    row("sum-dtype", lambda x: x.sum(axis=0, dtype=np.float64), A34),
    row("sum-positional-none", lambda x: x.sum(1, None, None, True), A34),
    row("mean-keepdims", lambda x: x.mean(axis=1, keepdims=True), A34),
    row("var", lambda x: x.var(axis=0), A34),
    row("std-ddof", lambda x: x.std(ddof=1), A34),
    row("dot", lambda x: x.dot(V4), A34),
    row("transpose", lambda x: x.transpose(), A34),
    row("transpose-varargs", lambda x: x[None].transpose(2, 0, 1), A34),
    row("transpose-tuple", lambda x: x[None].transpose((1, 2, 0)), A34),
    row("transpose-none", lambda x: x.transpose(None), A34),
    row("astype", lambda x: x.astype(np.float32).astype("float64"), A34, order=0),
    row("flatten", lambda x: x.flatten(), A34),
    row("ravel", lambda x: x.ravel(), A34),
    row("reshape-F", lambda x: x.reshape(2, 6, order="F"), A34),
    row("reshape-F-tuple", lambda x: x.reshape((6, -1), order="F"), A34),
    row("squeeze", lambda x: x[:, None].squeeze(axis=1), A34),
    row("clip", lambda x: x.clip(-0.5, 0.5), A34),
    row("clip-min", lambda x: x.clip(min=0.0), A34),
    row("clip-max", lambda x: x.clip(max=0.0), A34),
    row("trace", lambda x: x.trace(), A34),
    row("diagonal", lambda x: x.diagonal(offset=-1), A34),
    row("take", lambda x: x.take([0, 3], axis=1), A34),
    row("T", lambda x: x.T, A34),
    row("prod", lambda x: x.prod(axis=1), A34),
    row("cumsum", lambda x: x.cumsum(), A34),
    row("cumprod", lambda x: x.cumprod(axis=0), A34),
    row("swapaxes", lambda x: x.swapaxes(0, 1), A34),
    row("round", lambda x: x.round(1) + x, A34),
    row("repeat", lambda x: x.repeat(2, axis=1), A34),
    row("mod", lambda x: x % 0.7 + x, A34),
    row("rmod", lambda x: 5.0 % (x * x + 1), A34),
    row("floordiv", lambda x: x // 0.3 + x, A34),
    row("rfloordiv", lambda x: 5.0 // (x * x + 1), A34),
    row("pos", lambda x: +x, A34),
]


@pytest.mark.parametrize("fn, inputs, order", METHODS)
def test_ndarray_methods_on_nodes(fn, inputs, order):
    _check(fn, inputs, order)


INTEGER_METHODS = [
    pytest.param("argmax", dict(axis=1)),
    pytest.param("argmin", dict()),
    pytest.param("argsort", dict(axis=0)),
    pytest.param("any", dict(axis=0)),
    pytest.param("all", dict(keepdims=True)),
]


@pytest.mark.parametrize("name, kwargs", INTEGER_METHODS)
def test_methods_with_integer_or_boolean_results(name, kwargs):
    x = ad.Variable(A34)
    data = A34 > 0 if name in ("any", "all") else A34
    node = x > 0 if name in ("any", "all") else x
    y = getattr(node, name)(**kwargs)
    np.testing.assert_array_equal(y(), getattr(data, name)(**kwargs))
    assert y.dtype == getattr(data, name)(**kwargs).dtype


def test_node_facts_are_numpy_s():
    x = ad.Variable(A34)
    assert (x.shape, x.ndim, x.size, x.dtype) == ((3, 4), 2, 12, np.float64)
    assert (np.shape(x), np.ndim(x), np.size(x), np.size(x, 1)) == ((3, 4), 2, 12, 4)
    assert np.result_type(x, 1.0) == np.float64
    assert np.result_type(ad.Variable(np.zeros(2, np.float32)), np.int8) == np.float32


# -- conversions evaluate with the current values --------------------------------------------
def test_scalar_conversions_evaluate():
    x = ad.Variable(np.array(2.5), name="x")
    y = x * 2
    assert float(y) == 5.0 and int(y) == 5 and complex(y) == 5 + 0j and bool(y)
    assert y.item() == 5.0 and isinstance(y.item(), float)
    x.value = np.array(-0.25)
    assert float(y) == -0.5 and not bool(y > 0)  # current values, every time
    v = ad.Variable(A34)
    assert v[1].item(2) == A34[1, 2] and v.item(5) == A34.flat[5]


def test_format_specs_format_the_current_value_as_numpy_does():
    x = ad.Variable(np.array(2.5), name="x")
    y = x * 2
    assert f"{y}" == str(y) == "x * 2"  # no spec: the formula
    assert f"{y:.3f}" == "5.000" and "{:>8.1e}".format(y) == " 5.0e+00"
    x.value = np.array(-0.25)
    assert f"{y:+.2f}" == "-0.50"  # current values, every time
    assert f"{ad.Variable(np.array(7, np.int64)):04d}" == "0007"
    with pytest.raises(TypeError, match="unsupported format string"):  # as for an ndarray
        f"{ad.Variable(A34):.2f}"


def test_if_on_a_node_runs_on_the_current_value():
    x = ad.Variable(np.array(3.0))
    branch = x * x if x > 0 else -x  # decided now, on x's current value
    assert branch is x * x
    x.value = np.array(-1.0)
    assert branch() == 1.0  # the graph holds the branch taken when it was built


@pytest.mark.parametrize("convert", [float, int, complex])
def test_scalar_conversions_refuse_arrays_as_numpy_does(convert):
    x = ad.Variable(A34)
    with pytest.raises(TypeError, match="only 0-dimensional arrays"):
        convert(x)


def test_bool_refuses_many_elements_without_evaluating():
    x = ad.Variable(A34)
    with pytest.raises(ValueError, match=r"Greater node of shape \(3, 4\): The truth value"):
        bool(x > 0)
    with pytest.raises(ValueError, match="empty array"):
        bool(ad.Variable(np.zeros(0)))
    assert bool(ad.Variable(np.ones((1, 1))))  # size 1: as NumPy


def test_asarray_evaluates_honouring_dtype_and_copy():
    x = ad.Variable(A34, name="x")
    y = x * 2
    value = np.asarray(y)
    np.testing.assert_array_equal(value, A34 * 2)
    assert np.asarray(y, dtype=np.float32).dtype == np.float32
    fresh = np.array(x)  # copy=True: the caller's own writable array
    fresh[0, 0] = 99.0
    assert x.value[0, 0] == A34[0, 0]
    kept = np.asarray(x)  # the caller's to keep: writing into it changes no graph
    if kept.flags.writeable:
        kept[0, 0] = 99.0
    assert x.value[0, 0] == A34[0, 0]
    np.testing.assert_array_equal(np.asarray(x, copy=False), A34)
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(x, dtype=np.float32, copy=False)
    assert np.array(y, copy=True).flags.writeable


def test_a_list_holding_nodes_is_refused_where_autodiff_converts_it():
    x = ad.Variable(V3, name="x")
    for build in (lambda: ad.add([x, x], x), lambda: ad.Variable([x, 1.0]),
                  lambda: ad.Constant([[x]]), lambda: ad.Constant(x)):  # fmt: skip
        with pytest.raises(TypeError, match=r"holds a node \(Variable\); .* ad.stack"):
            build()


def test_numpy_converts_a_list_holding_nodes_before_dispatch():
    # documented: NumPy evaluates the list with __array__ before any dispatch
    x = ad.Variable(V3)
    assert isinstance(np.sum([x, x]), np.floating)


# -- == and identity -----------------------------------------------------------------------
def test_equality_between_nodes_stays_identity():
    x = ad.Variable(V3)
    y = ad.Variable(V3)
    assert x == x and x != y and (x == y) is False
    assert {x: 1, y: 2}[y] == 2 and x in [y, x] and ad.sin(x) in {ad.sin(x)}



def test_equality_with_a_number_is_elementwise_as_numpy_s():
    # it was identity (False), so ad.where(x == 0, ...) silently chose the other branch
    x = ad.Variable(np.array([0.0, 1.0, 2.0]))
    for y, want in [(x == 0, [True, False, False]), (0 == x, [True, False, False]),
                    (x != 1.0, [True, False, True]), (x == np.float64(2), [False, False, True])]:
        assert isinstance(y, ad.Node)
        np.testing.assert_array_equal(y(), want)
    np.testing.assert_array_equal(ad.where(x == 0, 5.0, x)(), [5.0, 1.0, 2.0])
    assert (x == None) is False and (x != "x") is True  # noqa: E711  (not numbers: identity)


def test_equality_with_numpy_arrays_is_numpy_s_elementwise_equal():
    x = ad.Variable(V3)
    for y in (V3 == x, x == V3, np.equal(x, V3), V3 != x):
        assert isinstance(y, ad.Node) and y.dtype == bool
    np.testing.assert_array_equal((V3 == x)(), [True] * 3)
    np.testing.assert_array_equal((V3 != x)(), [False] * 3)


# -- errors ------------------------------------------------------------------------------
x34 = ad.Variable(A34, name="x")
BAD = [
    ("no-factory", lambda: np.gradient(x34), r"autodiff has no differentiable np\.gradient"),
    ("no-factory-ufunc", lambda: np.signbit(x34), r"autodiff has no differentiable np\.signbit"),
    ("no-factory-linalg", lambda: np.linalg.eig(x34[:, :3]), r"no differentiable np\.linalg\.eig"),
    ("no-factory-fft", lambda: np.fft.fft(x34), r"autodiff has no differentiable np\.fft\.fft"),
    ("no-factory-method", lambda: np.maximum.accumulate(x34), r"np\.maximum\.accumulate"),
    ("ufunc-out", lambda: np.sin(x34, out=np.zeros((3, 4))), r"np\.sin: out= is not supported"),
    ("ufunc-where", lambda: np.sin(x34, where=MASK34), r"np\.sin: where= is not supported"),
    ("ufunc-casting", lambda: np.add(x34, 1, casting="unsafe"), r"np\.add: casting= not supported"),
    ("ufunc-at", lambda: np.add.at(x34, [0], 1.0), r"np\.add\.at is not supported on nodes"),
    ("ufunc-reduceat", lambda: np.add.reduceat(x34, [0, 2]), r"np\.add\.reduceat is not supported"),
    ("reduce-initial", lambda: np.add.reduce(x34, initial=1.0), r"np\.add\.reduce: initial="),
    ("sum-out", lambda: np.sum(x34, out=np.zeros(())), r"np\.sum: out= is not supported"),
    ("sum-bad-keyword", lambda: np.sum(x34, axes=0), r"unexpected keyword argument 'axes'"),
    ("concatenate-casting", lambda: np.concatenate([x34, x34], casting="no"), r"casting='no'"),
    ("method-out", lambda: x34.max(out=np.zeros(())), r"Node\.max: out= is not supported"),
    ("method-order", lambda: x34.ravel(order="F"), r"Node\.ravel: autodiff's ravel does not support order='F'"),
    ("astype-casting", lambda: x34.astype(int, casting="safe"), r"Node\.astype: casting='safe'"),
    ("reshape-order", lambda: x34.reshape(4, 3, order="X"), r"Node\.reshape: order must be"),
    ("einsum-bad", lambda: np.einsum("ij,j", x34, V3), r"Einsum"),
    ("bool-shape", lambda: bool(x34), r"Variable|x node of shape \(3, 4\)"),
    ("builtin-round", lambda: round(x34), r"doesn't define __round__"),  # as for an ndarray
]  # fmt: skip


@pytest.mark.parametrize("build, pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_unsupported_numpy_raises_naming_it(build, pattern):
    with pytest.raises((TypeError, ValueError, AttributeError), match=pattern):
        build()


def test_a_method_without_its_factory_names_both(monkeypatch):
    monkeypatch.setattr(ad.ops, "__all__", [n for n in ad.ops.__all__ if n != "max"])
    with pytest.raises(TypeError, match=r"no differentiable np\.max \(Node\.max\)"):
        x34.max()
    with pytest.raises(TypeError, match=r"no differentiable np\.max;"):
        np.max(x34)


def test_ufuncs_of_other_libraries_are_refused_by_name():
    scipy_special = pytest.importorskip("scipy.special")
    x = ad.Variable(V3)
    for ufunc in (scipy_special.expit, scipy_special.round, np.frompyfunc(abs, 1, 1)):
        with pytest.raises(TypeError, match=r"autodiff has no differentiable <ufunc .*not NumPy"):
            ufunc(x)


def test_other_array_types_are_left_to_themselves():
    class Other:
        def __array_function__(self, func, types, args, kwargs):
            return "other"

    # NEP 18: a node defers to another library's array type it does not know
    assert (
        ad.Variable(V3).__array_function__(np.sum, (ad.Variable, Other), (), {}) is NotImplemented
    )


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["sin", "cos", "tanh", "exp", "negative", "square", "absolute", "sign"]),
    shape=st.lists(st.integers(0, 3), max_size=3).map(tuple),
    axis=st.one_of(st.none(), st.integers(-3, 2)),
)
def test_property_np_ufuncs_and_reductions_build_the_factories_nodes(name, shape, axis):
    data = np.random.default_rng(len(shape)).normal(size=shape)
    x = ad.Variable(data)
    y = getattr(np, name)(x)
    assert y is getattr(ad, name)(x)
    np.testing.assert_allclose(y(), getattr(np, name)(data))
    if axis is not None and not -len(shape) <= axis < len(shape):
        with pytest.raises(ValueError):
            np.sum(y, axis=axis)
        return
    np.testing.assert_allclose(np.sum(y, axis=axis)(), np.sum(getattr(np, name)(data), axis=axis))
    np.testing.assert_allclose(np.add.reduce(y, axis=axis)(), np.add.reduce(y(), axis=axis))


# -- HIPS autograd: its cases of NumPy calls on traced values, ported ----------------------
# (tests/test_numpy.py, test_wrappers.py, test_ufunc_dispatch.py; inputs and expected
# behaviour carried over, checked here against NumPy and finite differences)
r = np.random.default_rng(7)
M10_11, M10_11b, M3_4_5, M5_6_4 = (
    r.normal(size=s) for s in [(10, 11), (10, 11), (3, 4, 5), (5, 6, 4)]
)
V10, V11, V11b = r.normal(size=10), r.normal(size=11), r.normal(size=11)
M5_1_4, M5_3_4 = r.normal(size=(5, 1, 4)), r.normal(size=(5, 3, 4))
C45 = r.normal(size=(4, 5)) > 0
AUTOGRAD = [
    row("dot-mat-vec", lambda x, y: np.dot(x, y), M10_11, V11),
    row("dot-mat-mat", lambda x, y: np.dot(x, y), M10_11, M10_11b.T),
    row("dot-vec-mat", lambda x, y: np.dot(x, y), V10, M10_11),
    row("dot-vec-vec", lambda x, y: np.dot(x, y), V11, V11b),
    row("dot-with-float", lambda x, y: np.dot(x, y), M10_11, 0.7),
    row("dot-float-first", lambda x, y: np.dot(x, y), 0.7, V10),
    row("outer", lambda x, y: np.outer(x, y), V11, V11b),
    row("max", lambda x: np.max(x), M10_11),
    row("max-axis", lambda x: np.max(x, axis=1), M3_4_5),
    row("max-axis-keepdims", lambda x: np.max(x, axis=1, keepdims=True), M3_4_5),
    row("min", lambda x: np.min(x), M10_11),
    row("min-axis", lambda x: np.min(x, axis=1), M3_4_5),
    row("min-axis-keepdims", lambda x: np.min(x, axis=1, keepdims=True), M3_4_5),
    row("sum-1", lambda x: np.sum(x), M10_11),
    row("sum-2", lambda x: np.sum(x, axis=0), M10_11),
    row("sum-3", lambda x: np.sum(x, axis=0, keepdims=True), M10_11),
    row("sum-axis-tuple", lambda x: np.sum(x, axis=(1, 2)), M3_4_5),
    row("non-numpy-sum", lambda x, y: sum([x, y]), M10_11, M10_11b),
    row("mean-1", lambda x: np.mean(x), M10_11),
    row("mean-2", lambda x: np.mean(x, axis=0), M10_11),
    row("mean-3", lambda x: np.mean(x, axis=0, keepdims=True), M10_11),
    row("index-ints", lambda x: x[3, 0, 1], M5_6_4),
    row("index-slice", lambda x: x[::-1, 2:4, :], M5_6_4),
    row("index-lists", lambda x: x[[0, 1, 2], :, :], M5_6_4),
    row("index-mixed", lambda x: x[3, 2:, [1, 3]], M5_6_4),
    row("vector-slice", lambda x: x[2:4], V10[:5]),
    row("index-slice-fanout", lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :], M5_6_4),
    row("index-multiple-slices", lambda x: x[2:6][1:3], V10[:7]),
    row("reshape-method", lambda x: x.reshape((5 * 4, 6)), M5_6_4),
    row("reshape-call", lambda x: np.reshape(x, (5 * 4, 6)), M5_6_4),
    row("reshape-method-nolist", lambda x: x.reshape(5 * 4, 6), M5_6_4),
    row("ravel-method", lambda x: x.ravel(), M5_6_4),
    row("ravel-call", lambda x: np.ravel(x), M5_6_4),
    row("flatten-method", lambda x: x.flatten(), M5_6_4),
    row("simple-concatenate", lambda x: np.concatenate((M5_6_4, x)), M5_6_4[:4]),
    row("concatenate-axis-0", lambda x: np.concatenate((M5_6_4, x, M5_6_4)), M5_6_4 + 1),
    row("concatenate-axis-1", lambda x: np.concatenate((M5_6_4, x, M5_6_4), axis=1), M5_6_4 + 1),
    row("concatenate-axis-1-unnamed", lambda x: np.concatenate((M5_6_4, x, M5_6_4), 1), M5_6_4),
    row("trace-offset", lambda x: np.trace(x, offset=3), M10_11),
    row("trace-offset-2", lambda x: np.trace(x, offset=-4), M10_11.T),
    row("split", lambda x: np.split(x, 2)[0], V10),
    row("trace-extradims", lambda x: np.trace(x, offset=2), r.normal(size=(5, 6, 4, 3))),
    row("transpose", lambda x: x.T, r.normal(size=(8, 8))),
    row("clip", lambda x: np.clip(x, a_min=0.1, a_max=1.1), r.normal(size=(5, 5))),
    row("var-ddof-0", lambda x: np.var(x, axis=None, keepdims=True, ddof=0), A34),
    row("var-ddof-1", lambda x: np.var(x, ddof=1), V3),
    row("var-ddof-2-axis", lambda x: np.var(x, axis=1, keepdims=False, ddof=2), A34),
    row("std-ddof-0", lambda x: np.std(x, axis=None, keepdims=True, ddof=0), A34),
    row("std-ddof-1", lambda x: np.std(x, ddof=1), V3),
    row("std-ddof-2-axis", lambda x: np.std(x, axis=1, keepdims=False, ddof=2), A34),
    row("where", lambda x, y: np.where(C45, x, y), r.normal(size=(4, 5)), r.normal(size=(4, 5))),
    row("squeeze-func", lambda x: np.squeeze(x), M5_1_4),
    row("squeeze-method", lambda x: x.squeeze(), M5_1_4),
    row("expand-dims", lambda x: np.expand_dims(x, 2), M5_1_4),
    row("tensordot-kwargs-by-position",
        lambda x: np.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2), 1.0),  # fmt: skip
    row("multi-index", lambda x: np.sum(x[[0, 0]]), V3),
    row("multi-index2", lambda x: np.sum(x[[0, 1, 0]]), V3),
    row("index-dot-slices", lambda x: np.dot(x[:2], x[2:]), V4),
    row("diagonal", lambda x: np.diagonal(x, axis1=-1, axis2=-2), r.normal(size=(3, 4, 4))),
    row("maximum-equal-values", lambda x: np.maximum(x, x), 1.0),
    row("len", lambda x: x * len(x), r.normal(size=(3, 2))),
    row("cast-to-int", lambda w: w[:, :-1][np.int64(w[:, -1])].sum(),
        np.concatenate([r.normal(size=(5, 10)), np.ones((5, 1))], axis=1)),  # fmt: skip
    row("astype", lambda x: np.sum(np.sin(x.astype("float64"))), np.arange(3.0)),
    # test_wrappers.py
    row("value-and-grad", lambda x: np.sum(np.sin(x) ** 2), r.normal(size=5)),
    row("hessian-quadratic", lambda x: np.dot(np.dot(x, SPD), x), V3),
    row("elementwise", lambda a: a + np.sin(a) + np.exp(a), r.normal(size=10), order=3),
    row("multigrad-onearg", lambda x, y: np.sum(x + np.sin(y)), V3, V3 + 1),
    # test_ufunc_dispatch.py (the plain-ndarray regressions)
    row("box-scalar-times-ndarray", lambda x: np.sum(x * np.array([1.0, 2.0, 3.0])), 2.0),
    row("ndarray-times-box-scalar", lambda x: np.sum(np.array([1.0, 2.0, 3.0]) * x), 2.0),
    row("box-array-times-ndarray", lambda x: np.sum(x * np.array([2.0, 3.0, 4.0])), [1.0, -1.0, 0.5]),
    row("two-boxes-multiply", lambda v: np.sum(np.multiply(v, v)), [1.0, 2.0, 3.0]),
    row("box-and-scalar", lambda v: np.sum(np.sin(v) + 2.0 * v), [0.1, 0.2, 0.3]),
    row("maximum-with-scalar", lambda x: np.sum(np.maximum(np.array([-1.0, 1, -2, 2]) * x, 0.0)), 1.5),
    row("division-by-box", lambda x: np.sum(np.array([0.5, 1.0, 1.5]) / x), 2.0),
    row("abs-of-scaled", lambda x: np.sum(np.abs(np.array([-1.0, -2, -3]) * x)), 2.0),
    # ...and the cases that need factories of issue 10's other parts
    row("flipud", lambda x: np.flipud(x), M10_11),
    row("fliplr", lambda x: np.fliplr(x), M10_11),
    row("cumsum-axis0", lambda x: np.cumsum(x, axis=0), M10_11),
    row("cumsum-axis1", lambda x: np.cumsum(x, axis=1), M10_11),
    row("cumsum-1d", lambda x: np.cumsum(x), V10),
    row("cumsum-no-axis", lambda x: np.cumsum(x), M10_11),
    row("diag", lambda x: np.diag(x), r.normal(size=(10, 10))),
    row("roll", lambda x: np.roll(x, 2, axis=1), r.normal(size=(4, 5))),
    row("triu", lambda x: np.triu(x, k=2), r.normal(size=(5, 5))),
    row("tril", lambda x: np.tril(x, k=2), r.normal(size=(5, 5))),
    row("prod-1", lambda x: np.prod(x), r.normal(size=(2, 3)) ** 2 / 10 + 0.1),
    row("prod-2", lambda x: np.prod(x, axis=0), r.normal(size=(2, 3)) ** 2 + 0.1),
    row("prod-3", lambda x: np.prod(x, axis=0, keepdims=True), r.normal(size=(2, 3)) ** 2 + 0.1),  # fmt: skip
    row("prod-4", lambda x: np.prod(x), r.normal(size=7) ** 2 + 0.1),
    row("repeat", lambda x: np.repeat(x, 2, axis=1), M5_3_4),
    row("repeat-axis1-rep1", lambda x: np.repeat(x, 1, axis=1), M5_3_4),
    row("repeat-axis0", lambda x: np.repeat(x, 2, axis=0), M5_3_4[:, 0]),
    row("repeat-1d-axis0", lambda x: np.repeat(x, 2, axis=0), r.normal(size=5)),
    row("repeat-axis0-rep1", lambda x: np.repeat(x, 1, axis=0), r.normal(size=(5, 1))),  # fmt: skip
    row("nan-to-num", lambda x: np.sum(np.sin(np.nan_to_num(x + np.array([0.0, np.nan, np.inf, -np.inf])))),
        r.normal(size=4)),  # fmt: skip
    row("vector-jacobian-roll", lambda a: np.roll(np.sin(a), 1), r.normal(size=(5, 4))),
    row("multigrad-tan-cosh", lambda e: np.tan(e) + np.cosh(e), 0.7),
]  # fmt: skip
# autograd cases that do not carry over: np.array / np.r_ / np.c_ of lists holding traced
# values (NumPy converts such a list with __array__ before dispatch: use ad.stack),
# np.append and np.rot90 (no factory), np.linspace of traced ends, make_diagonal (autograd's own)
NOT_CARRIED = [
    ("array-from-list", lambda x: np.array([x, x * 1.0, x + 2.5])),
    ("append", lambda x: np.append(x, 4.0)),
    ("rot90", lambda x: np.rot90(x)),
]


@pytest.mark.parametrize("fn, inputs, order", AUTOGRAD)
def test_autograd_cases(fn, inputs, order):
    _check(fn, inputs, order)


@pytest.mark.parametrize("fn", [c[1] for c in NOT_CARRIED], ids=[c[0] for c in NOT_CARRIED])
def test_autograd_cases_not_carried_never_build_a_wrong_node(fn):
    x = ad.Variable(r.normal(size=(3, 3)))
    try:
        y = fn(x)
    except TypeError as error:
        assert "autodiff has no differentiable np." in str(error)
    else:  # evaluated by NumPy: an array of the current values, never a node nor objects
        assert isinstance(y, np.ndarray) and y.dtype == np.float64


def test_ufunc_dtype_casts_the_inputs():
    x = ad.Variable(V3)
    y = np.add(x, 1, dtype=np.float32)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y(), np.add(V3, 1, dtype=np.float32))


def test_the_readme_example():
    x = ad.Variable(V4, name="x")
    y = np.sum(np.tanh(A34 @ x) ** 2) + np.einsum("ij,j", A34, x).max()
    expected = np.sum(np.tanh(A34 @ V4) ** 2) + np.einsum("ij,j", A34, V4).max()
    np.testing.assert_allclose(y(), expected)
    parts = [np.concatenate([x, A34[0]]), np.where(x > 0, x, 0.0), A34 * x, np.add.reduce(x),
             np.maximum.reduce(x), np.multiply.outer(x, x), x.max(axis=0, keepdims=True),
             x.astype(np.float32), x.reshape(2, 2, order="F").T.ravel()]  # fmt: skip
    assert all(isinstance(p, ad.Node) for p in parts)
    np.testing.assert_allclose(parts[-1](), V4.reshape(2, 2, order="F").T.ravel())


@settings(max_examples=30, deadline=None)
@given(
    method=st.sampled_from(["sum", "mean", "max", "min", "var", "std"]),
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
    data=st.data(),
)
def test_property_reducing_methods_match_ndarray_s(method, shape, data):
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                               st.lists(st.integers(0, ndim - 1), unique=True).map(tuple)))  # fmt: skip
    keepdims = data.draw(st.booleans())
    values = np.random.default_rng(ndim).normal(size=shape)
    y = getattr(ad.Variable(values), method)(axis=axis, keepdims=keepdims)
    expected = getattr(values, method)(axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y(), expected, rtol=1e-12, atol=1e-12)
    by_function = getattr(np, method)(ad.Variable(values), axis, keepdims=keepdims)
    np.testing.assert_allclose(by_function(), expected, rtol=1e-12, atol=1e-12)


def test_mask_operators_on_boolean_nodes_and_arrays():
    x = ad.Variable(np.array([-1.0, 0.5, 2.0]))
    keep = np.array([True, False, True])
    for got, want in [((x > 0) & (x < 1), [False, True, False]), (keep & (x > 0), [False, False, True]),
                      ((x > 0) | keep, [True, True, True]), (~(x > 0), [True, False, False]),
                      (np.invert(x > 0), [True, False, False]), ((x > 0) ^ (x > 1), [False, True, False])]:
        assert isinstance(got, ad.Node)
        np.testing.assert_array_equal(got(), want)
    for bad in (lambda: x & x, lambda: ~x, lambda: np.arange(3) | ad.Variable(np.arange(3))):
        with pytest.raises(TypeError, match="defined for boolean nodes"):
            bad()


def test_reductions_take_numpys_initial_and_where():
    values = {
        "sum initial": (np.sum(x34, initial=2.0), np.sum(A34, initial=2.0)),
        "sum where": (np.sum(x34, axis=1, where=MASK34), np.sum(A34, axis=1, where=MASK34)),
        "max initial": (x34.max(initial=0.0), A34.max(initial=0.0)),
        "min where": (np.min(x34, axis=0, initial=9.0, where=MASK34), np.min(A34, axis=0, initial=9.0, where=MASK34)),
    }  # fmt: skip
    for name, (node, expected) in values.items():
        np.testing.assert_allclose(node(), expected, rtol=1e-14, err_msg=name)
    with pytest.raises(ValueError, match=r"Max: where= needs initial="):
        np.max(x34, where=MASK34)
