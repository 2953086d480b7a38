"""Fused groups as numba loops (`autodiff.fusion`, `autodiff._jit`): NumPy's values bit for bit.

As in tests/test_fusion.py, each test builds one simplified graph's plan with fusion and
without and compares them, with the thresholds lowered (numexpr off, numba from THRESHOLD
elements) and each loop built at the first call (``jit_after = 1``, in the call), so that
the second call runs it. Kernels are compiled into one temporary cache for the session.
Everything here is skipped where numba is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_fusion import SPECIAL, check, graphs, plans, same

import autodiff as ad
from autodiff import _jit, fusion

pytestmark = pytest.mark.skipif(not _jit.installed(), reason="numba is not installed")
THRESHOLD = 40


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("kernels"))


@pytest.fixture
def jitted(monkeypatch, cache):
    monkeypatch.setenv("AUTODIFF_CACHE_DIR", cache)
    monkeypatch.setattr(fusion, "enabled", True)
    monkeypatch.setattr(fusion, "jit", True)
    monkeypatch.setattr(fusion, "jit_after", 1)
    monkeypatch.setattr(fusion, "jit_in_background", False)
    monkeypatch.setattr(fusion, "MIN_SIZE", {"float64": None, "float32": None})
    monkeypatch.setattr(fusion, "JIT_MIN_SIZE", {"float64": THRESHOLD, "float32": THRESHOLD})


def run_twice(outputs, inputs, arrays, compiled=None):
    """The fused plan's second call (its loops built at the first) against the plain plan."""
    fused = check(outputs, inputs, arrays, before=1)
    assert all(k.error is None for k in fusion.kernels(fused))
    if compiled is not None:
        assert fusion.compiled_calls(fused) == compiled
    return fused


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graphs())
def test_random_graphs_as_loops_equal_plain(jitted, graph):
    outputs, leaves, arrays = graph
    plan = run_twice(outputs, leaves, arrays)
    assert fusion.compiled_calls(plan) == sum(k.backend == "numba" for k in fusion.kernels(plan))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_inf_and_signed_zeros(jitted, dtype):
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        values = np.array(SPECIAL + [2.0, -3.5, 7.0, 0.5], dtype)
    grid_x, grid_y = (a.astype(dtype) for a in np.meshgrid(values, values))
    x, y = ad.Variable(np.zeros(grid_x.shape, dtype)), ad.Variable(np.zeros(grid_x.shape, dtype))
    for z in [
        x / y - y / x,  # division by zero, inf / inf
        (x * y + -x) * (x - y),  # 0 * inf, inf - inf
        ad.sqrt(x) * ad.abs(y) + ad.square(-y),  # sqrt of negatives, abs(-0.0)
        ad.where((x * y) < (y - x), x, y),  # a comparison of nans, ending its group
        -(x * 0.1) / (y + 0.3),  # constants, as scalars of the dtype
    ]:
        run_twice(z, [x, y], [grid_x, grid_y], compiled=1)


def test_strided_and_transposed_inputs_get_loops_of_their_own(jitted):
    x, y = ad.Variable(np.zeros((30, 20))), ad.Variable(np.zeros(20))
    fused, plain = plans((x * y - x) / (ad.abs(y) + 1), [x, y])
    rng = np.random.default_rng(0)
    big, wide = rng.standard_normal((60, 20)), rng.standard_normal((20, 30))
    column = rng.standard_normal((20, 3))
    for a, b in [(big[::2], column[:, 1]), (wide.T, column[:, 0]), (big[:30], column[:, 2])]:
        for _ in range(2):  # its layouts' loop is built at the first call, run at the second
            same(fused(a, b), plain(a, b))
    (kernel,) = fusion.kernels(fused)
    assert len(kernel.loops) == 3  # strided rows, a transpose, contiguous


def test_the_tanh_jacobian_is_one_loop_over_w_and_v(jitted):
    n = 30
    x, W, V = ad.Variable(np.zeros(n)), ad.Variable(np.zeros((n, n))), ad.Variable(np.zeros((n, n)))
    J = ad.jacobian(ad.tanh(W @ x) * (V @ x), x)
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(n), rng.standard_normal((n, n)), rng.standard_normal((n, n))]
    plan = run_twice(J, [x, W, V], arrays, compiled=1)
    (kernel,) = fusion.kernels(plan)
    assert kernel.count == 4  # tanh(Wx), V, W and a vector: the product with W is in the loop
    reference = ((1 - np.tanh(arrays[1] @ arrays[0]) ** 2) * (arrays[2] @ arrays[0]))[:, None]
    reference = reference * arrays[1] + np.tanh(arrays[1] @ arrays[0])[:, None] * arrays[2]
    np.testing.assert_allclose(plan(*arrays), reference, rtol=1e-12, atol=1e-12)


def test_a_result_written_over_an_input(jitted):
    a = ad.Variable(np.zeros((12, 12)))
    e = ad.exp(a)  # made by the plan and dead after the group: the group writes into it
    plan = run_twice(e * e - e / 3 + a, [a], [np.random.default_rng(3).standard_normal((12, 12))])
    assert "_u" in plan.source and fusion.compiled_calls(plan) == 1


def test_first_calls_run_numpy_then_the_loop_is_built(jitted, monkeypatch):
    monkeypatch.setattr(fusion, "jit_after", 4)
    monkeypatch.setattr(fusion, "jit_in_background", True)
    x = ad.Variable(np.zeros((10, 10)))
    plan, plain = plans(x * x - x / 3, [x])
    a = np.random.default_rng(4).standard_normal((10, 10))
    for _ in range(3):
        same(plan(a), plain(a))
        assert fusion.compiled_calls(plan) == 0
    same(plan(a), plain(a))  # the 4th call starts the build, in a thread
    fusion.wait(plan)
    assert fusion.compiled_calls(plan) == 1
    same(plan(a), plain(a))


def test_a_failed_build_leaves_numpy(jitted, monkeypatch):
    def refuse(source, arrays):
        raise RuntimeError("no compiler today")

    monkeypatch.setattr(_jit, "loop", refuse)
    x = ad.Variable(np.zeros((9, 9)))
    z = (x * 1.5 - x) * x
    fused, plain = plans(z, [x])
    a = np.random.default_rng(5).standard_normal((9, 9))
    for _ in range(3):
        same(fused(a), plain(a))
    (kernel,) = fusion.kernels(fused)
    assert isinstance(kernel.error, RuntimeError) and not kernel.loops
    assert fusion.compiled_calls(fused) == 0


def test_threads_share_a_plan(jitted, monkeypatch):
    monkeypatch.setattr(fusion, "jit_after", 3)
    monkeypatch.setattr(fusion, "jit_in_background", True)
    x, y = ad.Variable(np.zeros((64, 64))), ad.Variable(np.zeros(64))
    fused, plain = plans(ad.sqrt(ad.abs(x * y - y)) + x, [x, y])
    rng = np.random.default_rng(6)
    pairs = [(rng.standard_normal((64, 64)), rng.standard_normal(64)) for _ in range(8)]
    expected = [plain(*p) for p in pairs]
    wrong = []

    def work():
        for _ in range(20):
            for p, e in zip(pairs, expected, strict=True):
                if not np.array_equal(fused(*p), e):
                    wrong.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fusion.wait(fused)
    assert not wrong and fusion.compiled_calls(fused) == 1


def test_switched_off(jitted, monkeypatch):
    x = ad.Variable(np.zeros((9, 9)))
    monkeypatch.setattr(fusion, "jit", False)
    assert fusion.fused_calls(ad.function(x * x - x, inputs=[x])) == 0
    monkeypatch.setattr(fusion, "jit", True)
    monkeypatch.setattr(fusion, "enabled", False)
    assert fusion.fused_calls(ad.function(x * x - x, inputs=[x])) == 0


def test_export_writes_plain_numpy(jitted, tmp_path):
    x = ad.Variable(np.zeros((8, 8)), name="x")
    plan = ad.function(x * x - x, inputs=[x])
    plan(np.ones((8, 8)))
    assert fusion.compiled_calls(plan) == 1
    text = plan.export(str(tmp_path / "plan.py"))
    assert "numba" not in text and "fused" not in text


def test_loop_sources_refuse_what_is_not_a_fused_op():
    shapes, views = ((3,),), (None,)
    assert _jit.loop_source("__import__('os')", shapes, views, 1) is None
    assert _jit.loop_source("(i0 ** i0)", shapes, views, 1) is None
    assert _jit.loop_source("(i0 + i1)", shapes, views, 1) is None  # no input i1
    assert _jit.loop_source("sqrt(i0)", shapes, views, 0) is None  # 0-d: NumPy
    assert "out[k0] = out[k0] + 1" not in (_jit.loop_source("(i0 + i0)", shapes, views, 1) or "")
    assert "out[k0] + out[k0]" in _jit.loop_source("(i0 + i0)", shapes, views, 1, written=0)


PROGRAM = textwrap.dedent(
    """
    import sys, numpy as np, autodiff as ad
    from autodiff import fusion
    fusion.jit_in_background = False
    x = ad.Variable(np.zeros((128, 128)))
    plan = ad.function(ad.sqrt(x * x + 1.5) - x, inputs=[x])
    a = np.ones((128, 128))
    plan(a)
    print("numba" in sys.modules)  # the first call imports no numba
    for _ in range(fusion.jit_after):
        plan(a)
    (kernel,) = fusion.kernels(plan)
    loop = next(iter(kernel.loops.values()))
    print(fusion.compiled_calls(plan), sum(loop.stats.cache_hits.values()))
    """
)


def test_a_later_process_loads_the_cached_loop(tmp_path):
    env = dict(os.environ, AUTODIFF_CACHE_DIR=str(tmp_path), AUTODIFF_FUSION="1")
    env.pop("AUTODIFF_JIT", None)

    def run() -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.split()

    assert run() == ["False", "1", "0"]  # compiled
    assert any(name.endswith(".py") for name in os.listdir(tmp_path))
    assert run() == ["False", "1", "1"]  # loaded from numba's cache


@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ab,b,a,ac->ac", [(9, 7), (7,), (9,), (9, 8)]),  # the Jacobian's: a matvec, then rows
        ("ab,bc,a->ac", [(9, 7), (7, 8), (9,)]),  # a matmul, then rows scaled
        ("a,b,ab,c->abc", [(5,), (4,), (5, 4), (3,)]),  # products only
        ("abc,c,a->ab", [(8, 6, 4), (4,), (8,)]),  # a sum inside: left as it is
    ],
)
def test_einsums_of_more_operands_split_into_their_steps(jitted, equation, shapes):
    rng = np.random.default_rng(7)
    leaves = [ad.Variable(np.zeros(s)) for s in shapes]
    product = ad.einsum(equation, *leaves)
    other = ad.Variable(np.zeros(product.shape))
    arrays = [rng.standard_normal(s) for s in shapes] + [rng.standard_normal(product.shape)]
    run_twice(product * other - other, [*leaves, other], arrays, compiled=1)


def test_without_a_writable_cache_loops_are_compiled_in_memory(jitted, monkeypatch, tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("")
    monkeypatch.setenv("AUTODIFF_CACHE_DIR", str(blocked / "kernels"))  # under a file: no dir
    x = ad.Variable(np.zeros((7, 7)))
    run_twice(ad.sqrt(x * x + 0.25) / (x - 9.0), [x], [np.arange(49.0).reshape(7, 7)], 1)


def test_numba_is_imported_without_colour_so_builds_leave_sys_stdout_alone():
    # with colour, numba's error formatting (also of errors it catches while compiling, in a
    # build thread) sets sys.stdout back to the stream it first saw: prints went astray
    _jit.import_numba()
    from numba.core import errors

    assert not hasattr(errors, "ColorShell")
