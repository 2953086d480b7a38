"""What a plan does with its inputs at each call, now that the common case (an ndarray of the
input's exact dtype and shape) passes one inline test: every other value still goes through
`Variable.check_value`, converted or refused as before, for the first input and the 150th."""

import contextlib
import gc
import os
import pickle
import re
import tempfile
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.casting import _cast

N = 200


def _many_inputs():
    """200 inputs of several shapes and dtypes; the plan returns x + x for each."""
    shapes = [(65,), (), (2, 3), (1,), (0,)]
    dtypes = [np.float64, np.float64, np.float32, np.int64, np.float64]
    xs = [ad.Variable(np.zeros(shapes[i % 5], dtypes[i % 5]), name=f"x{i}") for i in range(N)]
    return xs, ad.function([x + x for x in xs], inputs=xs)


rng = np.random.default_rng(0)


@pytest.fixture(scope="module")
def many():
    """The 200-input plan, for this module only: nodes kept alive would be found again by
    later tests (nodes are hash-consed), changing the order they simplify in."""
    global XS, PLAN
    XS, PLAN = _many_inputs()
    yield
    del XS, PLAN
    gc.collect()


def _values():
    return [
        (rng.standard_normal(x.shape) * 10).astype(x.dtype) if x.size else np.zeros(x.shape)
        for x in XS
    ]


def test_a_plan_with_200_inputs_gives_the_right_results(many):
    values = _values()
    results = PLAN(*values)
    assert len(results) == N
    for x, value, got in zip(XS, values, results, strict=True):
        assert type(got) is np.ndarray and got.shape == x.shape and got.dtype == x.dtype
        np.testing.assert_array_equal(got, value + value)
    again = _values()  # a second call sees the new arrays, not the first call's
    for value, got in zip(again, PLAN(*again), strict=True):
        np.testing.assert_array_equal(got, value + value)


def _fed(position, value):
    values = _values()
    values[position] = value
    return values


@pytest.mark.parametrize("position", [0, 150])
@pytest.mark.parametrize(
    "value",
    [
        [float(i) for i in range(65)],  # a list
        np.arange(65),  # integers into a float64 input
        np.arange(65, dtype=np.float32) / 3,  # float32 into float64
        np.arange(65, dtype=">f8"),  # another byte order: an equal value, another dtype
        np.arange(65) > 30,  # booleans
        np.arange(130.0)[::2],  # a strided view
        np.arange(65.0).view(np.ndarray),  # a view: fine as it is
        np.ma.masked_array(np.arange(65.0)),  # an ndarray subclass: read as a plain array
        pickle.loads(pickle.dumps(np.arange(65.0))),  # its dtype equal to float64, not NumPy's own
    ],
    ids=[
        "list",
        "int64",
        "float32",
        "big-endian",
        "bool",
        "strided",
        "view",
        "subclass",
        "unpickled",
    ],
)
def test_other_values_are_converted_as_check_value_converts_them(many, position, value):
    assert XS[position].shape == (65,)
    converted = XS[position].check_value(value)
    results = PLAN(*_fed(position, value))
    np.testing.assert_array_equal(results[position], converted + converted)
    assert type(results[position]) is np.ndarray and results[position].dtype == np.float64


@pytest.mark.parametrize("position", [0, 150])
@pytest.mark.parametrize(
    "value, error, message",
    [
        (np.zeros(64), ValueError, r"value of shape \(64,\) does not fit shape \(65,\)"),
        (np.zeros((1, 65)), ValueError, r"value of shape \(1, 65\) does not fit shape \(65,\)"),
        (np.zeros((65, 1)), ValueError, r"value of shape \(65, 1\) does not fit shape \(65,\)"),
        (np.zeros(()), ValueError, r"value of shape \(\) does not fit shape \(65,\)"),
        (2.0, ValueError, r"value of shape \(\) does not fit shape \(65,\)"),
        ([1.0, 2.0], ValueError, r"value of shape \(2,\) does not fit shape \(65,\)"),
        (np.zeros(65, complex), TypeError, "would lose its imaginary part in float64"),
        (np.full(65, 1e300, np.longdouble) * 1e100, ValueError, "overflows to inf in float64"),
        ("abc", TypeError, "strings are not numbers"),
        (None, TypeError, "holds NoneType, not numbers"),
        ([[1.0], [2.0, 3.0]], ValueError, "not an array of numbers"),
    ],
    ids=[
        "short", "row", "column", "0-d", "scalar", "list", "complex", "overflow", "str",
        "None", "ragged",
    ],
)  # fmt: skip
def test_wrong_values_raise_as_before(many, position, value, error, message):
    if isinstance(value, np.ndarray) and value.dtype == np.longdouble:
        if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
            pytest.skip("long double is float64 here")
    with pytest.raises(error, match=message) as raised:
        XS[position].check_value(value)
    with pytest.raises(error) as got:
        PLAN(*_fed(position, value))
    assert str(got.value) == str(raised.value)  # the same message, naming the same input
    assert f"'x{position}'" in str(got.value)


def test_a_node_given_as_a_value_is_refused(many):
    with pytest.raises(TypeError, match=r"Variable 'x150': the value is a .* node"):
        PLAN(*_fed(150, XS[0] * 2))


@pytest.mark.parametrize("position", [1, 151])
@pytest.mark.parametrize("value", [2.5, 3, np.float64(1.5), np.float32(0.5), np.array(7), True])
def test_scalars_into_a_0d_input(many, position, value):
    assert XS[position].shape == ()
    results = PLAN(*_fed(position, value))
    assert type(results[position]) is np.ndarray and results[position].shape == ()
    assert results[position].dtype == np.float64
    assert results[position] == 2 * float(value)


@pytest.mark.parametrize("position", [3, 153])
def test_an_integer_input_refuses_fractions_and_takes_whole_floats(many, position):
    assert XS[position].dtype == np.int64 and XS[position].shape == (1,)
    with pytest.raises(TypeError, match=rf"Variable 'x{position}': a float64 value would be"):
        PLAN(*_fed(position, np.array([1.5])))
    with pytest.raises(TypeError):
        PLAN(*_fed(position, np.array([2.0])))  # a float64 array: a cast between kinds
    assert PLAN(*_fed(position, [2]))[position].tolist() == [4]
    assert PLAN(*_fed(position, np.array([2], np.int8)))[position].tolist() == [4]


def test_a_small_integer_input_checks_its_range():
    x = ad.Variable(np.zeros(3, np.uint8), name="pixels")
    f = ad.function(x + x, inputs=[x])
    with pytest.raises(ValueError, match="the int64 value 300 does not fit uint8"):
        f(np.array([1, 2, 300]))
    assert f(np.array([1, 2, 100])).tolist() == [2, 4, 200]


@pytest.mark.parametrize("position", [0, 150])
def test_read_only_and_non_contiguous_arrays_are_fine_and_left_alone(many, position):
    values = _values()
    base = np.arange(260.0).reshape(2, 130)
    strided = base[1, ::2]
    frozen = np.linspace(0, 1, 65)
    frozen.flags.writeable = False
    for value in [strided, frozen]:
        kept = value.copy()
        values[position] = value
        np.testing.assert_array_equal(PLAN(*values)[position], kept * 2)
        np.testing.assert_array_equal(value, kept)  # the plan wrote nothing into it
    assert XS[2].shape == (2, 3) and XS[152].shape == (2, 3)
    for at in (2, 152):
        values = _values()
        transposed = np.asfortranarray(values[at]).T.T  # Fortran order, same values
        values[at] = transposed
        np.testing.assert_array_equal(PLAN(*values)[at], transposed * 2)


def test_the_wrong_number_of_arrays_is_refused_with_the_plans_message(many):
    values = _values()
    with pytest.raises(TypeError, match=f"function: expected {N} input arrays, got {N - 1}"):
        PLAN(*values[:-1])
    with pytest.raises(TypeError, match=f"function: expected {N} input arrays, got {N + 1}"):
        PLAN(*values, values[0])
    x = ad.Variable(np.zeros(3), name="x")
    with pytest.raises(TypeError, match="function: expected 0 input arrays, got 1"):
        ad.function(x * 2)(np.zeros(3))


def test_a_type_error_inside_the_plan_is_not_taken_for_a_wrong_count():
    x = ad.Variable(np.zeros(3), name="x")
    f = ad.function(x * 2, inputs=[x])
    with pytest.raises(TypeError, match="strings are not numbers"):
        f(["a", "b", "c"])


def _buffered_plan():
    xs = [ad.Variable(np.zeros(10_000), name=f"x{i}") for i in range(3)]
    xs += [ad.Variable(np.zeros(()), name=f"s{i}") for i in range(160)]
    total = ad.sum(ad.tanh(xs[0] * xs[1]) * xs[2])
    for s in xs[3:]:
        total = total + s
    f = ad.function(total, inputs=xs)
    assert "_buf" in f.source
    return xs, f


def test_a_plan_that_keeps_buffers_checks_its_inputs_when_busy_too():
    xs, f = _buffered_plan()
    values = [rng.standard_normal(x.shape) for x in xs]
    want = np.sum(np.tanh(values[0] * values[1]) * values[2]) + sum(values[3:])
    np.testing.assert_allclose(f(*values), want, rtol=1e-12)
    values[150] = 2  # an int for a 0-d float input: converted
    want = np.sum(np.tanh(values[0] * values[1]) * values[2]) + sum(map(float, values[3:]))
    for busy in (False, True):
        with f._lock if busy else contextlib.nullcontext():  # busy: another call is running
            np.testing.assert_allclose(f(*values), want, rtol=1e-12)
            with pytest.raises(ValueError, match=r"Variable 'x1': value of shape \(9999,\)"):
                f(values[0], np.zeros(9999), *values[2:])
            with pytest.raises(TypeError, match="expected 163 input arrays, got 162"):
                f(*values[1:])
    without = f._run.__globals__["_unbuffered"]  # made by the first busy call, then kept
    assert without.__name__ == "plan" and not any(k.startswith("_buf") for k in without.__globals__)
    np.testing.assert_allclose(f(*values), want, rtol=1e-12)  # its turn was given back


def test_threads_calling_one_buffered_plan_get_their_own_results():
    xs, f = _buffered_plan()
    inputs = [[rng.standard_normal(x.shape) for x in xs] for _ in range(4)]
    wants = [np.sum(np.tanh(v[0] * v[1]) * v[2]) + sum(v[3:]) for v in inputs]
    errors = []

    def work(k):
        for _ in range(20):
            got = f(*inputs[k])
            if not np.isclose(got, wants[k], rtol=1e-12):
                errors.append((k, got, wants[k]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_the_export_still_reads_every_input():
    x = ad.Variable(np.zeros(3), name="x")
    y = ad.Variable(np.zeros(()), name="y")
    f = ad.function(ad.tanh(x) * y, inputs=[x, y])
    space: dict = {}
    path = os.path.join(tempfile.mkdtemp(), "m.py")
    exec(compile(f.export(path, name="m"), path, "exec"), space)
    a = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(space["m"](a, 2.0), f(a, 2.0))
    assert re.search(r"_check\d+\(a0\)", f.source)  # the plan checks all its inputs


_KINDS = ["array", "list", "float32", "int", "short", "row", "strided"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 170), st.sampled_from(_KINDS)), min_size=1, max_size=4))
def test_any_mix_of_values_behaves_as_check_value_on_each(many, changes):
    """Whatever is fed where: the plan raises what the first input's check_value that
    raises raises, else gives the results of the converted values."""
    originals = _values()
    values = list(originals)
    for position, kind in changes:
        x, good = XS[position], originals[position]
        values[position] = {
            "array": good,
            "list": good.tolist(),
            "float32": good.astype(np.float32),
            "int": np.round(good).astype(np.int32),
            "short": good.ravel()[:-1] if good.size else np.zeros(1),
            "row": good[None],
            "strided": np.repeat(good, 2).reshape(x.shape + (2,))[..., 0],
        }[kind]
    expected, error = [], None
    for x, value in zip(XS, values, strict=True):
        try:
            expected.append(x.check_value(value))
        except (TypeError, ValueError) as e:
            error = e
            break
    if error is not None:
        with pytest.raises(type(error)) as got:
            PLAN(*values)
        assert str(got.value) == str(error)
    else:
        for want, got in zip(expected, PLAN(*values), strict=True):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want + want)


def _check_as_before(x, value):
    """check_value as it was: every value but an ndarray of the exact dtype and shape
    through `_cast`, the shape checked after."""
    if type(value) is np.ndarray and value.dtype == x.dtype and value.shape == x.shape:
        return value
    if isinstance(value, ad.Node):
        return x.check_value(value)
    array = _cast(f"Variable {x.name!r}", value, x.dtype)
    if array.shape != x.shape:
        raise ValueError(
            f"Variable {x.name!r}: value of shape {array.shape} does not fit shape {x.shape}"
        )
    return array


_DTYPES = ["bool", "int8", "uint8", "int32", "int64", "uint64", "float16", "float32", "float64",
           "complex64", "complex128", ">f8", ">i4"]  # fmt: skip
_PYTHON = [0, 1, -3, 2**53, 2**53 + 1, -(2**53) - 1, 2**63, 10**400, True, 2.5, -0.0, 1e300,
           float("nan"), float("inf"), 1.5 + 2j, np.float64(3.25), np.float32(0.1),
           np.int32(-7)]  # fmt: skip
_ITEMS = [0, 1, -1, 2, 127, 128, 255, 256, -129, 2**31, 2**40, 0.5, -2.5, 1e5, 7e38, 1e300,
          float("nan"), float("inf"), -float("inf"), 1 + 1j]  # fmt: skip


@st.composite
def _arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(_DTYPES)))
    shape = draw(st.sampled_from([(), (3,), (1,), (2, 3)]))
    size = int(np.prod(shape))
    values = np.array(
        draw(st.lists(st.sampled_from(_ITEMS), min_size=size, max_size=size)), complex
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # complex into real, nan into int: whatever NumPy gives
        return (values if dtype.kind == "c" else values.real).astype(dtype).reshape(shape)


def _same_outcome(x, value):
    try:
        want = _check_as_before(x, value)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error)) as got:
            x.check_value(value)
        assert str(got.value) == str(error)
        return
    got = x.check_value(value)
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got.real), np.signbit(want.real))  # -0.0 stays -0.0


@pytest.mark.parametrize("dtype", _DTYPES)
def test_python_numbers_are_converted_and_refused_as_before(dtype):
    for shape in [(), (3,)]:
        x = ad.Variable(np.zeros(shape, dtype), name="x")
        for value in _PYTHON:
            _same_outcome(x, value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_DTYPES), st.sampled_from([(), (3,), (2, 3)]), _arrays())
def test_arrays_are_converted_and_refused_as_before(dtype, shape, value):
    """The shortcuts of check_value (safe casts of arrays, Python numbers for a float64
    scalar) give what the full check gave, and everything else still takes it."""
    _same_outcome(ad.Variable(np.zeros(shape, dtype), name="x"), value)
