"""Plans on other backends (autodiff.backends): the op-case table's rows on Dask and on an array
library that behaves as CuPy does (tests/device_array.py), values and first and second
derivatives against the NumPy plan's; laziness (a Dask plan's call computes nothing), chunked
reductions, a LocalCluster of two worker processes, inference from the arrays fed, and the
errors for what a backend cannot take. CuPy itself runs where it and a GPU are present."""

from __future__ import annotations

import importlib
import types
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import device_array  # noqa: E402  (tests/ is on the path, as for op_cases)
from op_cases import CASES  # noqa: E402

IDS = [case.name for case in CASES]


def _derivatives(case):
    """The row's value, its gradient (a random cotangent) and a Hessian-vector product of a
    scalar contraction of it, w.r.t. every input: NumPy inputs and the Variables."""
    args = case.args()
    xs = [ad.Variable(a, name=f"arg{i}") for i, a in enumerate(args)]
    y = case.fn(*xs)
    rng = np.random.default_rng(3)
    f = ad.sum(y * rng.normal(size=y.shape))
    grads = ad.grad(f, xs)
    directions = [rng.normal(size=x.shape) for x in xs]
    inner = ad.sum(ad.stack([ad.sum(g * d) for g, d in zip(grads, directions, strict=True)]))
    return args, xs, [y, *grads, *ad.grad(inner, xs)]


def _chunked(a: np.ndarray):
    """`a` as a dask array in several chunks along its first axis (where it has one)."""
    return da.from_array(a, chunks=(max(1, (a.shape[0] + 1) // 2),) + a.shape[1:] if a.ndim else ())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_op_table_on_dask_matches_numpy_to_second_order(case):
    args, xs, outputs = _derivatives(case)
    expected = ad.function(outputs, inputs=xs)(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.backends.OneBlockWarning)
        lazy = ad.function(outputs, inputs=xs, backend="dask")(*map(_chunked, args))
    assert isinstance(lazy[0], da.Array)  # the row's value (a derivative may be a constant)
    for value, want, node in zip(dask.compute(*lazy), expected, outputs, strict=True):
        assert value.shape == node.shape and value.dtype == node.dtype
        np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12)


def _gpu_library():
    """CuPy where it and a GPU are present, else None."""
    try:
        cupy = importlib.import_module("cupy")
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # not installed, or no GPU (CUDA raises its own errors)
        return None


DEVICES = [device_array, *filter(None, [_gpu_library()])]


@pytest.mark.parametrize("library", DEVICES, ids=[m.__name__ for m in DEVICES])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_op_table_on_a_device_library_matches_numpy_to_second_order(case, library):
    """On the stand-in (always) and on CuPy where a GPU is."""
    args, xs, outputs = _derivatives(case)
    expected = ad.function(outputs, inputs=xs)(*args)
    plan = ad.function(outputs, inputs=xs, backend=library)
    values = plan(*map(library.asarray, args))
    assert ad.backends.backend_for(library).owns(values[0]) or not outputs[0].ndim
    for value, want in zip(values, expected, strict=True):
        np.testing.assert_allclose(library.asnumpy(value), want, rtol=1e-10, atol=1e-12)


def _logistic(n=1000, d=4, seed=0):
    X = ad.Variable.like(np.empty((n, d)), name="X")
    y = ad.Variable.like(np.empty(n), name="y")
    beta = ad.Variable(np.random.default_rng(seed).normal(size=d) * 0.3, name="beta")
    z = X @ beta
    loss = ad.sum(ad.logaddexp(0.0, z) - y * z)
    return X, y, beta, [loss, ad.grad(loss, beta), ad.hessian(loss, beta)]


def _counted(a: np.ndarray, chunks: int, computed: list[int]):
    """`a` as a dask array of `chunks` blocks, each made by a task that counts its runs."""

    def block(i: int, size: int) -> np.ndarray:
        computed.append(i)
        return a[i * size : (i + 1) * size]

    size = len(a) // chunks
    parts = [
        da.from_delayed(dask.delayed(block)(i, size), (size,) + a.shape[1:], a.dtype)
        for i in range(chunks)
    ]
    return da.concatenate(parts)


def test_a_dask_plan_computes_nothing_until_asked_and_each_chunk_once():
    X, y, beta, outputs = _logistic()
    rng = np.random.default_rng(1)
    X0, y0 = rng.normal(size=(1000, 4)), (rng.random(1000) < 0.5).astype(float)
    computed: list[int] = []
    plan = ad.function(outputs, inputs=[X, y], backend="dask")
    lazy = plan(_counted(X0, 4, computed), _counted(y0, 4, computed))
    assert computed == []
    values = dask.compute(*lazy)
    assert sorted(computed) == [0, 0, 1, 1, 2, 2, 3, 3]  # each block of X and of y once
    for value, want in zip(values, ad.function(outputs, inputs=[X, y])(X0, y0), strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12)


def test_reductions_over_the_chunked_axis_are_trees_of_small_blocks():
    """The Hessian X^T diag(w) X of 40 chunks: every task's result is at most a chunk of the
    data (no task holds all rows), and the result is one (d, d) block."""
    X, y, beta, outputs = _logistic(n=4000)
    rng = np.random.default_rng(2)
    X0, y0 = rng.normal(size=(4000, 4)), (rng.random(4000) < 0.5).astype(float)
    plan = ad.function(outputs[2], inputs=[X, y], backend="dask")
    H = plan(da.from_array(X0, chunks=(100, 4)), da.from_array(y0, chunks=100))
    assert H.numblocks == (1, 1)
    largest = [0]

    def watch(key, value):  # called by the scheduler on each task's result
        largest[0] = max(largest[0], getattr(value, "size", 1))

    from dask.callbacks import Callback

    with Callback(posttask=lambda key, result, dsk, state, worker_id: watch(key, result)):
        value = H.compute(scheduler="sync")
    assert largest[0] <= 100 * 4  # one chunk of X at most
    np.testing.assert_allclose(value, ad.function(outputs[2], inputs=[X, y])(X0, y0), rtol=1e-12)


def test_compute_true_returns_numpy_arrays_from_one_compute():
    X, y, beta, outputs = _logistic()
    rng = np.random.default_rng(4)
    X0, y0 = rng.normal(size=(1000, 4)), (rng.random(1000) < 0.5).astype(float)
    computed: list[int] = []
    plan = ad.function(outputs, inputs=[X, y], backend="dask", compute=True)
    values = plan(_counted(X0, 2, computed), _counted(y0, 2, computed))
    assert all(type(v) is np.ndarray for v in values)
    assert len(computed) == 4  # loss, gradient and Hessian share the blocks: one compute
    assert values[0].shape == () and values[2].shape == (4, 4)


def test_the_backend_is_inferred_from_the_arrays_fed():
    X, y, beta, outputs = _logistic()
    rng = np.random.default_rng(5)
    X0, y0 = rng.normal(size=(1000, 4)), (rng.random(1000) < 0.5).astype(float)
    plan = ad.function(outputs, inputs=[X, y])
    on_numpy = plan(X0, y0)
    lazy = plan(da.from_array(X0, chunks=250), y0)  # one dask array is enough
    assert isinstance(lazy[2], da.Array) and plan.on("dask").backend.name == "dask"
    for value, want in zip(dask.compute(*lazy), on_numpy, strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12)
    assert type(plan(X0, y0)[2]) is np.ndarray  # NumPy arrays again: the NumPy plan


def test_an_op_without_a_chunked_form_runs_as_one_task_and_says_so():
    x = ad.Variable.like(np.empty(100), name="x")
    s = ad.sort(x * 2.0)
    plan = ad.function([s, ad.grad(ad.sum(s * s), x)], inputs=[x], backend="dask")
    x0 = np.random.default_rng(6).normal(size=100)
    with pytest.warns(
        ad.backends.OneBlockWarning, match="(Sort|Argsort) has no chunked form .* 4 chunks"
    ):
        lazy = plan(da.from_array(x0, chunks=25))
    for value, want in zip(
        dask.compute(*lazy), ad.function(plan.outputs, inputs=[x])(x0), strict=True
    ):
        np.testing.assert_allclose(value, want, rtol=1e-12)


def test_dask_inputs_are_checked_without_computing_them():
    X, y, beta, outputs = _logistic()
    plan = ad.function(outputs, inputs=[X, y], backend="dask")
    with pytest.raises(ValueError, match=r"Variable 'X': value of shape \(999, 4\) does not fit"):
        plan(da.zeros((999, 4)), da.zeros(1000))
    with pytest.raises(TypeError, match="'y': a complex128 dask array does not cast to float64"):
        plan(da.zeros((1000, 4)), da.zeros(1000, dtype=complex))
    unknown = da.zeros(1000)[da.zeros(1000) > 1]
    with pytest.raises(ValueError, match="unknown sizes"):
        plan(da.zeros((1000, 4)), unknown)
    value = plan(da.zeros((1000, 4), dtype=np.float32), np.zeros(1000))  # a safe cast; NumPy fed
    assert value[2].dtype == np.float64


def test_a_variable_refuses_a_dask_value_and_like_declares_one():
    big = da.zeros((10**8, 20), chunks=(10**6, 20))
    with pytest.raises(TypeError, match=r"dask array; .*ad\.Variable\.like\(array\)"):
        ad.Variable(big, name="X")
    X = ad.Variable.like(big, name="X")
    assert X.shape == (10**8, 20) and X.dtype == np.float64 and X.value.strides == (0, 0)
    with pytest.raises(TypeError, match="needs an object with a shape and a dtype"):
        ad.Variable.like([1.0, 2.0])


def test_backend_errors_name_the_backend():
    x = ad.Variable(np.zeros(2), name="x")
    with pytest.raises(ImportError, match="backend 'no_such_library' needs no_such_library"):
        ad.function(x * 2, inputs=[x], backend="no_such_library")
    with pytest.raises(TypeError, match="backend must be 'numpy', 'dask', 'cupy' or an array"):
        ad.function(x * 2, inputs=[x], backend=3)
    plain = types.ModuleType("lists_only")
    plain.asarray = list  # arrays without NumPy's dispatch protocols
    with pytest.raises(TypeError, match="'lists_only': its arrays do not implement NumPy's"):
        ad.function(x * 2, inputs=[x], backend=plain)


class _NoSort(device_array.DeviceArray):
    """A device array of a library that has no sort and no copy to the host."""

    def __array_function__(self, func, types, args, kwargs):
        if func is np.sort:
            raise TypeError("no sort here")
        return super().__array_function__(func, types, args, kwargs)


_NoSort.__module__ = "limited"


def test_what_a_device_library_cannot_run_raises_naming_op_and_backend():
    limited = types.ModuleType("limited")
    limited.asarray = lambda value: _NoSort(np.array(value))  # and no asnumpy
    x = ad.Variable(np.zeros(3), name="x")
    with pytest.raises(
        NotImplementedError, match=r"Sort: the limited backend cannot run it \(Type"
    ):
        ad.function(ad.sort(x), inputs=[x], backend=limited)(limited.asarray([3.0, 1, 2]))
    a = ad.Variable(np.eye(2), name="a")
    with pytest.raises(NotImplementedError, match="Cholesky: the limited backend cannot run it"):
        ad.function(ad.linalg.cholesky(a), inputs=[a], backend=limited)(limited.asarray(np.eye(2)))
    value = ad.function(ad.cumsum(x), inputs=[x], backend=limited)(limited.asarray([1.0, 2, 3]))
    assert isinstance(value, device_array.DeviceArray)
    np.testing.assert_array_equal(value._data, [1.0, 3.0, 6.0])


def test_a_local_cluster_of_two_processes_gives_the_numpy_hessian():
    distributed = pytest.importorskip("distributed")
    X, y, beta, outputs = _logistic(n=2000)
    s = ad.sort(X @ beta)  # an op that runs as one task: its kernel travels to a worker
    outputs = [*outputs, ad.grad(ad.sum(s * s), beta)]
    rng = np.random.default_rng(7)
    X0, y0 = rng.normal(size=(2000, 4)), (rng.random(2000) < 0.5).astype(float)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        plan = ad.function(outputs, inputs=[X, y], backend="dask", compute=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ad.backends.OneBlockWarning)
            values = plan(da.from_array(X0, chunks=(500, 4)), da.from_array(y0, chunks=500))
    for value, want in zip(values, ad.function(outputs, inputs=[X, y])(X0, y0), strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12)


@pytest.mark.skipif(_gpu_library() is None, reason="needs CuPy and a GPU")
def test_cupy_is_inferred_from_the_arrays_fed():
    cupy = _gpu_library()
    X, y, beta, outputs = _logistic()
    rng = np.random.default_rng(8)
    X0, y0 = rng.normal(size=(1000, 4)), (rng.random(1000) < 0.5).astype(float)
    values = ad.function(outputs, inputs=[X, y])(cupy.asarray(X0), cupy.asarray(y0))
    assert isinstance(values[2], cupy.ndarray)
    for value, want in zip(values, ad.function(outputs, inputs=[X, y])(X0, y0), strict=True):
        np.testing.assert_allclose(cupy.asnumpy(value), want, rtol=1e-10)


def test_outputs_a_dask_plan_holds_are_the_callers_copies():
    x = ad.Variable.like(np.empty(3), name="x")
    w = ad.Variable(np.arange(3.0), name="w")
    plan = ad.function(
        [x * 2.0, w, ad.grad(ad.sum(x * w), x)], inputs=[x], backend="dask", compute=True
    )
    doubled, w_value, constant_gradient = plan(da.ones(3, chunks=1))
    w_value[0] = 7.0
    constant_gradient[0] = 9.0
    assert w.value[0] == 0.0 and plan(da.ones(3, chunks=1))[2][0] == 0.0


def test_a_numpy_plan_refuses_dask_arrays():
    x = ad.Variable(np.zeros(3), name="x")
    plan = ad.function(x * 2.0, inputs=[x], backend="numpy")
    with pytest.raises(TypeError, match="backend is 'numpy'; it was fed a dask array"):
        plan(da.ones(3))


def _loss(form: str, X, y, beta):
    """A regression's loss written as users write it, in several forms."""
    z = X @ beta
    if form == "softplus":
        return ad.sum(ad.softplus(z) - y * z)
    if form == "log sigmoid":
        p = ad.sigmoid(z)
        return -ad.mean(y * ad.log(p) + (1 - y) * ad.log(1 - p))
    if form == "poisson":
        return ad.sum(ad.exp(z) - y * z) / X.shape[0]
    return 0.5 * ad.sum(ad.square(ad.einsum("nd,d->n", X, beta) - y))  # least squares


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    form=st.sampled_from(["softplus", "log sigmoid", "poisson", "least squares"]),
    n=st.integers(1, 3000),  # past the NumPy plan's thresholds (fusion at 2**13 elements)
    d=st.integers(1, 6),
    parts=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_regression_derivatives_on_any_chunking_match_numpy(form, n, d, parts, seed):
    rng = np.random.default_rng(seed)
    X0 = rng.normal(size=(n, d))
    y0 = (rng.random(n) < 0.5).astype(float) if form != "poisson" else rng.poisson(1.0, n) * 1.0
    X, y = ad.Variable.like(X0, name="X"), ad.Variable.like(y0, name="y")
    beta = ad.Variable(rng.normal(size=d) * 0.2, name="beta")
    loss = _loss(form, X, y, beta)
    outputs = [loss, ad.grad(loss, beta), ad.hessian(loss, beta)]
    plan = ad.function(outputs, inputs=[X, y], backend="dask", compute=True)
    chunk = -(-n // parts)  # the last chunk may be smaller
    values = plan(da.from_array(X0, chunks=(chunk, d)), da.from_array(y0, chunks=chunk))
    for value, want in zip(values, ad.function(outputs, inputs=[X, y])(X0, y0), strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12)


def test_array_api_compat_namespaces_name_their_library():
    for name, backend in [
        ("array_api_compat.dask.array", "dask"),
        ("array_api_compat.numpy", "numpy"),
        ("dask.array", "dask"),
    ]:
        assert ad.backends.backend_for(types.ModuleType(name)).name == backend
    assert ad.backends.backend_for(device_array).name == "device_array"


def test_an_elementwise_op_without_a_dask_form_runs_block_by_block():
    """erf's NumPy code writes through masks (no dask form): per block, not one task."""
    x = ad.Variable.like(np.empty((8, 3)), name="x")
    c = ad.Variable(np.arange(3.0), name="c")
    y = ad.erf(x * c)
    plan = ad.function([y, ad.grad(ad.sum(y * y), x)], inputs=[x], backend="dask")
    x0 = np.random.default_rng(9).normal(size=(8, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.backends.OneBlockWarning)
        lazy = plan(da.from_array(x0, chunks=(3, 2)))
    assert lazy[0].chunks == ((3, 3, 2), (2, 1))
    expected = ad.function(plan.outputs, inputs=[x])(x0)
    for value, want in zip(dask.compute(*lazy), expected, strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12)
