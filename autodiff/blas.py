"""BLAS threads in plans: a plan whose products are all small runs them on one thread.

OpenBLAS (NumPy's BLAS in its wheels) splits every product above a tiny size across its
threads. For the products of a training step or a Hessian of a small model that rarely pays
and often costs a great deal: its worker threads sleep between calls and must be woken, and
on a machine whose other cores are busy a product waits for a worker that is not running.
Measured on a 2-core machine, the README's training snippet (a 64-256-10 MLP, batch 32, Adam)
took 1.85 ms a step with OpenBLAS's 2 threads and 0.40 ms with one; a ``(32, 64) @ (64, 256)``
product, 16 us in a tight loop on 2 threads, averaged 573 us between other NumPy calls.

So a plan (`autodiff.function`) whose ops all hand BLAS fewer than `THREADED_WORK`
multiply-adds each (what each op declares as `Node.blas_work`: an einsum the size of its
iteration space, a factorization n**3 per matrix) sets OpenBLAS to one thread for the call
and back to what it was after; a plan with a larger product leaves the threads as they are,
and a plan with no product does nothing. What the user set (``OPENBLAS_NUM_THREADS``,
``threadpoolctl``) is what a plan goes back to, and a plan finding one thread already set
does nothing (about 0.1 us). Setting the number of threads is process-wide: another thread's
product that runs during such a call runs on one thread. Set ``THREADED_WORK = 0`` to leave
threads alone. NumPy built on another BLAS (MKL, Accelerate) is left as it is.

>>> from autodiff import blas
>>> blas.threads() is None or blas.threads() >= 1
True
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["THREADED_WORK", "threads", "on_one_thread"]

# the multiply-adds of one product from which a plan leaves OpenBLAS's threads as they are:
# at 2**22 a product takes about 80 us on one thread (float64, one core of the development
# machine), so what threads could save below is tens of microseconds; what they cost on a
# busy machine is milliseconds
THREADED_WORK = 1 << 22

# (get, set) of the number of threads, by the names NumPy's OpenBLAS builds export them
_NAMES = [
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),  # NumPy 2
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),  # NumPy 1.2x
    ("openblas_get_num_threads", "openblas_set_num_threads"),  # a system OpenBLAS
]


@functools.cache
def _openblas() -> tuple[Callable[[], int], Callable[[int], Any]] | None:
    """The get and set functions of the OpenBLAS NumPy uses, or None where there is none."""
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, put in _NAMES:
            if hasattr(lib, get) and hasattr(lib, put):
                getter, setter = getattr(lib, get), getattr(lib, put)
                getter.restype, getter.argtypes = ctypes.c_int, []
                setter.restype, setter.argtypes = None, [ctypes.c_int]
                return getter, setter
    return None


def _candidates() -> list[str]:
    """Paths of the OpenBLAS libraries in this process (Linux) or bundled with NumPy."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        pass
    root = os.path.dirname(os.path.dirname(np.__file__))
    for pattern in ("numpy.libs/*openblas*", "numpy/.dylibs/*openblas*"):
        paths += sorted(glob.glob(os.path.join(root, pattern)))
    return [p for p in paths if os.path.isfile(p)]


def threads() -> int | None:
    """OpenBLAS's number of threads now, or None where NumPy does not use OpenBLAS."""
    found = _openblas()
    return None if found is None else found[0]()


def on_one_thread(run: Callable[..., Any]) -> Callable[..., Any]:
    """`run` with OpenBLAS on one thread during each call (as it is where there is none)."""
    found = _openblas()
    if found is None:
        return run
    get, put = found

    @functools.wraps(run)
    def one_thread(*arrays: Any) -> Any:
        before = get()
        if before == 1:
            return run(*arrays)
        put(1)
        try:
            return run(*arrays)
        finally:
            put(before)

    return one_thread
