"""The shape ops of issue 10 against NumPy on random shapes and arguments.

Every op here but `kron` and `cross` is linear (or affine: a pad with constant values, a
grid beside fixed coordinates), so its Jacobian is NumPy's op applied to each unit input
(exact), which `ad.jacobian` must match, and which central differences of the plan
reproduce. Arguments range past every edge: pads wider than the axis (NumPy's reflect and
symmetric modes then mirror again and again), shifts and splits beyond the length,
diagonals outside the matrix, zero repeats, empty and 0-d inputs. Then bad inputs: where
NumPy raises, so does autodiff, when the graph is built.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHAPES = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
NONEMPTY = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


def exact_jacobian(ref, x0: np.ndarray) -> np.ndarray:
    """The Jacobian of an affine NumPy function at x0: its change from zeros to each unit
    input."""
    out_shape = np.shape(ref(x0))
    offset = np.asarray(ref(np.zeros(x0.shape)), dtype=float).ravel()
    columns = []
    for i in range(x0.size):
        unit = np.zeros(x0.size)
        unit[i] = 1.0
        columns.append(np.asarray(ref(unit.reshape(x0.shape)), dtype=float).ravel() - offset)
    jac = np.stack(columns, axis=-1) if columns else np.zeros((int(np.prod(out_shape)), 0))
    return jac.reshape(out_shape + x0.shape)


def central_jacobian(y: ad.Node, x: ad.Variable, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the plan of y in each element of x."""
    plan = ad.function(y, inputs=[x])
    x0 = x.value.copy()
    jac = np.zeros(y.shape + x0.shape)
    for index in np.ndindex(x0.shape):
        for sign in (1, -1):
            bumped = x0.copy()
            bumped[index] += sign * eps
            jac[(...,) + index] += sign * plan(bumped) / (2 * eps)
    return jac


def check_linear(fn, ref, x0: np.ndarray) -> None:
    """fn (on a Variable) against ref (on an array): value, dtype, Jacobian (exact and by
    central differences), a batched gradient and a Hessian of a smooth function of it."""
    x = ad.Variable(x0)
    y = fn(x)
    expected = np.asarray(ref(x0))
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y(), expected)
    assert y().dtype == expected.dtype
    jac = exact_jacobian(ref, x0)
    J = ad.jacobian(y, x)
    assert J.shape == y.shape + x0.shape
    np.testing.assert_allclose(J(), jac, atol=1e-12)
    if x0.size * max(expected.size, 1) <= 400:
        np.testing.assert_allclose(central_jacobian(y, x), jac, atol=1e-8)
    seeds = np.random.default_rng(0).normal(size=(2, *y.shape))
    flat = jac.reshape(expected.size, x0.size)
    np.testing.assert_allclose(
        ad.grad(y, x, seed=seeds)(),
        (seeds.reshape(2, -1) @ flat).reshape(2, *x0.shape),
        atol=1e-12,
    )
    if 0 < x0.size <= 24 and expected.size:
        weights = np.random.default_rng(1).normal(size=y.shape)
        H = ad.hessian(ad.sum(ad.sin(y) * weights), x)
        curvature = -(np.sin(expected) * weights).ravel()
        np.testing.assert_allclose(
            H(), (flat.T * curvature @ flat).reshape(x0.shape * 2), atol=1e-12
        )


def _array(draw, shape):
    return np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape)


def _axes(draw, ndim: int):
    """None, or distinct axes (negative ones too) of an array of `ndim` axes."""
    if not ndim:
        return None
    axes = st.lists(st.integers(-ndim, ndim - 1), max_size=ndim, unique_by=lambda a: a % ndim)
    return draw(st.none() | axes.map(tuple))


# -- linear ops on random shapes and arguments ----------------------------------------------------
@SETTINGS
@given(st.data())
def test_flip_and_roll(data):
    draw = data.draw
    x0 = _array(draw, draw(SHAPES))
    axes = _axes(draw, x0.ndim)
    check_linear(lambda x: ad.flip(x, axes), lambda a: np.flip(a, axes), x0)
    if x0.ndim:
        n = draw(st.integers(1, 3))
        shift = tuple(draw(st.lists(st.integers(-7, 7), min_size=n, max_size=n)))
        axis = tuple(draw(st.lists(st.integers(-x0.ndim, x0.ndim - 1), min_size=n, max_size=n)))
        check_linear(lambda x: ad.roll(x, shift, axis), lambda a: np.roll(a, shift, axis), x0)
    shift = draw(st.integers(-9, 9))
    check_linear(lambda x: ad.roll(x, shift), lambda a: np.roll(a, shift), x0)


@SETTINGS
@given(st.data())
def test_moveaxis_and_swapaxes(data):
    draw = data.draw
    x0 = _array(draw, draw(NONEMPTY))
    n = x0.ndim
    source = draw(st.permutations(range(n)))[: draw(st.integers(0, n))]
    destination = draw(st.permutations(range(-n, 0)))[: len(source)]
    check_linear(
        lambda x: ad.moveaxis(x, source, destination),
        lambda a: np.moveaxis(a, source, destination),
        x0,
    )
    i, j = draw(st.integers(-n, n - 1)), draw(st.integers(-n, n - 1))
    check_linear(lambda x: ad.swapaxes(x, i, j), lambda a: np.swapaxes(a, i, j), x0)


@SETTINGS
@given(st.data())
def test_tile_and_repeat(data):
    draw = data.draw
    x0 = _array(draw, draw(SHAPES))
    reps = draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), max_size=4).map(tuple)))
    check_linear(lambda x: ad.tile(x, reps), lambda a: np.tile(a, reps), x0)
    axis = draw(st.one_of(st.none(), st.integers(-x0.ndim, x0.ndim - 1))) if x0.ndim else None
    length = x0.size if axis is None else x0.shape[axis]
    repeats = draw(
        st.one_of(
            st.integers(0, 3),
            st.lists(st.integers(0, 3), min_size=length, max_size=length),
            st.lists(st.integers(0, 3), min_size=1, max_size=1),
        )
    )
    check_linear(lambda x: ad.repeat(x, repeats, axis), lambda a: np.repeat(a, repeats, axis), x0)


PAD_MODES = ["constant", "edge", "reflect", "symmetric", "wrap"]


@SETTINGS
@given(st.data())
def test_pad_modes(data):
    draw = data.draw
    shape = draw(st.lists(st.integers(0, 3), max_size=2).map(tuple))
    x0 = _array(draw, shape)
    mode = draw(st.sampled_from(PAD_MODES))
    widths = tuple(
        (draw(st.integers(0, 2 * n + 2)), draw(st.integers(0, 2 * n + 2)))
        if n or mode == "constant"
        else (0, 0)
        for n in shape
    )
    form = draw(st.sampled_from(["pairs", "dict", "one pair", "int"] if shape else ["int"]))
    pad_width = {
        "pairs": widths or 1,  # NumPy takes no empty pad_width, even for a 0-d array
        "dict": {a - len(shape): w for a, w in enumerate(widths) if w != (0, 0)},
        "one pair": widths[0] if widths else (1, 2),
        "int": widths[0][0] if widths else 2,
    }[form]
    if form in ("one pair", "int") and 0 in shape and mode != "constant":
        pad_width = 0
    kwargs = {}
    if mode == "constant" and draw(st.booleans()):
        kwargs["constant_values"] = draw(
            st.sampled_from([1.5, (-1, 2), ((1, 2),) * max(len(shape), 1), -3])
        )
        if len(shape) == 0:
            kwargs["constant_values"] = 1.5
    check_linear(
        lambda x: ad.pad(x, pad_width, mode=mode, **kwargs),
        lambda a: np.pad(a, pad_width, mode=mode, **kwargs),
        x0,
    )


@SETTINGS
@given(st.data())
def test_take_along_axis(data):
    draw = data.draw
    shape = draw(NONEMPTY)
    x0 = _array(draw, shape)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(
        draw(st.integers(0, 4)) if d == axis % len(shape) else draw(st.sampled_from([n, 1]))
        for d, n in enumerate(shape)
    )
    n = shape[axis]
    indices = (
        np.asarray(
            draw(
                st.lists(
                    st.integers(-n, n - 1),
                    min_size=int(np.prod(index_shape)),
                    max_size=int(np.prod(index_shape)),
                )
            )
        )
        .reshape(index_shape)
        .astype(int)
    )
    ref = lambda a: np.take_along_axis(a, indices, axis)  # noqa: E731
    check_linear(lambda x: ad.take_along_axis(x, indices, axis), ref, x0)
    by_node = ad.Variable(indices)  # read when evaluated: a TakeAlongAxis node
    check_linear(lambda x: ad.take_along_axis(x, by_node, axis), ref, x0)


@SETTINGS
@given(st.data())
def test_triangles_and_diagonals(data):
    draw = data.draw
    shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    x0 = _array(draw, shape)
    k = draw(st.integers(-4, 4))
    check_linear(lambda x: ad.tril(x, k), lambda a: np.tril(a, k), x0)
    check_linear(lambda x: ad.triu(x, k), lambda a: np.triu(a, k), x0)
    if x0.ndim <= 2:
        check_linear(lambda x: ad.diag(x, k), lambda a: np.diag(a, k), x0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_splits_stacks_and_grids(data):
    draw = data.draw
    x0 = _array(draw, draw(NONEMPTY))
    axis = draw(st.integers(-x0.ndim, x0.ndim - 1))
    sections = draw(st.one_of(st.integers(1, 5), st.lists(st.integers(-4, 5), max_size=3)))
    weights = lambda pieces: [p * float(i + 1) for i, p in enumerate(pieces)]  # noqa: E731
    check_linear(
        lambda x: ad.concatenate(weights(ad.array_split(x, sections, axis)), axis),
        lambda a: np.concatenate(weights(np.array_split(a, sections, axis)), axis),
        x0,
    )
    for name in ["atleast_1d", "atleast_2d", "atleast_3d"]:
        check_linear(getattr(ad, name), getattr(np, name), x0)
    for name in ["hstack", "vstack", "dstack", "column_stack"]:
        if name != "column_stack" or x0.ndim <= 2:
            ours, numpys = getattr(ad, name), getattr(np, name)
            check_linear(lambda x, f=ours: f([x, x * 2.0]), lambda a, f=numpys: f([a, a * 2.0]), x0)
    indexing = draw(st.sampled_from(["xy", "ij"]))
    sparse = draw(st.booleans())
    others = [np.arange(float(n)) for n in draw(st.lists(st.integers(0, 3), max_size=2))]
    check_linear(
        lambda x: ad.stack(ad.meshgrid(x, *others, indexing=indexing)),
        lambda a: np.stack(np.meshgrid(a, *others, indexing=indexing)),
        x0,
    )
    if sparse:
        grids = ad.meshgrid(ad.Variable(x0), *others, indexing=indexing, sparse=True)
        expected = np.meshgrid(x0, *others, indexing=indexing, sparse=True)
        for g, e in zip(grids, expected, strict=True):
            np.testing.assert_array_equal(g(), e)


# -- the bilinear ones: kron and cross ------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_kron_and_cross(data):
    draw = data.draw
    a0, b0 = _array(draw, draw(SHAPES)), _array(draw, draw(SHAPES))
    expected = np.kron(a0, b0)
    y = ad.kron(ad.Variable(a0), ad.Variable(b0))
    assert y.shape == expected.shape
    np.testing.assert_allclose(y(), expected, rtol=1e-12, atol=1e-12)
    if expected.size:
        ad.check_grads(ad.kron, [a0, b0], order=2)
    batch = draw(st.lists(st.integers(1, 2), max_size=2).map(tuple))
    batch_v = batch[draw(st.integers(0, len(batch))) :]  # fewer axes: broadcast
    n, m = draw(st.sampled_from([2, 3])), draw(st.sampled_from([2, 3]))
    axisa = draw(st.integers(-len(batch) - 1, len(batch)))
    axisb = draw(st.integers(-len(batch_v) - 1, len(batch_v)))
    u0 = np.moveaxis(_array(draw, batch + (n,)), -1, axisa)
    v0 = np.moveaxis(_array(draw, batch_v + (m,)), -1, axisb)
    kwargs = {"axisa": axisa, "axisb": axisb}
    if n == 3 or m == 3:
        kwargs["axisc"] = draw(st.integers(-len(batch) - 1, len(batch)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = np.cross(u0, v0, **kwargs)
    y = ad.cross(ad.Variable(u0), ad.Variable(v0), **kwargs)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y(), expected, rtol=1e-12, atol=1e-12)
    ad.check_grads(lambda u, v: ad.cross(u, v, **kwargs), [u0, v0], order=3)


# -- found by these properties ----------------------------------------------------------------
def test_an_empty_slice_beside_others_keeps_their_gradient():
    """x[1:0] is empty; the simplifier once merged its scatter with x[0:1]'s into x[0:0]."""
    x = ad.Variable(np.array([0.7]))
    y = ad.concatenate([x[0:1], x[1:0] * 2.0, x * 3.0])
    g = ad.grad(ad.sum(ad.sin(y)), x)
    expected = np.cos(0.7) + 3 * np.cos(2.1)
    np.testing.assert_allclose(g(), [expected])  # simplified plan
    np.testing.assert_allclose(ad.eval(g), [expected])  # as built


def test_take_along_axis_by_node_reads_the_current_indices():
    x = ad.Variable(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]))
    ids = ad.Variable(np.array([[0], [2]]))
    y = ad.take_along_axis(x, ids, axis=1)
    g = ad.grad(ad.sum(y * y), x)
    np.testing.assert_array_equal(y(), [[3.0], [4.0]])
    ids.value = np.array([[1], [1]])
    np.testing.assert_array_equal(y(), [[1.0], [5.0]])
    np.testing.assert_array_equal(g(), [[0.0, 2.0, 0.0], [0.0, 10.0, 0.0]])


# -- bad inputs: the error type and message, when the graph is built -----------------------------
x23 = ad.Variable(np.zeros((2, 3)), name="x23")
v3 = ad.Variable(np.zeros(3), name="v3")

BAD = [
    ("flip axis", lambda: ad.flip(x23, 2), ValueError, r"Flip: axis 2 is out of bounds for input of shape \(2, 3\)"),
    ("flipud 0-d", lambda: ad.flipud(np.zeros(())), ValueError, r"Flipud: input must be at least 1-d"),
    ("fliplr 1-d", lambda: ad.fliplr(v3), ValueError, r"Fliplr: input must be at least 2-d, got shape \(3,\)"),
    ("roll float shift", lambda: ad.roll(x23, 1.5), TypeError, r"Roll: shift must be integers, got 1.5"),
    ("roll axis", lambda: ad.roll(x23, 1, axis=2), ValueError, r"Roll: axis 2 is out of bounds"),
    ("roll mismatch", lambda: ad.roll(x23, (1, 2, 3), axis=(0, 1)), ValueError, r"Roll: shift \(1, 2, 3\) and axis \(0, 1\) do not broadcast"),
    ("swapaxes", lambda: ad.swapaxes(x23, 0, 2), ValueError, r"Swapaxes: axis2 2 is out of bounds"),
    ("moveaxis repeated", lambda: ad.moveaxis(x23, [0, -2], [0, 1]), ValueError, r"Moveaxis: repeated axis in source"),
    ("moveaxis lengths", lambda: ad.moveaxis(x23, [0, 1], [0]), ValueError, r"Moveaxis: source \[0, 1\] and destination \[0\] must have the same number"),
    ("tile negative", lambda: ad.tile(x23, (2, -1)), ValueError, r"Tile: negative repetition count"),
    ("tile float", lambda: ad.tile(x23, 1.5), TypeError, r"Tile: each repetition count must be an integer, got float 1.5"),
    ("repeat negative", lambda: ad.repeat(x23, -1), ValueError, r"Repeat: negative count"),
    ("repeat length", lambda: ad.repeat(x23, [1, 2], axis=1), ValueError, r"Repeat: 2 repeats do not fit axis 1 of length 3"),
    ("repeat float", lambda: ad.repeat(x23, 1.5), TypeError, r"Repeat: repeats must be integers"),
    ("repeat 2-d", lambda: ad.repeat(x23, [[1, 2]], axis=0), ValueError, r"Repeat: repeats must be an integer or a 1-d sequence"),
    ("vstack empty", lambda: ad.vstack([]), ValueError, r"Vstack: needs at least one array"),
    ("hstack of a 0-d node", lambda: ad.hstack(ad.Variable(1.0)), TypeError, r"Hstack: a 0-d array is not a sequence of arrays"),
    ("hstack of a number", lambda: ad.hstack(1.0), TypeError, r"Hstack: expects a list or tuple of arrays, got float"),
    ("vstack mismatch", lambda: ad.vstack([x23, np.zeros(2)]), ValueError, r"Concatenate: input 1 of shape \(1, 2\) does not fit"),
    ("array_split 0", lambda: ad.array_split(x23, 0), ValueError, r"ArraySplit: the number of sections must be positive, got 0"),
    ("array_split float", lambda: ad.array_split(x23, 1.5), TypeError, r"ArraySplit: indices_or_sections must be an integer or a sequence"),
    ("split unequal", lambda: ad.split(x23, 2, axis=1), ValueError, r"Split: axis 1 of length 3 does not split into 2 equal parts"),
    ("take_along_axis axes", lambda: ad.take_along_axis(x23, np.zeros(2, int), axis=1), ValueError, r"TakeAlongAxis: indices of shape \(2,\) and input of shape \(2, 3\) must have the same number of axes"),
    ("take_along_axis float", lambda: ad.take_along_axis(x23, np.zeros((2, 1)), axis=1), TypeError, r"TakeAlongAxis: indices must be integers, got float64"),
    ("take_along_axis node float", lambda: ad.take_along_axis(x23, ad.Variable(np.zeros((2, 1))), axis=1), TypeError, r"TakeAlongAxis: indices must be integers, got float64"),
    ("take_along_axis range", lambda: ad.take_along_axis(x23, np.full((2, 1), 3), axis=1), IndexError, r"Index: index 3 is out of bounds for axis 1 with size 3"),
    ("take_along_axis broadcast", lambda: ad.take_along_axis(x23, np.zeros((3, 1), int), axis=1), ValueError, r"TakeAlongAxis: indices of shape \(3, 1\) do not broadcast with input of shape \(2, 3\)"),
    ("take_along_axis None", lambda: ad.take_along_axis(x23, np.zeros((2, 1), int), axis=None), ValueError, r"TakeAlongAxis: with axis None indices must be 1-d"),
    ("tril 0-d", lambda: ad.tril(np.zeros(())), ValueError, r"Tril: input must be at least 1-d"),
    ("triu float k", lambda: ad.triu(x23, 1.5), TypeError, r"Triu: k must be an integer, got float 1.5"),
    ("diag 3-d", lambda: ad.diag(np.zeros((2, 2, 2))), ValueError, r"Diag: input must be 1-d or 2-d, got shape \(2, 2, 2\)"),
    ("cross components", lambda: ad.cross(np.zeros(4), v3), ValueError, r"Cross: incompatible dimensions for cross product: vectors of 4 and 3 components"),
    ("cross 0-d", lambda: ad.cross(np.zeros(()), v3), ValueError, r"Cross: input 0 is 0-d"),
    ("cross broadcast", lambda: ad.cross(np.zeros((2, 3)), np.zeros((3, 3))), ValueError, r"Cross: the vectors of input 0 of shape \(2, 3\) and input 1 of shape \(3, 3\) do not broadcast"),
    ("cross axisc", lambda: ad.cross(v3, v3, axisc=1), ValueError, r"Cross: axisc 1 is out of bounds"),
    ("meshgrid indexing", lambda: ad.meshgrid(v3, v3, indexing="xx"), ValueError, r"Meshgrid: indexing must be 'xy' or 'ij', got 'xx'"),
    ("pad mode", lambda: ad.pad(x23, 1, mode="median"), ValueError, r"Pad: mode 'median' is not supported"),
    ("pad keyword", lambda: ad.pad(x23, 1, mode="edge", constant_values=1), ValueError, r"Pad: unsupported keyword arguments for mode 'edge': \['constant_values'\]"),
    ("pad odd reflection", lambda: ad.pad(x23, 1, mode="reflect", reflect_type="odd"), ValueError, r"Pad: reflect_type 'odd' is not supported"),
    ("pad negative", lambda: ad.pad(x23, -1), ValueError, r"Pad: negative pad_width -1"),
    ("pad widths", lambda: ad.pad(x23, ((1, 2, 3),)), ValueError, r"Pad: pad_width \(\(1, 2, 3\),\) does not fit input of shape \(2, 3\)"),
    ("pad dict axis", lambda: ad.pad(x23, {2: 1}), ValueError, r"Pad: axis in pad_width 2 is out of bounds"),
    ("pad constant_values", lambda: ad.pad(x23, 1, constant_values=((1, 2, 3),)), ValueError, r"Pad: constant_values \(\(1, 2, 3\),\) do not fit input of shape \(2, 3\)"),
    ("pad constant_values node", lambda: ad.pad(x23, 1, constant_values=v3), TypeError, r"Pad: constant_values must be numbers, not a node"),
    ("pad empty axis", lambda: ad.pad(np.zeros((0, 2)), 1, mode="edge"), ValueError, r"Pad: cannot extend the empty axis 0 of input of shape \(0, 2\) in mode 'edge'"),
]  # fmt: skip


@pytest.mark.parametrize("what, build, error, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_fails_when_the_graph_is_built(what, build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("name", ["vstack", "hstack", "dstack", "column_stack"])
@pytest.mark.parametrize("shape", [(2,), (2, 3), (3, 1, 2)])
def test_a_stack_of_one_array_stacks_its_rows_as_numpy(name, shape):
    a = np.arange(np.prod(shape), dtype=float).reshape(shape)
    x = ad.Variable(a)
    y = getattr(ad, name)(x)
    np.testing.assert_array_equal(y(), getattr(np, name)(a))
    ad.check_grads(lambda x: getattr(ad, name)(x), [a], order=2)
