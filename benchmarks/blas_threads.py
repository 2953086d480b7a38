"""What choosing BLAS threads per plan buys (autodiff.blas), idle and with the other cores busy.

    python benchmarks/blas_threads.py            # ~30 s

Unlike the other benchmarks this one leaves OPENBLAS_NUM_THREADS unset: OpenBLAS starts with
one thread per core, as a user's process does. Each workload runs as a plan built three ways
in one process: as autodiff builds it (one thread during calls whose products are all below
`autodiff.blas.THREADED_WORK` multiply-adds), with the choice switched off
(``THREADED_WORK = 0``: OpenBLAS's threads) and with OpenBLAS set to one thread. Times are
the mean of a call over a run (means, not medians: a call that waits for a worker thread is
what a training loop pays), first with the machine as it is, then with a busy loop on every
other core. Workloads: the README's training snippet (64-256-10 MLP, batch 32, Adam), a
Hessian of logistic regression n = 200, and plans of one (n, n) @ (n, n) product.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autodiff as ad
from autodiff import blas, nn, optim


def training_step():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 256), ad.relu, nn.Dropout(0.3), nn.Linear(256, 10))
    x = ad.Variable(np.zeros((32, 64)), name="x")
    y = ad.Variable(np.zeros(32, np.int64), name="y")
    step = optim.TrainStep(
        nn.cross_entropy(model(x), y), optim.Adam(model.parameters(), lr=2e-3), inputs=[x, y]
    )
    xb, yb = rng.standard_normal((32, 64)), rng.integers(0, 10, 32)
    return lambda: step(xb, yb)


def logistic_hessian(n: int = 200):
    rng = np.random.default_rng(1)
    A = ad.Variable(rng.standard_normal((2 * n, n)), name="A")
    x = ad.Variable(np.zeros(n), name="x")
    f = ad.sum(ad.log1p(ad.exp(A @ x))) + x @ x / 2
    plan = ad.function(ad.hessian(f, x), inputs=[x])
    x0 = rng.standard_normal(n) / np.sqrt(n)
    return lambda: plan(x0)


def big_product(n: int = 512):
    a = ad.Variable(np.zeros((n, n)), name="a")
    plan = ad.function(a @ a, inputs=[a])
    a0 = np.random.default_rng(2).standard_normal((n, n))
    return lambda: plan(a0)


WORKLOADS = {
    "training snippet step": training_step,
    "logistic Hessian n=200": logistic_hessian,
    **{f"({n}, {n}) @ ({n}, {n})": (lambda n=n: big_product(n)) for n in (128, 256, 512, 1024)},
}


def mean_call(run, seconds: float = 1.5) -> float:
    run()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        calls += 1
    return (time.perf_counter() - start) / calls


def _spin(stop):
    while not stop.is_set():
        pass


def measure() -> dict[str, list[float]]:
    get, put = blas._openblas()
    threads = get()
    rows = {}
    for name, make in WORKLOADS.items():
        ours = make()
        line = blas.THREADED_WORK
        blas.THREADED_WORK = 0
        theirs = make()
        blas.THREADED_WORK = line
        put(1)
        single = mean_call(ours)
        put(threads)
        rows[name] = [mean_call(ours), mean_call(theirs), single]
    return rows


def main() -> None:
    if blas.threads() is None:
        print("NumPy does not use OpenBLAS here: nothing to measure")
        return
    print(
        f"# OpenBLAS threads at start: {blas.threads()}; cores: {os.cpu_count()}; "
        f"THREADED_WORK = 2**{blas.THREADED_WORK.bit_length() - 1}"
    )
    results = {"as it is": measure()}
    stop = multiprocessing.Event()
    spinners = [
        multiprocessing.Process(target=_spin, args=(stop,))
        for _ in range(max(1, (os.cpu_count() or 2) - 1))
    ]
    for p in spinners:
        p.start()
    try:
        results["other cores busy"] = measure()
    finally:
        stop.set()
        for p in spinners:
            p.join()
    print("| machine | workload | autodiff (its choice) | OpenBLAS's threads | one thread |")
    print("|---|---|---|---|---|")
    for machine, rows in results.items():
        for name, (ours, theirs, single) in rows.items():
            print(
                f"| {machine} | {name} | {ours * 1e3:.3f} ms | {theirs * 1e3:.3f} ms "
                f"({theirs / ours:.2f}x) | {single * 1e3:.3f} ms ({single / ours:.2f}x) |"
            )


if __name__ == "__main__":
    main()
