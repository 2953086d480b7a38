"""Plans with small products run them on one BLAS thread (autodiff.blas), and give the
threads back as they were."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import blas
from autodiff.node import Node

pytestmark = pytest.mark.skipif(blas.threads() is None, reason="NumPy does not use OpenBLAS")


class Threads(Node):
    """x itself; records OpenBLAS's number of threads when a plan evaluates it."""

    seen: list[int] = []

    @classmethod
    def infer(cls, x):  # type: ignore[override]
        return x.shape, x.dtype

    def eval(self, x):  # type: ignore[override]
        Threads.seen.append(blas.threads())
        return x + 0


class Fails(Threads):
    def eval(self, x):  # type: ignore[override]
        raise FloatingPointError("from inside a plan")


@pytest.fixture
def two_threads():
    """OpenBLAS set to 2 threads for the test, then as it was."""
    get, put = blas._openblas()
    before = get()
    put(2)
    Threads.seen.clear()
    if get() < 2:
        put(before)
        pytest.skip("OpenBLAS keeps to one thread here")
    yield get()
    put(before)


def _plan(n: int, op=Threads):
    a = ad.Variable(np.ones((n, n)), name="a")
    return ad.function(ad.sum(op(a @ a)), inputs=[a])


def test_small_products_run_on_one_thread_and_threads_come_back(two_threads):
    plan = _plan(8)
    assert float(plan(np.ones((8, 8)))) == 8 * 64
    assert Threads.seen == [1]
    assert blas.threads() == two_threads


def test_a_large_product_keeps_the_threads(two_threads):
    n = 1 + round(blas.THREADED_WORK ** (1 / 3))  # n**3 multiply-adds: just above the line
    plan = _plan(n)
    plan(np.ones((n, n)))
    assert Threads.seen == [two_threads]


def test_an_error_inside_the_plan_gives_the_threads_back(two_threads):
    plan = _plan(4, Fails)
    with pytest.raises(FloatingPointError, match="from inside a plan"):
        plan(np.ones((4, 4)))
    assert blas.threads() == two_threads


def test_a_plan_without_products_leaves_the_threads(two_threads):
    x = ad.Variable(np.ones(3), name="x")
    plan = ad.function(ad.sum(Threads(ad.tanh(x))), inputs=[x])
    plan(np.ones(3))
    assert Threads.seen == [two_threads]


def test_switched_off(two_threads, monkeypatch):
    monkeypatch.setattr(blas, "THREADED_WORK", 0)
    _plan(4)(np.ones((4, 4)))
    assert Threads.seen == [two_threads]


def test_one_thread_already_set_is_left_alone():
    get, put = blas._openblas()
    before = get()
    put(1)
    try:
        Threads.seen.clear()
        _plan(4)(np.ones((4, 4)))
        assert Threads.seen == [1] and get() == 1
    finally:
        put(before)


def test_what_ops_hand_blas():
    a, b = ad.Variable(np.ones((3, 4))), ad.Variable(np.ones((4, 5)))
    assert (a @ b).blas_work == 3 * 4 * 5
    assert ad.einsum("ij,jk,kl->il", a, b, ad.Variable(np.ones((5, 2)))).blas_work == 3 * 4 * 5 * 2
    assert ad.transpose(a).blas_work == 0 and ad.tanh(a).blas_work == 0
    m = ad.Variable(np.ones((2, 6, 6)))
    assert ad.linalg.inv(m).blas_work == 2 * 6**3
    (svd,) = [
        n
        for n in ad.toposort(list(ad.linalg.svd(ad.Variable(np.ones((7, 3))))))
        if type(n).__name__ == "Svd"
    ]
    assert svd.blas_work == 7 * 3 * 3  # m n min(m, n)
    block = ad.checkpoint(lambda h: ad.tanh(h @ b))
    (segment,) = [n for n in ad.toposort([block(a)]) if type(n).__name__ == "Segment"]
    assert segment.blas_work == 3 * 4 * 5
