"""Where elementwise fusion pays: ``python benchmarks/fusion.py [--threads N] [--quick]``.

The same plan built with numexpr fusion (`autodiff.fusion`, forced on whatever the size) and
without, at sizes around `autodiff.fusion.MIN_SIZE`, timed in interleaved rounds with fresh
inputs at every call (a pool of arrays larger than the cache, as the other benchmarks); the
table gives the median
over rounds of (fused time / plain time): below 1 fusion helps. The groups are the ones
derivative graphs are made of: a tanh backward ``g * (1 - t * t)``, a Jacobian's broadcast
products ``a[:, None] * W + W2 * b[:, None]``, and a longer chain, in float64 and float32.
numexpr runs with N threads (default 1, as in `benchmarks/run.py`).

``--numba`` (where numba is installed) measures instead
what a numba-compiled group would buy on the Jacobian of tanh(W x) * (V x), n = 200, W and V
fed (`benchmarks/user_forms.py`): NumPy's reference against the same with its three passes
over n x n arrays as one numba loop, and the time numba takes to import and compile it.
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
    """NumPy's tanh Jacobian against the same with its elementwise tail as one numba loop."""
    start = time.perf_counter()
    import numba

    imported = time.perf_counter() - start

    @numba.njit(error_model="numpy")
    def group(s, W, t, V, out):  # out = s[:, None] * W + t[:, None] * V
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                out[i, j] = s[i] * W[i, j] + t[i] * V[i, j]

    def reference(x, W, V):
        t = np.tanh(W @ x)
        return ((1.0 - t * t) * (V @ x))[:, None] * W + t[:, None] * V

    def with_numba(x, W, V):
        t = np.tanh(W @ x)
        out = np.empty((n, n))
        group((1.0 - t * t) * (V @ x), W, t, V, out)
        return out

    rng = np.random.default_rng(0)
    pool = [
        (rng.standard_normal(n), *(rng.standard_normal((2, n, n)) / np.sqrt(n))) for _ in range(64)
    ]
    start = time.perf_counter()
    with_numba(*pool[0])
    compiled = time.perf_counter() - start
    assert np.array_equal(with_numba(*pool[1]), reference(*pool[1])), "numba differs from NumPy"
    times = _interleaved({"numpy": reference, "numba": with_numba}, pool, rounds)
    ratio = statistics.median(a / b for a, b in zip(times["numba"], times["numpy"], strict=True))
    return (
        f"numba {numba.__version__}: import {imported * 1e3:.0f} ms, compiling the group "
        f"{compiled * 1e3:.0f} ms; NumPy {statistics.median(times['numpy']) * 1e6:.1f} us, with "
        f"the group in numba {statistics.median(times['numba']) * 1e6:.1f} us: {ratio:.2f}x"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="numexpr's threads")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and rounds")
    parser.add_argument("--rows", default="", help="rows of 256 columns, e.g. 1024,4096,16384")
    parser.add_argument("--numba", action="store_true", help="the Jacobian with a numba group")
    parser.add_argument(
        "--backend", choices=["numexpr", "numba"], default="numexpr", help="which fuses"
    )
    args = parser.parse_args(argv)
    settle_allocator()
    if args.numba:
        print(numba_jacobian())
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
