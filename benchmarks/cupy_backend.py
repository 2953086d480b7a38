"""The same autodiff plans on CuPy (a GPU) and on NumPy (the CPU), where cupy and a GPU are present.

    python benchmarks/cupy_backend.py                  # prints "no CUPY/GPU here: skipped" without
    python benchmarks/cupy_backend.py --repeat 20

Two workloads, each one graph planned twice, `ad.function(..., backend="cupy")` and the default
NumPy plan, fed the same float64 data (copied to the device once, outside the timing):

- logistic: the loss, gradient and Hessian of `examples/big_glm.py`'s logistic regression at
  10^6 x 20 (`--rows`, `--features`);
- mlp: the gradient of a two-layer tanh MLP's mean cross-entropy (784 -> 512 -> 10, batch 4096)
  with respect to its four parameters.

Time per call is the median over `--repeat` calls after two untimed ones; a CuPy call is timed
until the device has finished (`cupy.cuda.Device().synchronize()`), results left on the device.
Before timing, the CuPy plan's results (copied back) must agree with NumPy's to 1e-8 relative.
Without cupy, or with cupy but no usable GPU, the script prints one line and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from dask_glm import example  # noqa: E402  (examples/big_glm.py as a module; needs no dask)

SKIP = "no CUPY/GPU here: skipped"


def gpu():
    """The cupy module where it imports and a device answers; else None."""
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        cupy.zeros(1).sum().item()  # a kernel really runs (driver and toolkit agree)
        return cupy
    except Exception:  # no cupy, no driver, no device, a toolkit mismatch: all mean skip
        return None


def logistic(n: int, d: int, rng: np.random.Generator):
    """(outputs, inputs, arrays): loss, gradient and Hessian of the logistic NLL."""
    outputs, inputs = example().newton_graph(n, d)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ rng.normal(0, 0.3, d)))).astype(np.float64)
    return outputs, inputs, [X, y, rng.normal(0, 0.1, d)]


def mlp(batch: int, sizes: tuple[int, int, int], rng: np.random.Generator):
    """(outputs, inputs, arrays): the gradient of a tanh MLP's mean cross-entropy."""
    import autodiff as ad

    n_in, hidden, classes = sizes
    x = ad.Variable(np.zeros((batch, n_in)), name="x")
    onehot = ad.Variable(np.zeros((batch, classes)), name="onehot")
    W1 = ad.Variable(np.zeros((n_in, hidden)), name="W1")
    b1 = ad.Variable(np.zeros(hidden), name="b1")
    W2 = ad.Variable(np.zeros((hidden, classes)), name="W2")
    b2 = ad.Variable(np.zeros(classes), name="b2")
    logits = ad.tanh(x @ W1 + b1) @ W2 + b2
    loss = ad.mean(ad.logsumexp(logits, axis=1) - ad.sum(logits * onehot, axis=1))
    params = [W1, b1, W2, b2]
    arrays = [
        rng.standard_normal((batch, n_in)),
        np.eye(classes)[rng.integers(0, classes, batch)],
        rng.normal(0, n_in**-0.5, (n_in, hidden)),
        np.zeros(hidden),
        rng.normal(0, hidden**-0.5, (hidden, classes)),
        np.zeros(classes),
    ]
    return [loss, *ad.grad(loss, params)], [x, onehot, *params], arrays


def median_time(call, repeat: int, sync=lambda: None) -> float:
    for _ in range(2):
        call()
    sync()
    seconds = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        sync()
        seconds.append(time.perf_counter() - t)
    return statistics.median(seconds)


def relative_difference(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), np.finfo(float).tiny))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=lambda s: int(float(s)), default=1_000_000)
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args(argv)
    cupy = gpu()
    if cupy is None:
        print(SKIP)
        return 0
    import autodiff as ad

    device = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    name = name.decode() if isinstance(name, bytes) else name
    print(f"# {name}, cupy {cupy.__version__}, numpy {np.__version__}; float64")
    rng = np.random.default_rng(0)
    workloads = {
        f"logistic loss, gradient, Hessian {args.rows} x {args.features}": logistic(
            args.rows, args.features, rng
        ),
        f"mlp gradient 784-512-10, batch {args.batch}": mlp(args.batch, (784, 512, 10), rng),
    }
    print("| workload | numpy s | cupy s | numpy / cupy | max relative difference |")
    print("|---|---:|---:|---:|---:|")
    failed = False
    for label, (outputs, inputs, arrays) in workloads.items():
        on_cpu = ad.function(outputs, inputs=inputs)
        on_gpu = ad.function(outputs, inputs=inputs, backend="cupy")
        device_arrays = [cupy.asarray(a) for a in arrays]
        expected = on_cpu(*arrays)
        got = on_gpu(*device_arrays)
        difference = max(
            relative_difference(cupy.asnumpy(g), e) for g, e in zip(got, expected, strict=True)
        )
        failed |= not difference <= 1e-8
        ad.fusion.wait()  # numba's loops for the NumPy plan, where numba is installed
        cpu = median_time(lambda: on_cpu(*arrays), args.repeat)  # noqa: B023
        gpu_s = median_time(lambda: on_gpu(*device_arrays), args.repeat, device.synchronize)  # noqa: B023
        print(f"| {label} | {cpu:.4f} | {gpu_s:.4f} | {cpu / gpu_s:.1f}x | {difference:.1e} |")
    if failed:
        print("the CuPy plan's values differ from NumPy's by more than 1e-8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
