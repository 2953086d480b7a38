"""The big GLM's Newton step (`examples/big_glm.py`) on NumPy, Dask threads and a LocalCluster.

    python benchmarks/dask_glm.py                       # 10^6, 10^7, 3x10^7 rows; several minutes
    python benchmarks/dask_glm.py --quick               # 10^5 and 10^6 rows
    python benchmarks/dask_glm.py --rows 2e4 --repeat 1 --chunk 5000   # a smoke test

One Newton step is the logistic regression's loss, gradient and Hessian (d = 20 features,
float64) evaluated by one autodiff plan, then one d x d solve with NumPy. Three
configurations, each run in a fresh subprocess so that its peak memory is its own:

- numpy: one process; the data are materialised as one NumPy array (generated chunk by
  chunk from the same seeded Dask generator, into a preallocated array) and the plan is the
  default NumPy-backend plan (`ad.function(...)`), numba's loops built before timing;
- dask threads: one process, Dask's threaded scheduler with 2 threads, the plan
  `ad.function(..., backend="dask", compute=True)` on the lazy Dask arrays; each step
  regenerates the chunks from the seeded generator (nothing holds the data);
- dask cluster: a `distributed.LocalCluster` on 127.0.0.1 of 2 worker processes with 1 thread
  each, the same plan; the client process also runs the scheduler.

NumPy's process runs BLAS as it comes (its plan picks one or all threads); the Dask ones run
one BLAS thread per Dask thread (OMP/OPENBLAS/MKL_NUM_THREADS=1, as distributed sets for its
workers), which is what Dask advises: two threads each calling a two-threaded BLAS on two
cores oversubscribe them.

Time per step is the median over `--repeat` steps after one untimed step (Dask's include
generating the data; the "data" column is the median time of generating them alone,
`dask.compute(X.sum(0), y.sum())`). Peak memory is each process's
`resource.getrusage(RUSAGE_SELF).ru_maxrss`: the numpy and threads processes', and for the
cluster the largest worker's (read in each worker by `client.run`) and the client's. The
ratios are against the numpy run of the same rows measured in the same invocation. A numpy
run whose data would not fit (8 n d x 3 bytes: the data and the plan's n x d temporaries, the
Hessian's weighted copy of X among them; 2.3x the data was measured at 3x10^7 rows) in the
memory available now is skipped, and the table says so. The last column is the 1-minute load
average when the configuration ended (the run itself keeps about 2 there on 2 cores): the
machine may be shared, and a busy one slows every configuration (the NumPy run at 3x10^7 rows
took 20.6 s a step with the load at 3-4, 2.2 s with it below 2).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ["numpy", "threads", "cluster"]
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
LABELS = {"numpy": "numpy", "threads": "dask threads (2)", "cluster": "dask cluster (2 x 1)"}


def example():
    """examples/big_glm.py as a module (examples is not a package)."""
    path = os.path.join(ROOT, "examples", "big_glm.py")
    spec = importlib.util.spec_from_file_location("big_glm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is in KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def available_bytes() -> int:
    """The memory available now (MemAvailable), else the physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def newton_steps(step, beta: np.ndarray, repeat: int) -> tuple[list[float], np.ndarray]:
    """One untimed step, then `repeat` timed ones: (seconds per step, beta)."""
    times = []
    for i in range(repeat + 1):
        t = time.perf_counter()
        _, g, H = step(beta)
        beta = beta - np.linalg.solve(np.asarray(H), np.asarray(g))
        if i:
            times.append(time.perf_counter() - t)
    return times, beta


# -- one configuration, in its own process ------------------------------------------------------
def child(config: str, n: int, d: int, chunk: int, repeat: int) -> dict:
    import dask

    import autodiff as ad

    glm = example()
    X, y, _ = glm.make_data(n, d, chunk, seed=0)
    outputs, inputs = glm.newton_graph(n, d)
    result: dict = {"config": config, "rows": n, "build_mb": peak_mb()}  # the graph's placeholders
    if config == "numpy":
        X_np, y_np = np.empty((n, d)), np.empty(n)
        with dask.config.set(scheduler="synchronous"):  # one chunk at a time
            for i, (xb, yb) in enumerate(zip(X.blocks, y.blocks, strict=True)):
                (
                    X_np[i * chunk : i * chunk + xb.shape[0]],
                    y_np[i * chunk : i * chunk + yb.shape[0]],
                ) = dask.compute(xb, yb)
        plan = ad.function(outputs, inputs=inputs)
        plan(X_np, y_np, np.zeros(d))
        ad.fusion.wait()  # numba's loops, where numba is installed, are built before timing
        times, _ = newton_steps(lambda b: plan(X_np, y_np, b), np.zeros(d), repeat)
        result.update(times=times, peak_mb=peak_mb())
        return result
    plan = ad.function(outputs, inputs=inputs, backend="dask", compute=True)

    def data_time(k: int) -> float:
        seconds = []
        for _ in range(k):
            t = time.perf_counter()
            dask.compute(X.sum(axis=0), y.sum())
            seconds.append(time.perf_counter() - t)
        return statistics.median(seconds)

    if config == "threads":
        with dask.config.set(scheduler="threads", num_workers=2):
            times, _ = newton_steps(lambda b: plan(X, y, b), np.zeros(d), repeat)
            result.update(times=times, data=data_time(max(1, min(repeat, 3))), peak_mb=peak_mb())
        return result
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        times, _ = newton_steps(lambda b: plan(X, y, b), np.zeros(d), repeat)
        data = data_time(max(1, min(repeat, 3)))
        workers = client.run(peak_mb)
    result.update(
        times=times, data=data, peak_mb=max(workers.values()), workers_mb=sorted(workers.values())
    )
    result["client_mb"] = peak_mb()
    return result


def run_child(config: str, n: int, args) -> dict:
    """`child` in a fresh interpreter; its JSON line, or {"error": ...}."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        config,
        "--rows",
        str(n),
        "--features",
        str(args.features),
        "--chunk",
        str(min(args.chunk, n)),
        "--repeat",
        str(args.repeat),
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    if config != "numpy":  # Dask's threads each run one chunk's BLAS call: one BLAS thread each
        env.update({name: "1" for name in BLAS_THREADS})
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1])


def rows_list(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=rows_list, default=rows_list("1e6,1e7,3e7"))
    p.add_argument("--quick", action="store_true", help="10^5 and 10^6 rows only")
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--chunk", type=lambda s: int(float(s)), default=500_000, help="rows per chunk")
    p.add_argument("--repeat", type=int, default=3, help="timed Newton steps per configuration")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per configuration")
    p.add_argument("--child", choices=CONFIGS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        n = args.rows[0]
        print(json.dumps(child(args.child, n, args.features, min(args.chunk, n), args.repeat)))
        return []
    rows = rows_list("1e5,1e6") if args.quick else args.rows
    command = "python benchmarks/dask_glm.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(
        f"# {datetime.date.today()}  logistic regression Newton step, d = {args.features}, "
        f"float64, chunks of {args.chunk} rows; {os.cpu_count()} cores, "
        f"{available_bytes() / 1e9:.1f} GB available; python {platform.python_version()} "
        f"numpy {np.__version__}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results = []
    for n in rows:
        need = 8 * n * args.features * 3
        for config in CONFIGS:
            if config == "numpy" and need > available_bytes():
                have = available_bytes()
                r = {"skipped": f"needs ~{need / 1e9:.1f} GB, {have / 1e9:.1f} GB available"}
            else:
                r = run_child(config, n, args)
            r.update(config=config, rows=n, load=os.getloadavg()[0])
            results.append(r)
            print(f"#   {n:.0e} rows {config}: {summary(r)}", file=sys.stderr, flush=True)
    print(table(results, args.repeat))
    print(f"\n`{command.strip()}` (load average at the end {os.getloadavg()[0]:.2f})")
    return results


def summary(r: dict) -> str:
    if "skipped" in r:
        return "skipped: " + r["skipped"]
    if "error" in r:
        return "failed: " + r["error"]
    return f"{statistics.median(r['times']):.3f} s/step, peak {r['peak_mb']:.0f} MB"


def table(results: list[dict], repeat: int) -> str:
    head = (
        f"| rows | configuration | s / step (median of {repeat}) | of which data | "
        "peak MB per process | client MB | MB after building the graph | time vs numpy | "
        "peak memory vs numpy | load |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    base: dict[int, dict] = {
        r["rows"]: r for r in results if r["config"] == "numpy" and "times" in r
    }
    for r in results:
        n, label = f"{r['rows']:.0e}".replace("e+0", "e"), LABELS[r["config"]]
        if "times" not in r:
            why = r.get("skipped") or r.get("error")
            lines.append(
                f"| {n} | {label} | {'skipped' if 'skipped' in r else 'failed'}: {why} ||||||||"
            )
            continue
        t = statistics.median(r["times"])
        data = f"{r['data']:.3f}" if "data" in r else ""
        client = f"{r['client_mb']:.0f}" if "client_mb" in r else ""
        per = f"{r['peak_mb']:.0f}"
        if "workers_mb" in r:
            per = " / ".join(f"{m:.0f}" for m in r["workers_mb"])
        b = base.get(r["rows"])
        ratio_t = f"{t / statistics.median(b['times']):.2f}x" if b else "n/a"
        ratio_m = f"{r['peak_mb'] / b['peak_mb']:.2f}x" if b else "n/a"
        cells = [n, label, f"{t:.3f}", data, per, client, f"{r['build_mb']:.0f}", ratio_t, ratio_m]
        cells.append(f"{r['load']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
