"""Run the benchmarks and print one table: ``python benchmarks/run.py [--quick] [--only TEXT]``.

Every workload runs single-threaded in float64 with fresh inputs at every call. The
implementations of one workload take turns (interleaved rounds, the order rotating), and
each time is the median over the rounds of the time per call. The table's ratio is that of
the two medians next to it (autodiff's or another framework's median over NumPy's), and the
"target met" column flags a missed target. "first" is the time of the first call: building the
graph, differentiating, simplifying and planning it, and evaluating it once (for JAX: tracing
and compiling). autodiff's plan is then called a few more times and its compiled loops
(autodiff.fusion with numba: built in a thread after `jit_after` calls) waited for before
timing; `python benchmarks/fusion.py --numba` measures how long they take to be ready. JAX,
PyTorch, HIPS autograd and PyTensor columns appear when they import.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import ctypes.util  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import others  # noqa: E402
import workloads  # noqa: E402

import autodiff as ad  # noqa: E402

FRAMEWORKS = ["numpy", "autodiff", "jax", "torch", "autograd", "pytensor"]
TITLES = {"numpy": "NumPy", "autodiff": "autodiff", "jax": "JAX (jit)", "torch": "PyTorch",
          "autograd": "autograd", "pytensor": "PyTensor"}


def settle_allocator() -> bool:
    """Keep freed memory in the process (glibc's malloc), for every framework alike.

    By default glibc hands large freed blocks back to the system, and the next call faults
    the pages in again: in a fresh process the NumPy reference Jacobian (n=200) then takes
    about 370 us instead of 65 us, and results depend on what ran before. Returns whether
    the thresholds could be set.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 256 << 20))
    except (OSError, AttributeError, TypeError):
        return False


def _close(a, b) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):  # several outputs
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-8))


def measure(case: workloads.Case, frameworks: list[str], budget: float, rounds: int) -> dict:
    """Time every framework on `case`: median time per call, first-call time, agreement."""
    rng = np.random.default_rng(0)
    pool = [case.inputs(rng) for _ in range(64)]
    calls, first, agrees = {}, {}, {}
    first_loss = None  # a stateful workload's first result, from NumPy (always measured first)
    for name in frameworks:
        build = case.builders.get(name)
        if build is None:
            continue
        start = time.perf_counter()
        fn = build()
        result = fn(*pool[0])
        first[name] = time.perf_counter() - start
        calls[name] = fn
        if name == "autodiff":  # fusion's loops: built after some calls, in a thread; ready now
            for a in pool[1 : 2 + ad.fusion.jit_after]:
                fn(*a)
            ad.fusion.wait()
        if name != "numpy":
            if not case.stateful:
                agrees[name] = _close(result, calls["numpy"](*pool[0]))
            else:
                agrees[name] = _close(result, first_loss)
        elif case.stateful:
            first_loss = result
    # calls per sample, so that every framework gets about the same share of the budget; one
    # slower than its share takes part in fewer rounds (at least three)
    inner, takes_part = {}, {}
    for name, fn in calls.items():
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 0.01 or n < 2:
            fn(*pool[n % len(pool)])
            n += 1
        per_call = (time.perf_counter() - start) / n
        share = budget / (rounds * len(calls))
        inner[name] = max(1, int(share / per_call))
        takes_part[name] = max(3, min(rounds, int(rounds * share / per_call)))
    samples = {name: {} for name in calls}
    names = list(calls)
    k = 0
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            if r >= takes_part[name]:
                continue
            fn, n = calls[name], inner[name]
            args = [pool[(k + j) % len(pool)] for j in range(n)]
            k += n
            start = time.perf_counter()
            for a in args:
                fn(*a)
            samples[name][r] = (time.perf_counter() - start) / n
    times = {name: statistics.median(s.values()) for name, s in samples.items()}
    # the ratio of each round (implementations timed back to back), then the median: robust to
    # the load of a shared machine drifting between rounds
    ratios = {name: statistics.median(t / samples["numpy"][r] for r, t in s.items())
              for name, s in samples.items()}
    return {"times": times, "ratios": ratios, "first": first, "agrees": agrees,
            "nodes": case.nodes() if case.nodes else None}


def peak_memory(case: workloads.Case, names=("numpy", "autodiff")) -> dict:
    """Peak bytes allocated during one call (after a warm-up call), per framework."""
    rng = np.random.default_rng(1)
    peaks = {}
    for name in names:
        fn = case.builders[name]()
        args = case.inputs(rng)
        fn(*args)
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        peaks[name] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return peaks


def _time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def missed_targets(target: str, ratio: float | None, first: float | None, nodes: int | None) -> list[str]:
    """The parts of a target text ("<= 1.2x; first <= 50 ms; <= 100 nodes") a result misses."""
    missed = []
    for part in filter(None, (p.strip() for p in target.split(";"))):
        if (m := re.fullmatch(r"<= ([\d.]+)x", part)) and ratio is not None and ratio > float(m[1]):
            missed.append(f"ratio {ratio:.2f}x > {m[1]}x")
        elif (m := re.fullmatch(r"first <= ([\d.]+) (ms|s)", part)) and first is not None:
            if first > float(m[1]) * (1e-3 if m[2] == "ms" else 1.0):
                missed.append(f"first call {_time(first)} > {m[1]} {m[2]}")
        elif (m := re.fullmatch(r"<= (\d+) nodes", part)) and nodes is not None and nodes > int(m[1]):
            missed.append(f"{nodes} nodes > {m[1]}")
    return missed


def table(results: list[tuple[workloads.Case, dict]], frameworks: list[str]) -> str:
    """The results as a Markdown table: every time a median over the rounds, every ratio the
    ratio of the two medians shown (so it never contradicts them), a missed target flagged."""
    others_ = [f for f in frameworks if f not in ("numpy", "autodiff")]
    head = ["workload", "target", "NumPy (median)", "autodiff (median)", "ratio of medians", "first call", "nodes",
            "target met"]
    head += [TITLES[f] + " (median; ratio of medians; first)" for f in others_]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case, r in results:
        t, ref = r["times"], r["times"]["numpy"]
        row = [case.name, case.target, _time(ref)]
        ratio = first = None
        if "autodiff" in t:
            mark = "" if r["agrees"].get("autodiff", True) else " (DIFFERS)"
            ratio, first = t["autodiff"] / ref, r["first"]["autodiff"]
            row += [_time(t["autodiff"]) + mark, f"{ratio:.2f}x", _time(first)]
        else:
            row += ["", "", ""]
        row.append(str(r["nodes"]) if r["nodes"] is not None else "")
        missed = missed_targets(case.target, ratio, first, r["nodes"]) if "autodiff" in t else []
        row.append("" if not case.target or "autodiff" not in t else "**MISSED**: " + ", ".join(missed) if missed else "yes")
        for f in others_:
            if f in t:
                mark = "" if r["agrees"].get(f, True) else " DIFFERS"
                row.append(f"{_time(t[f])} ({t[f] / ref:.2f}x; {_time(r['first'][f])}){mark}")
            elif f in case.skipped:
                row.append(f"skipped: {case.skipped[f]}")
            else:
                row.append("-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer sizes, a short budget, NumPy and autodiff only unless --frameworks says")
    parser.add_argument("--only", default="", help="run the workloads whose name contains this text")
    parser.add_argument("--frameworks", default=None,
                        help="comma-separated subset of " + ",".join(FRAMEWORKS))
    parser.add_argument("--fresh-allocator", action="store_true",
                        help="leave malloc as a fresh process has it (large temporaries fault in again)")
    parser.add_argument("--ablation", action="store_true",
                        help="instead: what each mechanism of autodiff buys (about a minute)")
    args = parser.parse_args(argv)
    settled = False if args.fresh_allocator else settle_allocator()
    if args.ablation:
        import ablation

        kept = ("n=200", "MLP 8", "d^8/", "char-rnn", "SGD", "jacobian")
        cases = [c for c in workloads.all_cases() if any(k in c.name for k in kept) and args.only in c.name]
        print(f"# {datetime.date.today()}  ablation, python {platform.python_version()}  numpy {np.__version__}")
        print(ablation.ablate(cases))
        return
    if args.frameworks is None:
        args.frameworks = "numpy,autodiff" if args.quick else ",".join(FRAMEWORKS)
    wanted = [f for f in args.frameworks.split(",") if f]
    available = ["numpy", "autodiff"] + [f for f in others.available() if f in wanted]
    frameworks = [f for f in FRAMEWORKS if f in available and (f in wanted or f == "numpy")]
    budget, rounds = (0.3, 9) if args.quick else (1.5, 21)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="autograd")  # its k=10 overflows

    cases = [c for c in workloads.all_cases(args.quick) if args.only in c.name]
    others.add_builders(cases, frameworks)
    print(f"# {datetime.date.today()}  python {platform.python_version()}  numpy {np.__version__}  "
          f"{platform.machine()}  frameworks: {', '.join(frameworks)}  "
          f"malloc: {'settled' if settled else 'as in a fresh process'}", flush=True)
    results = []
    for case in cases:
        results.append((case, measure(case, frameworks, budget, rounds)))
        print(f"  done: {case.name}", file=sys.stderr, flush=True)
    print(table(results, frameworks))
    missed = [c.name for c, r in results if "autodiff" in r["times"]
              and missed_targets(c.target, r["times"]["autodiff"] / r["times"]["numpy"], r["first"]["autodiff"], r["nodes"])]
    if missed:
        print(f"\nMISSED TARGETS ({len(missed)}): {', '.join(missed)}")
    rnn = [c for c in cases if c.name.startswith("char-rnn")]
    if rnn:
        peaks = peak_memory(rnn[0])
        print(f"\nchar-rnn step, peak memory allocated during one step: NumPy {peaks['numpy'] / 1024:.0f} KiB, "
              f"autodiff {peaks['autodiff'] / 1024:.0f} KiB ({peaks['autodiff'] / peaks['numpy']:.2f}x)")


if __name__ == "__main__":
    main()
