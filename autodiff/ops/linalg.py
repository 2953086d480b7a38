"""Linear algebra ops, batched over leading axes as np.linalg: the classes behind `ad.linalg`.

Each op evaluates with NumPy's LAPACK routine and differentiates as a graph of ops, so every
order of derivative works: the gradient of `Inv` is built from the inverse itself and matrix
products, that of `Solve` from another `Solve` (no inverse formed), that of `Cholesky` from
triangular solves. Decompositions with several results (`Eigh`, `Svd`, `Qr`) are one node
holding them packed along the second-to-last axis, which the factories slice apart, so one
LAPACK call serves every result and its gradient.

Where NumPy reads only one triangle of a symmetric input (`cholesky`, `eigh`), so does the
gradient: it is the derivative with respect to the entries read, and zero on the other
triangle. The gradients of `eigh` and `svd` need distinct eigenvalues (singular values, and
for `svd` non-zero ones): at a degenerate spectrum they are inf or nan, as in JAX and autograd.
"""

from __future__ import annotations

import math

import numpy as np

from ..node import Constant, Node
from ._common import float_dtype, like_of, unbroadcast
from .einsum import matmul, transpose
from .einsum import sum as reduce_sum
from .shape import concatenate, reshape

__all__: list[str] = []  # not star-exported: `autodiff.linalg` holds the factories


def matrix_transpose(x: Node) -> Node:
    """x with its last two axes swapped (x.mT in NumPy 2).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.ops.linalg import matrix_transpose
    >>> matrix_transpose(ad.Variable(np.zeros((4, 2, 3)))).shape
    (4, 3, 2)
    """
    if x.ndim < 2:
        raise ValueError(
            f"matrix_transpose: a matrix transpose needs 2 or more axes, got shape {x.shape}"
        )
    axes = (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2)
    return transpose(x, axes)


_mT = matrix_transpose


def _mask(kind: str, n: int, dtype: np.dtype) -> Node:
    """A constant n-by-n mask of `dtype`: 'lower'/'upper' triangles (with the diagonal),
    'strict lower'/'strict upper' (without it), 'eye' or 'off' (off the diagonal)."""
    ones = np.ones((n, n), dtype)
    masks = {
        "lower": np.tril(ones),
        "upper": np.triu(ones),
        "strict lower": np.tril(ones, -1),
        "strict upper": np.triu(ones, 1),
        "eye": np.eye(n, dtype=dtype),
        "off": ones - np.eye(n, dtype=dtype),
    }
    return Constant(masks[kind])


def check_matrix(op: str, name: str, x: Node, square: bool = True) -> None:
    """Raise LinAlgError (a ValueError) unless x is a (stack of) matrices, square if asked;
    TypeError for complex input."""
    if x.dtype.kind == "c":
        raise TypeError(f"{op}: complex input {name} of shape {x.shape} is not supported")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{op}: input {name} has dtype {x.dtype}, not a number")
    if x.ndim < 2:
        raise np.linalg.LinAlgError(
            f"{op}: {name} must have at least 2 dimensions, got shape {x.shape}"
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise np.linalg.LinAlgError(
            f"{op}: the last two axes of {name} must be square, got shape {x.shape}"
        )


def _batch(op: str, a: Node, b: Node) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    except ValueError:
        raise ValueError(
            f"{op}: cannot broadcast the batch axes of a of shape {a.shape} and b of shape "
            f"{b.shape}"
        ) from None


def _expand(x: Node, axes: int) -> Node:
    """x with `axes` trailing size-1 axes (so a per-matrix number scales its matrix)."""
    return reshape(x, x.shape + (1,) * axes)


def _diag(v: Node) -> Node:
    """The stack of diagonal matrices with v (shape ``(..., n)``) on their diagonals."""
    n = v.shape[-1]
    return reshape(v, v.shape + (1,)) * _mask("eye", n, v.dtype)


def _triangle_gradient(s: Node, lower: bool) -> Node:
    """The gradient w.r.t. the one triangle NumPy reads, from S, the gradient w.r.t. a full
    matrix along symmetric directions: tril(S + S^T) - diag(S) (or triu for the upper)."""
    n = s.shape[-1]
    side = "lower" if lower else "upper"
    return (s + _mT(s)) * _mask(side, n, s.dtype) - s * _mask("eye", n, s.dtype)


class _Lapack(Node):
    """An op NumPy computes with LAPACK on the matrices of input 0, ``(..., m, n)``."""

    @property
    def blas_work(self) -> int:  # type: ignore[override]  # a property where Node has a class attribute
        """About m n min(m, n) multiply-adds per matrix: what its BLAS calls add up to."""
        *batch, m, n = self.inputs[0].shape
        return math.prod(batch) * m * n * min(m, n)


class Inv(_Lapack):
    """The inverse of each matrix; the gradient is -inv(a)^T g inv(a)^T."""

    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Inv", "a", a)
        return a.shape, float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        return np.linalg.inv(a).astype(self.dtype, copy=False)

    def grad(self, g):
        t = _mT(self)
        return (-matmul(matmul(t, g), t),)


class Solve(_Lapack):
    """x with a @ x = b, for a ``(..., n, n)`` and b ``(..., n, k)`` (batch axes broadcast).

    The gradient solves with a's transpose: b gets solve(a^T, g), a gets -solve(a^T, g) x^T.
    """

    fresh = True
    linear = (1,)

    @classmethod
    def infer(cls, a, b):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Solve", "a", a)
        check_matrix("Solve", "b", b, square=False)
        if b.shape[-2] != a.shape[-1]:
            raise ValueError(
                f"Solve: b of shape {b.shape} does not match a of shape {a.shape} "
                f"(b needs {a.shape[-1]} rows)"
            )
        dtype = np.result_type(float_dtype(a.dtype), float_dtype(b.dtype))
        return _batch("Solve", a, b) + b.shape[-2:], dtype

    def eval(self, a, b):  # type: ignore[override]  # an op names its own inputs
        return np.linalg.solve(a, b).astype(self.dtype, copy=False)

    def grad(self, g):
        a, b = self.inputs
        gb = Solve(_mT(a), g)
        ga = -matmul(gb, _mT(self))
        return unbroadcast(ga, self.ndim, a.shape), unbroadcast(gb, self.ndim, b.shape)


class SolveTriangular(_Lapack):
    """x with t @ x = b, where t is the lower (or upper) triangle of a ``(..., n, n)``,
    with ones on the diagonal if `unit_diagonal`; b is ``(..., n, k)``.

    Evaluated by substitution, row by row (vectorized over the batch and b's columns): what
    LAPACK's trtrs does, backward stable, n**2 k operations, and it reads only the triangle.
    """

    from_lower: bool  # the lower triangle (else the upper)
    unit_diagonal: bool

    fresh = True
    linear = (1,)

    @classmethod
    def infer(cls, a, b, *, from_lower, unit_diagonal):  # type: ignore[override]  # an op names its own inputs
        check_matrix("SolveTriangular", "a", a)
        check_matrix("SolveTriangular", "b", b, square=False)
        if b.shape[-2] != a.shape[-1]:
            raise ValueError(
                f"SolveTriangular: b of shape {b.shape} does not match a of shape {a.shape} "
                f"(b needs {a.shape[-1]} rows)"
            )
        dtype = np.result_type(float_dtype(a.dtype), float_dtype(b.dtype))
        return _batch("SolveTriangular", a, b) + b.shape[-2:], dtype

    def eval(self, a, b):  # type: ignore[override]  # an op names its own inputs
        n = a.shape[-1]
        a = a.astype(self.dtype, copy=False)
        diagonal = np.diagonal(a, axis1=-2, axis2=-1)
        if not self.unit_diagonal and np.any(diagonal == 0):
            raise np.linalg.LinAlgError("SolveTriangular: singular matrix (a zero on the diagonal)")
        x = np.broadcast_to(b, self.shape).astype(self.dtype)  # a copy, of any library
        rows = range(n) if self.from_lower else range(n - 1, -1, -1)
        for i in rows:
            known = slice(0, i) if self.from_lower else slice(i + 1, n)
            row = x[..., i, :] - np.matmul(a[..., i : i + 1, known], x[..., known, :])[..., 0, :]
            x[..., i, :] = row if self.unit_diagonal else row / diagonal[..., i : i + 1]
        return x

    def grad(self, g):
        a, b = self.inputs
        gb = SolveTriangular(
            _mT(a), g, from_lower=not self.from_lower, unit_diagonal=self.unit_diagonal
        )
        side = ("strict " if self.unit_diagonal else "") + ("lower" if self.from_lower else "upper")
        ga = -matmul(gb, _mT(self)) * _mask(side, a.shape[-1], gb.dtype)
        return unbroadcast(ga, self.ndim, a.shape), unbroadcast(gb, self.ndim, b.shape)


def solve_triangular(a: Node, b: Node, lower: bool, unit_diagonal: bool = False) -> Node:
    """The `SolveTriangular` node for matrix b (the helper the other gradients use)."""
    return SolveTriangular(a, b, from_lower=bool(lower), unit_diagonal=bool(unit_diagonal))


class Cofactor(_Lapack):
    """The cofactor matrix of each matrix (adj(a)^T, det(a) inv(a)^T where a is regular):
    the gradient of det, a polynomial in a, so finite at a singular a too.

    Evaluated as det(a) inv(a)^T from LU factorizations; a matrix whose determinant is 0 is
    computed from its SVD a = u diag(s) vh instead, as det(u) det(vh) u diag(c) vh with c_i
    the product of the singular values other than s_i (no division). Its gradient,
    <g, inv(a)^T> cof(a) - cof(a) g^T inv(a)^T, is built from the inverse: derivatives of det
    beyond the first need a regular matrix (LinAlgError at a singular one).
    """

    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Det", "a", a)
        return a.shape, float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        n = a.shape[-1]
        stack = a.astype(self.dtype, copy=False).reshape(int(np.prod(a.shape[:-2])), n, n)
        det = np.linalg.det(stack)
        out = np.empty_like(stack)
        regular = det != 0
        if regular.any():
            inverse = np.linalg.inv(stack[regular])
            out[regular] = det[regular, None, None] * np.swapaxes(inverse, -1, -2)
        if not regular.all():
            u, s, vh = np.linalg.svd(stack[~regular])
            before = np.cumprod(np.concatenate([np.ones_like(s[:, :1]), s[:, :-1]], 1), 1)
            after = np.cumprod(np.concatenate([np.ones_like(s[:, :1]), s[:, :0:-1]], 1), 1)
            others = before * after[:, ::-1]  # the product of the s_j with j != i
            sign = np.linalg.det(u) * np.linalg.det(vh)
            out[~regular] = sign[:, None, None] * np.matmul(u * others[:, None, :], vh)
        return out.reshape(a.shape)

    def grad(self, g):
        (a,) = self.inputs
        t = _mT(Inv(a))
        scale = _expand(reduce_sum(g * t, axis=(-2, -1)), 2)
        return (scale * self - matmul(matmul(self, _mT(g)), t),)


class Det(_Lapack):
    """The determinant of each matrix; the gradient is g times the cofactor matrix (g det(a)
    inv(a)^T where a is regular, and finite at a singular a)."""

    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Det", "a", a)
        return a.shape[:-2], float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        return np.asarray(np.linalg.det(a), dtype=self.dtype)

    def grad(self, g):
        (a,) = self.inputs
        return (_expand(g, 2) * Cofactor(a),)


class LogAbsDet(_Lapack):
    """log |det(a)| of each matrix, from an LU factorization (never log(det)); the gradient is
    g inv(a)^T."""

    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Slogdet", "a", a)
        return a.shape[:-2], float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        return np.asarray(np.linalg.slogdet(a)[1], dtype=self.dtype)

    def grad(self, g):
        (a,) = self.inputs
        return (_expand(g, 2) * _mT(Inv(a)),)


class SignDet(_Lapack):
    """The sign of det(a) (1, -1 or 0): piecewise constant, so no gradient flows through it."""

    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Slogdet", "a", a)
        return a.shape[:-2], float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        return np.asarray(np.linalg.slogdet(a)[0], dtype=self.dtype)

    def grad(self, g):
        return (None,)


class Cholesky(_Lapack):
    """The lower Cholesky factor L of each matrix (only its lower triangle is read).

    With P = Φ(L^T g) (the lower triangle, half the diagonal), S = L^-T P L^-1 by two
    triangular solves is the gradient along symmetric directions; the lower triangle gets
    tril(S + S^T) - diag(S).
    """

    fresh = True
    dispatches = False  # dask's np.linalg.cholesky gives the upper factor

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Cholesky", "a", a)
        return a.shape, float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        return np.linalg.cholesky(a).astype(self.dtype, copy=False)

    def grad(self, g):
        n = self.shape[-1]
        phi = Constant(np.tril(np.ones((n, n), g.dtype)) - 0.5 * np.eye(n, dtype=g.dtype))
        p = matmul(_mT(self), g) * phi
        y = solve_triangular(_mT(self), p, lower=False)  # L^-T P
        s = _mT(solve_triangular(_mT(self), _mT(y), lower=False))  # L^-T P L^-1
        return (_triangle_gradient(s, lower=True),)


class Eigh(_Lapack):
    """Eigenvalues w (ascending) and eigenvectors V of each symmetric matrix, packed as
    ``(..., n + 1, n)``: w in row 0, V below; only the triangle `from_lower` names is read.

    The gradient is V (diag(gw) + F ∘ (V^T gV)) V^T with F_ij = 1 / (w_j - w_i) off the
    diagonal, mapped to the triangle read: it needs distinct eigenvalues.
    """

    from_lower: bool  # the lower triangle (else the upper)

    fresh = True

    @classmethod
    def infer(cls, a, *, from_lower):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Eigh", "a", a)
        n = a.shape[-1]
        return a.shape[:-2] + (n + 1, n), float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        w, v = np.linalg.eigh(a, UPLO="L" if self.from_lower else "U")
        return np.concatenate([w[..., None, :], v], axis=-2).astype(self.dtype, copy=False)

    def grad(self, g):
        w, v = self[..., 0, :], self[..., 1:, :]
        gw, gv = g[..., 0, :], g[..., 1:, :]
        f = _gaps(w, w)
        inner = _diag(gw) + f * matmul(_mT(v), gv)
        s = matmul(matmul(v, inner), _mT(v))
        return (_triangle_gradient(s, lower=self.from_lower),)


def _gaps(x: Node, y: Node) -> Node:
    """F_ij = 1 / (y_j - x_i) off the diagonal, 0 on it (inf where two values are equal)."""
    n = x.shape[-1]
    d = reshape(y, y.shape[:-1] + (1, n)) - reshape(x, x.shape + (1,))
    eye, off = _mask("eye", n, d.dtype), _mask("off", n, d.dtype)
    return off / (d + eye)


class Eigvalsh(_Lapack):
    """The eigenvalues of each symmetric matrix, ascending (np.linalg.eigvalsh), reading the
    triangle `from_lower` names. The gradient V diag(g) V^T takes V from the `Eigh` node of
    the same input: finite at any spectrum (at repeated eigenvalues, one of the subgradients)."""

    from_lower: bool

    fresh = True

    @classmethod
    def infer(cls, a, *, from_lower):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Eigh", "a", a)
        return a.shape[:-1], float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        w = np.linalg.eigvalsh(a, UPLO="L" if self.from_lower else "U")
        return w.astype(self.dtype, copy=False)

    def grad(self, g):
        v = Eigh(self.inputs[0], from_lower=self.from_lower)[..., 1:, :]
        s = matmul(v * reshape(g, g.shape[:-1] + (1, g.shape[-1])), _mT(v))
        return (_triangle_gradient(s, lower=self.from_lower),)


def eigh(a: Node, lower: bool) -> tuple[Node, Node]:
    """(eigenvalues, eigenvectors): the eigenvalues an `Eigvalsh` node (so a function of them
    alone has a finite gradient at any spectrum), the vectors sliced from `Eigh`."""
    packed = Eigh(a, from_lower=bool(lower))
    return Eigvalsh(a, from_lower=bool(lower)), packed[..., 1:, :]


class Svd(_Lapack):
    """U, s and V (not Vh) of each matrix, packed as ``(..., m + 1 + n, width)``: U in the
    first m rows, s in the next, V in the last n, zero padded to the widest.

    The reduced gradient (Townsend, 2016) has F_ij = 1 / (s_j**2 - s_i**2) and 1/s terms: it
    needs distinct, non-zero singular values. With `full_matrices` on a non-square input the
    extra columns of U or V are arbitrary and the gradient raises NotImplementedError.
    """

    full_matrices: bool

    fresh = True

    @classmethod
    def infer(cls, a, *, full_matrices):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Svd", "a", a, square=False)
        m, n = a.shape[-2:]
        width = max(m, n) if full_matrices else min(m, n)
        return a.shape[:-2] + (m + 1 + n, width), float_dtype(a.dtype)

    def columns(self) -> tuple[int, int, int]:
        m, n = self.inputs[0].shape[-2:]
        k = min(m, n)
        return (m, k, n) if self.full_matrices else (k, k, k)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        m = a.shape[-2]
        cu, k, cv = self.columns()
        u, s, vh = np.linalg.svd(a, full_matrices=self.full_matrices)
        out = np.zeros(self.shape, self.dtype, like=like_of(a))
        out[..., :m, :cu] = u
        out[..., m, :k] = s
        out[..., m + 1 :, :cv] = np.swapaxes(vh, -1, -2)
        return out

    def parts(self, x: Node) -> tuple[Node, Node, Node]:
        """(U, s, V) from the packed node, or from a cotangent of its shape."""
        m = self.inputs[0].shape[-2]
        cu, k, cv = self.columns()
        return x[..., :m, :cu], x[..., m, :k], x[..., m + 1 :, :cv]

    def grad(self, g):
        m, n = self.inputs[0].shape[-2:]
        if self.full_matrices and m != n:
            raise NotImplementedError(
                f"Svd: no gradient with full_matrices=True for input of shape "
                f"{self.inputs[0].shape} (its extra singular vectors are arbitrary); "
                "use full_matrices=False"
            )
        u, s, v = self.parts(self)
        gu, gs, gv = self.parts(g)
        f = _gaps(s * s, s * s)
        ut_gu, vt_gv = matmul(_mT(u), gu), matmul(_mT(v), gv)
        j, k = f * (ut_gu - _mT(ut_gu)), f * (vt_gv - _mT(vt_gv))
        row_s = reshape(s, s.shape[:-1] + (1, s.shape[-1]))  # scales columns
        col_s = reshape(s, s.shape + (1,))  # scales rows
        inner = j * row_s + _diag(gs) + col_s * k
        result = matmul(matmul(u, inner), _mT(v))
        if m > n:  # (I - U U^T) gU S^-1 V^T
            result = result + matmul((gu - matmul(u, ut_gu)) / row_s, _mT(v))
        if n > m:  # U S^-1 gV^T (I - V V^T)
            result = result + matmul(u, _mT(gv - matmul(v, vt_gv)) / col_s)
        return (result,)


class SingularValues(_Lapack):
    """The singular values of each matrix, descending (np.linalg.svd(compute_uv=False)); the
    gradient U diag(g) V^T takes U and V from the `Svd` node of the same input."""

    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Svd", "a", a, square=False)
        return a.shape[:-2] + (min(a.shape[-2:]),), float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        return np.linalg.svd(a, compute_uv=False).astype(self.dtype, copy=False)

    def grad(self, g):
        packed = Svd(self.inputs[0], full_matrices=False)
        u, _, v = packed.parts(packed)
        scaled = u * reshape(g, g.shape[:-1] + (1, g.shape[-1]))  # U diag(g)
        return (matmul(scaled, _mT(v)),)


def svd(a: Node, full_matrices: bool) -> tuple[Node, Node, Node]:
    """(U, s, Vh): U and Vh sliced from `Svd`'s packed node, s a `SingularValues` node (so a
    function of s alone has a finite gradient at any spectrum)."""
    packed = Svd(a, full_matrices=bool(full_matrices))
    u, _, v = packed.parts(packed)
    return u, SingularValues(a), _mT(v)


class Qr(_Lapack):
    """The reduced QR factorization of each matrix, packed as ``(..., m + n, k)``: Q in the
    first m rows, R^T in the last n (k = min(m, n)).

    The gradient (for m >= n; a wide input splits as [X | Y] = Q [U | V]):
    (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q, copyltu copying the lower triangle
    to the upper; it needs R invertible (full column rank).
    """

    dispatches = False  # dask's qr: other signs, and tall-and-skinny chunks only

    fresh = True

    @classmethod
    def infer(cls, a):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Qr", "a", a, square=False)
        m, n = a.shape[-2:]
        return a.shape[:-2] + (m + n, min(m, n)), float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        q, r = np.linalg.qr(a)
        return np.concatenate([q, np.swapaxes(r, -1, -2)], axis=-2).astype(self.dtype, copy=False)

    def parts(self, x: Node) -> tuple[Node, Node]:
        """(Q, R) from the packed node, or from a cotangent of its shape."""
        m = self.inputs[0].shape[-2]
        return x[..., :m, :], _mT(x[..., m:, :])

    def grad(self, g):
        (a,) = self.inputs
        m, n = a.shape[-2:]
        q, r = self.parts(self)
        gq, gr = self.parts(g)
        if m >= n:
            return (_qr_grad(q, r, gq, gr),)
        u, gu, gv = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        y = a[..., :, m:]
        gx = _qr_grad(q, u, gq + matmul(y, _mT(gv)), gu)
        return (concatenate([gx, matmul(q, gv)], axis=-1),)


def _qr_grad(q: Node, r: Node, gq: Node, gr: Node) -> Node:
    """The gradient of a tall (or square) reduced QR: (gQ + Q copyltu(M)) R^-T."""
    n = r.shape[-1]
    m_ = matmul(r, _mT(gr)) - matmul(_mT(gq), q)
    copied = m_ * _mask("lower", n, m_.dtype) + _mT(m_ * _mask("strict lower", n, m_.dtype))
    b = gq + matmul(q, copied)
    return _mT(solve_triangular(r, _mT(b), lower=False))


def qr(a: Node) -> tuple[Node, Node]:
    """(Q, R) of `Qr`, sliced from its packed node."""
    packed = Qr(a)
    return packed.parts(packed)


class Pinv(_Lapack):
    """The Moore-Penrose pseudo-inverse X of each matrix, as np.linalg.pinv.

    The gradient is that of a matrix of constant rank (Golub and Pereyra, 1973):
    -X^T g X^T + (I - a X) g^T X X^T + X^T X g^T (I - X a), from X itself.
    """

    rcond: float | None
    rtol: float | None

    fresh = True

    @classmethod
    def infer(cls, a, *, rcond, rtol):  # type: ignore[override]  # an op names its own inputs
        check_matrix("Pinv", "a", a, square=False)
        return a.shape[:-2] + a.shape[-1:] + a.shape[-2:-1], float_dtype(a.dtype)

    def eval(self, a):  # type: ignore[override]  # an op names its own inputs
        given = {"rcond": self.rcond} if self.rtol is None else {"rtol": self.rtol}
        return np.linalg.pinv(a, **given).astype(self.dtype, copy=False)

    def grad(self, g):
        (a,) = self.inputs
        return (unbroadcast(pinv_vjp(self, a, g), self.ndim, a.shape),)


def pinv_vjp(x: Node, a: Node, g: Node) -> Node:
    """The gradient w.r.t. a of <g, pinv(a)>, for x = pinv(a) of constant rank."""
    xt, gt = _mT(x), _mT(g)
    first = -matmul(matmul(xt, g), xt)
    gt_x_xt = matmul(gt, matmul(x, xt))
    second = gt_x_xt - matmul(a, matmul(x, gt_x_xt))
    xt_x_gt = matmul(matmul(xt, x), gt)
    third = xt_x_gt - matmul(matmul(xt_x_gt, x), a)
    return first + second + third


class Lstsq(_Lapack):
    """The least-squares solution x of a @ x ~ b (a ``(m, n)``, b ``(m, k)``), as
    np.linalg.lstsq; the gradient is that of pinv(a) @ b (a of constant rank)."""

    rcond: float | None

    fresh = True
    linear = (1,)

    @classmethod
    def infer(cls, a, b, *, rcond):  # type: ignore[override]  # an op names its own inputs
        for name, x in (("a", a), ("b", b)):
            if x.ndim != 2:
                raise np.linalg.LinAlgError(
                    f"Lstsq: {name} must be 2-dimensional, got shape {x.shape}"
                )
        check_matrix("Lstsq", "a", a, square=False)
        check_matrix("Lstsq", "b", b, square=False)
        if a.shape[0] != b.shape[0]:
            raise np.linalg.LinAlgError(
                f"Lstsq: a of shape {a.shape} and b of shape {b.shape} have different rows"
            )
        dtype = np.result_type(float_dtype(a.dtype), float_dtype(b.dtype))
        return (a.shape[1], b.shape[1]), dtype

    def eval(self, a, b):  # type: ignore[override]  # an op names its own inputs
        return np.linalg.lstsq(a, b, rcond=self.rcond)[0].astype(self.dtype, copy=False)

    def pinv(self) -> Node:
        a, b = self.inputs
        rtol = np.finfo(self.dtype).eps * max(a.shape) if self.rcond is None else self.rcond
        return Pinv(a, rcond=None, rtol=float(rtol))

    def grad(self, g):
        a, b = self.inputs
        x = self.pinv()
        ga = pinv_vjp(x, a, matmul(g, _mT(b)))
        gb = matmul(_mT(x), g)
        return ga, gb
