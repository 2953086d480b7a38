"""Checkpointed segments give the same values and derivatives as the plain graph."""

import numpy as np

import autodiff as ad
from autodiff.checkpointing import Segment


def _rnn(x0, W, steps, every):
    def block(h):
        for _ in range(every):
            h = ad.tanh(W @ h + 0.1)
        return h

    run = ad.checkpoint(block) if every else None
    h = x0
    for _ in range(steps // max(every, 1)):
        h = run(h) if run else block(h)
    return ad.sum(h * h)


def test_gradients_with_and_without_checkpoints_are_equal():
    rng = np.random.default_rng(0)
    W = ad.Variable(rng.normal(size=(5, 5)) * 0.4, name="W")
    x = ad.Variable(rng.normal(size=5), name="x")
    plain = _rnn(x, W, 12, 1)
    checked = _rnn(x, W, 12, 4)
    assert sum(isinstance(n, Segment) for n in ad.toposort([checked])) == 3
    np.testing.assert_allclose(checked(), plain(), rtol=1e-13)
    for a, b in zip(ad.eval(ad.grad(checked, [x, W])), ad.eval(ad.grad(plain, [x, W]))):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(checked, x)(), ad.hessian(plain, x)(), rtol=1e-11)


def test_captured_parameters_get_gradients_and_are_checked_numerically():
    rng = np.random.default_rng(1)
    ad.check_grads(lambda x, W: _rnn(x, W, 6, 3), [rng.normal(size=3), rng.normal(size=(3, 3)) * 0.5], order=2)


def test_a_segment_sees_new_parameter_values():
    W = ad.Variable(np.eye(2), name="W")
    x = ad.Variable(np.array([1.0, 2.0]))
    y = ad.checkpoint(lambda h: W @ h)(x)
    np.testing.assert_allclose(y(), [1, 2])
    W.value = 2 * np.eye(2)
    np.testing.assert_allclose(y(), [2, 4])
    np.testing.assert_allclose(ad.jacobian(y, x)(), 2 * np.eye(2))
