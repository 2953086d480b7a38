"""Where elementwise fusion pays: ``python benchmarks/fusion.py [--threads N] [--quick]``.

The same plan built with numexpr fusion (`autodiff.fusion`, forced on whatever the size) and
without, at sizes around `autodiff.fusion.MIN_SIZE`, timed in interleaved rounds with fresh
inputs at every call (a pool of arrays larger than the cache, as the other benchmarks); the
table gives the median
over rounds of (fused time / plain time): below 1 fusion helps. The groups are the ones
derivative graphs are made of: a tanh backward ``g * (1 - t * t)``, a Jacobian's broadcast
products ``a[:, None] * W + W2 * b[:, None]``, and a longer chain, in float64 and float32.
numexpr runs with N threads (default 1, as in `benchmarks/run.py`).

``--backend numba`` (where numba is installed) measures numba's loops instead of numexpr
(numexpr off, the loops built before the timing): where `autodiff.fusion.JIT_MIN_SIZE` comes
from. ``--numba`` measures the plan of the Jacobian of tanh(W x) * (V x), n = 200, W and V
fed (`benchmarks/user_forms.py`) with its loop and without, against NumPy's reference, and
how long the loop takes to be built: compiled into an empty cache, then loaded from it by a
fresh process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402

import autodiff as ad  # noqa: E402
from autodiff import fusion  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import settle_allocator  # noqa: E402


def tanh_backward(rows, cols, dtype):
    t, g = (ad.Variable(np.zeros((rows, cols), dtype)) for _ in range(2))
    return [g * (1 - t * t)], [t, g], [(rows, cols)] * 2


def broadcast_products(rows, cols, dtype):
    a, b = ad.Variable(np.zeros(rows, dtype)), ad.Variable(np.zeros(rows, dtype))
    W, V = (ad.Variable(np.zeros((rows, cols), dtype)) for _ in range(2))
    y = ad.einsum("i,ij->ij", a, W) + ad.einsum("ij,i->ij", V, b)
    return [y], [a, W, b, V], [(rows,), (rows, cols), (rows,), (rows, cols)]


def chain(rows, cols, dtype):
    x, y, z = (ad.Variable(np.zeros((rows, cols), dtype)) for _ in range(3))
    return [(x * y - z) / (ad.abs(x) + 1) + ad.sqrt(y * y + 1) * z], [x, y, z], [(rows, cols)] * 3


GROUPS = {
    "g*(1-t*t)": tanh_backward,
    "a[:,None]*W+V*b[:,None]": broadcast_products,
    "chain of 9 ops": chain,
}


def plan(make, rows, cols, dtype, fused, backend="numexpr"):
    """The plan of `make`'s group, fused by `backend` whatever the size (or not fused)."""
    saved = dict(fusion.MIN_SIZE), dict(fusion.JIT_MIN_SIZE), fusion.jit
    on = {"float64": 1 if fused else None, "float32": 1 if fused else None}
    off = {"float64": None, "float32": None}
    fusion.MIN_SIZE.update(on if backend == "numexpr" else off)
    fusion.JIT_MIN_SIZE.update(on if backend == "numba" else off)
    fusion.jit = backend == "numba"
    try:
        outputs, inputs, shapes = make(rows, cols, dtype)
        return ad.function(outputs, inputs=inputs), shapes
    finally:
        fusion.MIN_SIZE.update(saved[0])
        fusion.JIT_MIN_SIZE.update(saved[1])
        fusion.jit = saved[2]


def measure(make, rows, cols, dtype, rounds, backend="numexpr"):
    fused, shapes = plan(make, rows, cols, dtype, True, backend)
    plain, _ = plan(make, rows, cols, dtype, False)
    rng = np.random.default_rng(0)
    pool_size = max(4, min(64, (64 << 20) // (8 * rows * cols * len(shapes))))
    pool = [[rng.uniform(0.5, 2.0, s).astype(dtype) for s in shapes] for _ in range(pool_size)]
    for k in range(fusion.jit_after):  # numba's loops are built after that many calls
        fused(*pool[k % len(pool)])
    fusion.wait(fused)
    if backend == "numba":
        assert fusion.compiled_calls(fused) == fusion.fused_calls(fused), "a loop was not built"
    for a, b in zip(fused(*pool[0]), plain(*pool[0]), strict=True):
        assert np.array_equal(a, b), "fused and plain plans differ"
    times = _interleaved({"fused": fused, "plain": plain}, pool, rounds)
    ratio = statistics.median(f / p for f, p in zip(times["fused"], times["plain"], strict=True))
    return ratio, statistics.median(times["plain"]), fusion.fused_calls(fused)


def _interleaved(runs: dict, pool: list, rounds: int) -> dict[str, list[float]]:
    """Time per call of each function over `pool`, in rounds whose order alternates."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name in list(runs) if r % 2 else list(runs)[::-1]:
            start = time.perf_counter()
            for arrays in pool:
                runs[name](*arrays)
            times[name].append((time.perf_counter() - start) / len(pool))
    return times


def numba_jacobian(rounds: int = 21, n: int = 200) -> str:
    """The plan of the Jacobian of tanh(W x) * (V x), W and V fed, with its numba loop and
    without (``fusion.jit = False``), against NumPy's reference; and the time its loop takes
    to be built: compiled (an empty cache), then loaded by a fresh process (numba's cache)."""
    import subprocess
    import tempfile

    def reference(x, W, V):
        t = np.tanh(W @ x)
        return ((1.0 - t * t) * (V @ x))[:, None] * W + t[:, None] * V

    def make():
        x = ad.Variable(np.zeros(n))
        W, V = ad.Variable(np.zeros((n, n))), ad.Variable(np.zeros((n, n)))
        return ad.function(ad.jacobian(ad.tanh(W @ x) * (V @ x), x), inputs=[x, W, V])

    rng = np.random.default_rng(0)
    pool = [
        (rng.standard_normal(n), *(rng.standard_normal((2, n, n)) / np.sqrt(n))) for _ in range(64)
    ]
    saved = os.environ.get("AUTODIFF_CACHE_DIR")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["AUTODIFF_CACHE_DIR"] = cache
        try:
            built = _build_time(make, pool)
            fresh = subprocess.run(
                [sys.executable, __file__, "--build-time"], capture_output=True, text=True
            )
        finally:
            if saved is None:
                os.environ.pop("AUTODIFF_CACHE_DIR")
            else:
                os.environ["AUTODIFF_CACHE_DIR"] = saved
    loaded = float(fresh.stdout.split()[-1]) if fresh.returncode == 0 else float("nan")
    jitted = make()
    for k in range(fusion.jit_after):
        jitted(*pool[k])
    fusion.wait(jitted)
    saved_jit, fusion.jit = fusion.jit, False
    plain = make()
    fusion.jit = saved_jit
    assert fusion.compiled_calls(jitted) == 1, "the loop was not built"
    assert np.array_equal(jitted(*pool[1]), plain(*pool[1])), "numba differs from NumPy"
    runs = {"numpy": reference, "numba": jitted, "plain": plain}
    times = _interleaved(runs, pool, rounds)
    ratio = {
        name: statistics.median(a / b for a, b in zip(times[name], times["numpy"], strict=True))
        for name in ("numba", "plain")
    }
    import numba

    return (
        f"numba {numba.__version__}, n = {n}: NumPy {statistics.median(times['numpy']) * 1e6:.1f}"
        f" us; the plan with its loop {statistics.median(times['numba']) * 1e6:.1f} us "
        f"({ratio['numba']:.2f}x), without {statistics.median(times['plain']) * 1e6:.1f} us "
        f"({ratio['plain']:.2f}x). The loop is there {built * 1e3:.0f} ms after the call that "
        f"starts its build when compiled, {loaded * 1e3:.0f} ms when a fresh process loads it "
        "from the cache (both with numba's import); meanwhile calls run NumPy"
    )


def _build_time(make, pool) -> float:
    """Seconds from the call that starts the build of the plan's loop until it is built."""
    plan = make()
    for k in range(fusion.jit_after - 1):
        plan(*pool[k])
    start = time.perf_counter()
    plan(*pool[0])
    fusion.wait(plan)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="numexpr's threads")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and rounds")
    parser.add_argument("--rows", default="", help="rows of 256 columns, e.g. 1024,4096,16384")
    parser.add_argument("--numba", action="store_true", help="the Jacobian with a numba loop")
    parser.add_argument("--build-time", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--backend", choices=["numexpr", "numba"], default="numexpr", help="which fuses"
    )
    args = parser.parse_args(argv)
    settle_allocator()
    if args.numba:
        print(numba_jacobian())
        return
    if args.build_time:  # a fresh process: how long the Jacobian's loop takes to be there
        rng = np.random.default_rng(0)
        pool = [(rng.standard_normal(200), *rng.standard_normal((2, 200, 200)))] * 16
        x, W, V = ad.Variable(np.zeros(200)), *(ad.Variable(np.zeros((200, 200))) for _ in "WV")
        make = lambda: ad.function(ad.jacobian(ad.tanh(W @ x) * (V @ x), x), inputs=[x, W, V])  # noqa: E731
        print(_build_time(make, pool))
        return
    if args.backend == "numba":
        if not fusion._jit.installed():
            sys.exit("numba is not installed: nothing to compare")
        import numba

        rows_list = [1, 4, 16, 64, 256, 1024] if args.quick else [1, 2, 4, 8, 16, 64, 256, 1024]
        rows_list += [] if args.quick else [4096, 16384]
        print(
            f"numba {numba.__version__}; fusion.JIT_MIN_SIZE = {fusion.JIT_MIN_SIZE} (numexpr "
            "off); cells: fused / plain time (plain's median), the loops built beforehand\n"
        )
    else:
        if fusion.numexpr is None or not fusion.enabled:
            sys.exit("numexpr is not installed (or AUTODIFF_FUSION=0): nothing to compare")
        fusion.numexpr.set_num_threads(args.threads)
        rows_list = [16, 64, 256, 1024] if args.quick else [16, 32, 64, 128, 256, 512, 1024, 4096]
        print(
            f"numexpr {fusion.numexpr.__version__}, {args.threads} thread(s); "
            f"fusion.MIN_SIZE = {fusion.MIN_SIZE}; cells: fused / plain time (plain's median)\n"
        )
    fusion.jit_in_background = False
    if args.rows:
        rows_list = [int(r) for r in args.rows.split(",")]
    rounds = 7 if args.quick else 15
    sizes = [rows * 256 for rows in rows_list]
    print("| group | dtype | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    for title, make in GROUPS.items():
        for dtype in (np.float64, np.float32):
            cells = []
            for rows in rows_list:
                ratio, plain, calls = measure(make, rows, 256, dtype, rounds, args.backend)
                cells.append(f"{ratio:.2f} ({plain * 1e6:.0f} us)" if calls else "-")
            print(f"| {title} | {np.dtype(dtype).name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
