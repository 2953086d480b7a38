"""Linear algebra on inputs the audit tried (each test failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix from its definition: signed determinants of the minors."""
    n = a.shape[-1]
    out = np.empty(a.shape)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


_SINGULAR = {
    "rank 2 of 3": np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]]),
    "rank 1 of 3": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),
    "zero 2x2": np.zeros((2, 2)),
    "zero 1x1": np.zeros((1, 1)),
    "rank 3 of 4": np.array(
        [[2.0, 0.0, 1.0, 3.0], [1.0, 1.0, 0.0, 1.0], [3.0, 1.0, 1.0, 4.0], [0.0, 2.0, -1.0, 5.0]]
    ),
}


@pytest.mark.parametrize("name", list(_SINGULAR))
def test_det_has_its_gradient_at_singular_matrices(name):
    """d det(a) / da is the cofactor matrix, a polynomial in a: finite at a singular a (JAX
    gives it). It was g det(a) inv(a)^T, which raised LinAlgError there."""
    a0 = _SINGULAR[name]
    a = ad.Variable(a0)
    d = ad.grad(ad.linalg.det(a), a)
    np.testing.assert_allclose(d(), _cofactors(a0), atol=1e-12)
    np.testing.assert_allclose(ad.function(d)(), _cofactors(a0), atol=1e-12)
    j = ad.jacobian(3.0 * ad.linalg.det(a), a)  # a batched cotangent
    np.testing.assert_allclose(j(), 3.0 * _cofactors(a0), atol=1e-12)
    ad.check_grads(ad.linalg.det, [a0], order=1)  # det is a polynomial: differences are fine


def test_det_gradient_of_a_batch_with_singular_and_regular_matrices():
    rng = np.random.default_rng(0)
    a0 = np.stack([_SINGULAR["rank 2 of 3"], rng.normal(size=(3, 3)), _SINGULAR["rank 1 of 3"]])
    a = ad.Variable(a0)
    w = np.array([1.0, -2.0, 0.5])
    d = ad.grad(ad.sum(ad.linalg.det(a) * w), a)
    np.testing.assert_allclose(d(), w[:, None, None] * _cofactors(a0), atol=1e-12)
    ad.check_grads(lambda x: ad.linalg.det(x) * w, [a0], order=1)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_det_derivatives_of_regular_matrices_are_unchanged(n):
    """Every order still checks against differences, batched and unbatched."""
    rng = np.random.default_rng(n)
    ad.check_grads(ad.linalg.det, [rng.normal(size=(n, n))], order=3)
    ad.check_grads(ad.linalg.det, [rng.normal(size=(2, n, n))], order=2)
    a = ad.Variable(rng.normal(size=(n, n)))
    h = ad.hessian(ad.linalg.det(a), a)()
    assert h.shape == (n, n, n, n) and np.all(np.isfinite(h))


def test_det_gradient_keeps_float32():
    a = ad.Variable(_SINGULAR["rank 2 of 3"].astype(np.float32))
    d = ad.grad(ad.linalg.det(a), a)
    assert d.dtype == d().dtype == np.float32
    np.testing.assert_allclose(d(), _cofactors(a.value.astype(np.float64)), atol=1e-4)


def test_det_gradient_plan_exports_as_plain_numpy(tmp_path):
    """A plan's export writes each op's eval as NumPy code: the cofactor's too."""
    a0 = np.stack([_SINGULAR["rank 2 of 3"], np.eye(3) + 1.0])
    a = ad.Variable(a0, name="a")
    plan = ad.function(ad.grad(ad.sum(ad.linalg.det(a)), a), inputs=[a])
    namespace: dict = {}
    exec(plan.export(str(tmp_path / "det_grad.py"), name="det_grad"), namespace)
    np.testing.assert_allclose(namespace["det_grad"](a0), _cofactors(a0), atol=1e-12)
