"""Variables, values and plans you can trust: dtypes of Variables, gradients and integers,
casts that lose nothing, who owns an array, `node.eval()`, and context-local scopes."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import nn


# -- item 1: the dtype of a Variable, and gradients that integers never get -------------------
@pytest.mark.parametrize("value, dtype", [
    (3, np.float64), (2.5, np.float64), (True, np.float64), ([1, 2, 3], np.float64),
    ([[1, 2], [3, 4]], np.float64), ((1, 2.5), np.float64), ([True, False], np.float64),
    (2**70, np.float64), ([1j, 2], np.complex128),
    (np.arange(3), np.int64), (np.arange(3, dtype=np.uint8), np.uint8), (np.array([True]), np.bool_),
    (np.float32(2.0), np.float32), (np.int32(7), np.int32), (np.zeros(2, np.float32), np.float32),
])
def test_python_numbers_become_float64_and_numpy_keeps_its_dtype(value, dtype):
    x = ad.Variable(value)
    assert x.dtype == dtype and x.value.dtype == dtype
    np.testing.assert_array_equal(x.value, np.asarray(value).astype(dtype))


def test_dtype_overrides():
    assert ad.Variable([1, 2], dtype=np.int32).dtype == np.int32
    assert ad.Variable(np.arange(3), dtype=float).dtype == np.float64
    assert ad.Variable(3, dtype=np.float32)().dtype == np.float32
    with pytest.raises(TypeError, match="would be truncated to int64"):
        ad.Variable([0.5], dtype=int)


def test_the_issue_reproducers_give_true_gradients():
    v = ad.Variable([1, 2, 3])
    np.testing.assert_allclose(ad.grad(ad.sum(ad.sin(v)), v)(), np.cos([1.0, 2.0, 3.0]))
    k = ad.Variable(3)
    assert float(ad.grad(k**2, k)()) == 6.0 == float(ad.grad(k * k, k)())


@pytest.mark.parametrize("make", [ad.grad, ad.jacobian, ad.hessian,
                                  lambda y, x: ad.hvp(y, x, np.ones(3)),
                                  lambda y, x: ad.jvp(y, x, np.ones(3))])
def test_every_derivative_api_refuses_integer_wrt(make):
    ids = ad.Variable(np.arange(3), name="ids")
    with pytest.raises(TypeError, match=r"'ids' of dtype int64 \(wrt 0\).*ad\.Variable\(value, dtype=float\)"):
        make(ad.sum(ids * 1.5), ids)


def test_no_gradient_flows_through_integer_nodes():
    x = ad.Variable(np.array([1.5, 2.5, -0.5]), name="x")
    floor = ad.astype(ad.astype(x, np.int64), np.float64)  # piecewise constant: derivative 0
    np.testing.assert_array_equal(ad.grad(ad.sum(floor * x), x)(), floor())
    np.testing.assert_array_equal(ad.grad(ad.sum(ad.astype(x, np.int64) * x), x)(), [1, 2, 0])
    flags = x > 0  # bool
    np.testing.assert_array_equal(ad.grad(ad.sum(ad.astype(flags, np.float64) * x), x)(), [1, 1, 0])
    ids = ad.Variable(np.array([2, 0, 2]), name="ids")
    table = ad.Variable(np.arange(6.0).reshape(3, 2), name="table")
    g_table = ad.grad(ad.sum(ad.take(table, ids, axis=0) * ad.reshape(ids, (3, 1))), table)  # ids also a factor
    np.testing.assert_array_equal(g_table(), [[0, 0], [0, 0], [4, 4]])
    ad.check_grads(lambda a: ad.sum(ad.astype(ad.astype(a, np.int32), np.float64) * ad.sin(a)),
                   [np.array([0.3, 1.7, 2.2])], order=2)


# -- item 10: casts that lose information raise -------------------------------------------------
I8 = np.zeros(2, np.int8)
CASTS = [
    # (variable's value, fed value, error, message)
    (np.zeros(2, np.uint8), [-1, 300], ValueError, r"'v': the int64 value -1 does not fit uint8 \(0 to 255\)"),
    (np.zeros(1, np.int32), [2**40], ValueError, r"the int64 value 1099511627776 does not fit int32"),
    (np.zeros(1, np.int64), [2**70], ValueError, r"the Python int 1180591620717411303424 does not fit int64"),
    (np.zeros(1, np.uint64), [-1], ValueError, r"value -1 does not fit uint64"),
    (np.zeros(2, np.uint8), np.array([3, -2], np.int8), ValueError, r"the int8 value -2 does not fit uint8"),
    (np.zeros(1, bool), [2], ValueError, r"the int64 value 2 does not fit bool \(0 to 1\)"),
    (np.zeros(1, np.int64), [0.5], TypeError, r"a float64 value would be truncated to int64"),
    (np.zeros(1, np.int64), [1.0], TypeError, r"a float64 value would be truncated to int64"),
    (np.zeros(1, bool), [1.0], TypeError, r"a float64 value would be truncated to bool"),
    (np.zeros(1), [1 + 2j], TypeError, r"a complex128 value would lose its imaginary part in float64"),
    (np.zeros(1, np.int16), [1j], TypeError, r"would lose its imaginary part in int16"),
    (np.zeros(1, np.float32), [1e300], ValueError, r"the float64 value 1e\+300 overflows to inf in float32"),
    (np.zeros(1, np.float16), [70000], ValueError, r"the int64 value 70000 overflows to inf in float16"),
    (np.zeros(1, np.complex64), [1e300j], ValueError, r"overflows to inf in complex64"),
    (np.zeros(1), [2**2000], ValueError, r"a Python int of the value is too large for float64"),
    (np.zeros(2), ["1.5", "2"], TypeError, r"strings are not numbers \(got '1.5', dtype <U3\)"),
    (np.zeros(()), "3", TypeError, r"strings are not numbers"),
    (np.zeros(2), [1.0, None], TypeError, r"the value holds NoneType, not numbers"),
    (np.zeros(()), None, TypeError, r"the value holds NoneType, not numbers"),
    (np.zeros(2), np.array(["2020-01-01", "2020-01-02"], "datetime64[D]"), TypeError, r"a datetime64\[D\] value is not a number"),
    (np.zeros(2), [[1.0], [1.0, 2.0]], ValueError, r"the value is not an array of numbers"),
    (np.zeros(2), ad.Constant(np.zeros(2)), TypeError, r"the value is a Constant node, not an array"),
    (np.zeros(2), np.zeros(3), ValueError, r"value of shape \(3,\) does not fit shape \(2,\)"),
]


@pytest.mark.parametrize("start, new, error, pattern", CASTS, ids=[f"{np.asarray(r[0]).dtype}<-{r[1]!r}"[:40] for r in CASTS])
def test_lossy_casts_raise_everywhere_a_value_comes_in(start, new, error, pattern):
    v = ad.Variable(start, name="v")
    before = v.value.copy()
    with pytest.raises(error, match="Variable 'v': .*" + pattern.split("'v': ")[-1]):
        v.value = new
    np.testing.assert_array_equal(v.value, before)  # nothing was set
    plan = ad.function(v * 1, inputs=[v])
    with pytest.raises(error, match=pattern):
        plan(new)


@pytest.mark.parametrize("start, new, expected", [
    (np.zeros(1, np.float32), [0.1], np.float32(0.1)),  # rounding to fewer bits is fine
    (np.zeros(2, np.float32), [np.inf, -np.inf], [np.inf, -np.inf]),  # inf stays inf
    (np.zeros(1, np.float32), [np.nan], [np.nan]),
    (np.zeros(1), [2**70], [2.0**70]),
    (np.zeros(1, np.uint64), [2**64 - 1], [2**64 - 1]),
    (np.zeros(1, np.int64), [-(2**63)], [-(2**63)]),
    (np.zeros(2, np.uint8), [0, 255], [0, 255]),
    (np.zeros(2, bool), [0, 1], [False, True]),
    (np.zeros(2, np.int32), [True, False], [1, 0]),
    (np.zeros(1, np.complex64), [1.5], [1.5 + 0j]),
    (np.zeros(()), np.float32(3.5), 3.5),
    (np.zeros(()), 4, 4.0),
])
def test_casts_that_lose_nothing_pass(start, new, expected):
    v = ad.Variable(start, name="v")
    v.value = new
    assert v.value.dtype == v.dtype
    np.testing.assert_array_equal(v.value, expected)
    np.testing.assert_array_equal(ad.function(v * 1, inputs=[v])(new), expected)


INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


@settings(max_examples=200, deadline=None)
@given(dtype=st.sampled_from(INT_DTYPES),
       values=st.lists(st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(
           [-(2**63) - 1, -(2**63), -(2**31) - 1, -129, -128, -1, 0, 127, 128, 255, 256,
            2**31 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64])), min_size=1, max_size=20))
def test_an_integer_value_is_held_exactly_or_refused(dtype, values):
    info = np.iinfo(dtype)
    v = ad.Variable(np.zeros(len(values), dtype), name="n")
    if all(info.min <= x <= info.max for x in values):
        v.value = values
        assert [int(x) for x in v.value] == values
    else:
        with pytest.raises(ValueError, match=f"Variable 'n': the .* does not fit {np.dtype(dtype)}"):
            v.value = values


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=20))
def test_a_float64_value_fits_float32_unless_a_finite_one_overflows(values):
    v = ad.Variable(np.zeros(len(values), np.float32), name="f")
    big = [x for x in values if np.isfinite(x) and abs(x) >= 2.0**128 * (1 - 2.0**-25)]
    if big:
        with pytest.raises(ValueError, match="overflows to inf in float32"):
            v.value = values
    else:
        v.value = values
        np.testing.assert_array_equal(v.value, np.array(values).astype(np.float32))
        assert np.isfinite(v.value).tolist() == np.isfinite(values).tolist()


def test_load_state_dict_casts_as_setting_a_value_does():
    layer = nn.Linear(2, 1, rng=0, dtype=np.float32)
    good = layer.state_dict()
    for key, bad, error, pattern in [
        ("weight", np.full((2, 1), 1e300), ValueError, r"'weight': Variable 'weight': the float64 value 1e\+300 overflows to inf in float32"),
        ("bias", np.array([1 + 1j]), TypeError, r"'bias': Variable 'bias': a complex128 value would lose its imaginary part"),
        ("bias", np.array(["0.5"]), TypeError, r"'bias': .*strings are not numbers"),
    ]:
        with pytest.raises(error, match=r"Linear\.load_state_dict: " + pattern):
            layer.load_state_dict({**good, key: bad})
    np.testing.assert_array_equal(layer.weight.value, good["weight"])  # nothing was set
    layer.load_state_dict({**good, "bias": np.array([0.25])})  # float64 -> float32: fine
    assert layer.bias.value.dtype == np.float32 and layer.bias.value[0] == 0.25


# -- item 11: who owns an array ---------------------------------------------------------------
def test_a_variable_owns_its_value():
    a = np.array([1.0, 2.0])
    x = ad.Variable(a, name="x")
    y = ad.sum(x * x)
    a[0] = 100.0
    assert float(y()) == 5.0
    b = np.array([3.0, 4.0])
    x.value = b
    b[0] = 100.0
    assert float(y()) == 25.0
    with pytest.raises(ValueError, match="read-only"):
        x.value[0] = 7.0
    with pytest.raises(ValueError):
        x.value.flags.writeable = True
    view = x.value
    x.value = [0.0, 1.0]
    np.testing.assert_array_equal(view, [3.0, 4.0])  # an old value never changes under you


def test_a_read_only_array_is_handed_over_without_a_copy():
    frozen = np.array([1.0, 2.0])
    frozen.flags.writeable = False
    x = ad.Variable(np.zeros(2), name="x")
    x.value = frozen
    assert np.shares_memory(x.value, frozen)
    y = ad.Variable(np.zeros(2), name="y")
    y.value = x.value  # another Variable's value: shared, never written
    assert np.shares_memory(y.value, frozen)
    base = np.array([5.0, 6.0])
    view = base.view()
    view.flags.writeable = False  # read-only, but its base is not: copied
    x.value = view
    base[0] = 100.0
    np.testing.assert_array_equal(x.value, [5.0, 6.0])


@pytest.mark.parametrize("make", [
    lambda x: x, lambda x: x.reshape(6), lambda x: x[0], lambda x: x[:, 1:], lambda x: x.T,
    lambda x: ad.stop_gradient(x), lambda x: ad.transpose(x)[1], lambda x: ad.sum(x[0][None], axis=0),
], ids=["variable", "reshape", "row", "slice", "transpose", "stop_gradient", "index_of_transpose", "sum_of_size_1"])
def test_plan_results_never_share_memory_with_a_variable(make):
    x = ad.Variable(np.arange(6.0).reshape(2, 3), name="x")
    for plan in (ad.function(make(x)), ad.function([make(x), ad.sum(x)]), ad.function(make(x), simplify=False)):
        result = plan() if plan.single else plan()[0]
        assert not np.shares_memory(result, x.value)
        result[...] = -1.0  # the caller may write into what a plan gives back
        np.testing.assert_array_equal(x.value, np.arange(6.0).reshape(2, 3))
    z = ad.Variable(np.array(2.0), name="z")
    out = ad.function(z)()
    assert isinstance(out, np.ndarray) and not np.shares_memory(out, z.value)
    result = make(x)()
    result[...] = 0.0
    np.testing.assert_array_equal(x.value, np.arange(6.0).reshape(2, 3))


def test_fed_arrays_are_never_written_into():
    x = ad.Variable(np.zeros((300, 40)), name="x")  # large enough for the plan's buffers
    y = ad.exp(ad.tanh(x) * 2.0 + 1.0) - x
    plan = ad.function([ad.sum(y), ad.grad(ad.sum(y * y), x), x.reshape(-1)], inputs=[x])
    a = np.random.default_rng(0).standard_normal((300, 40))
    kept = a.copy()
    for _ in range(2):
        plan(a)
    np.testing.assert_array_equal(a, kept)


def test_optimizers_leave_handed_out_values_alone():
    w = ad.Variable(np.array([1.0, 2.0]), name="w")
    before = w.value
    opt = ad.optim.SGD([w], lr=0.5)
    opt.step([np.array([1.0, 1.0])])
    np.testing.assert_array_equal(before, [1.0, 2.0])
    np.testing.assert_array_equal(w.value, [0.5, 1.5])


# -- item 13: node.eval() -------------------------------------------------------------------------
def test_eval_without_arrays_gives_the_value():
    a = ad.Variable(np.arange(6.0).reshape(2, 3), name="a")
    v = ad.Variable(np.ones(3), name="v")
    for node in (ad.einsum("ij,j->i", a, v), a @ v, a * 2, ad.sum(a), ad.exp(a)[1], ad.concatenate([a, a])):
        np.testing.assert_array_equal(node.eval(), node())
    np.testing.assert_array_equal(ad.exp(a).eval(np.zeros(2)), [1.0, 1.0])  # with arrays: the op
    assert ad.full((2,), 3.0).eval().tolist() == [3.0, 3.0]  # no inputs: the op itself
    assert a.eval().tolist() == a.value.tolist()


def test_plans_call_the_ops_own_eval():
    a = ad.Variable(np.arange(6.0).reshape(2, 3), name="a")
    plan = ad.function(ad.sigmoid(ad.max(a, axis=1)))  # both run by their eval
    bound = [value for key, value in plan._run.__globals__.items() if key.startswith("_f")]
    assert len(bound) == 2
    for method in bound:  # the op's eval itself, not the wrapper that looks for missing arrays
        assert method.__func__ is type(method.__self__).eval.kernel


# -- item 15: scopes are context-local ----------------------------------------------------------
def test_name_scope_and_derivative_marker_are_per_thread():
    x = ad.Variable(np.ones(2), name="x")
    inside, built = threading.Event(), {}

    def other_thread():
        inside.wait()
        built["node"] = ad.sin(x) * 7.0

    worker = threading.Thread(target=other_thread)
    worker.start()
    with ad.name_scope("main"), ad.node.building_derivative():
        inside.set()
        worker.join()
        mine = ad.cos(x) * 7.0
    assert built["node"].scope == () and not built["node"].is_derivative
    assert mine.scope == ("main",) and mine.is_derivative
    assert (ad.tan(x) if hasattr(ad, "tan") else ad.sqrt(x)).scope == ()


def test_name_scope_is_restored_after_an_error():
    x = ad.Variable(np.ones(2), name="x")
    with pytest.raises(ZeroDivisionError), ad.name_scope("outer"), ad.name_scope("inner"):
        raise ZeroDivisionError
    assert ad.log1p(x).scope == ()
    with ad.name_scope("a"), ad.name_scope("b"):
        assert ad.expm1(x).scope == ("a", "b")


@pytest.mark.parametrize("value", [True, np.True_, np.array([True, False]), np.uint8(7)])
def test_values_that_always_fit_an_integer_dtype_pass(value):
    """Found by use: True fed to a uint64 Variable raised a bare OverflowError (comparing a
    bool with uint64's upper bound); a cast that is safe for every value needs no range check."""
    shape = np.shape(value)
    x = ad.Variable(np.zeros(shape, np.uint64), name="x")
    x.value = value
    np.testing.assert_array_equal(x.value, np.asarray(value).astype(np.uint64))
    assert x.value.dtype == np.uint64


@pytest.mark.parametrize("args", [(3,), (3, 4), (4, 3, -1), (3, 3, 1), (2, 5, 2), (0,), (3, 0)])
def test_eye_takes_numpys_rectangles_and_diagonals(args):
    np.testing.assert_array_equal(ad.eye(*args)(), np.eye(*args))
    assert ad.eye(*args, dtype=np.float32)().dtype == np.float32
    x = ad.Variable(np.ones(np.eye(*args).shape))
    np.testing.assert_array_equal(ad.grad(ad.sum(x * ad.eye(*args)), x)(), np.eye(*args))
