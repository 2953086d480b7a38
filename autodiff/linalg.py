"""Linear algebra as np.linalg, differentiable to any order: ``ad.linalg.solve(a, b)``.

Every function takes stacks of matrices (leading ``...`` axes) as NumPy does, checks shapes
when the graph is built (`np.linalg.LinAlgError`, a ValueError, where NumPy raises it, naming
the function and the shapes) and returns Nodes: functions that NumPy gives several results
return a named tuple of Nodes with NumPy's field names. `solve_triangular` follows
scipy.linalg's signature. Gradients are graphs of these same ops (see `autodiff.ops.linalg`):

* `cholesky` and `eigh` read one triangle, as NumPy does; their gradients are w.r.t. the
  entries read (zero on the other triangle).
* `eigh` and `svd` need distinct eigenvalues / singular values (and `svd` non-zero ones) for
  their vectors' gradients: at a degenerate spectrum the gradient is inf or nan (the vectors
  are not unique there). Eigenvalues and singular values alone have finite gradients
  everywhere (V diag(g) V^T; at repeated values, one of the subgradients). `svd` with
  ``full_matrices=True`` (NumPy's default) of a non-square matrix has no gradient for U
  and Vh (NotImplementedError): pass ``full_matrices=False``.
* `pinv` and `lstsq` are differentiated as functions of a matrix of constant rank. `det`'s
  gradient is the cofactor matrix, finite at a singular matrix too (as JAX's); its higher
  derivatives there raise LinAlgError when evaluated (they are built from the inverse).
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from .node import Node, as_node
from .ops import linalg as _ops
from .ops._common import normalize_axes
from .ops.creation import eye, zeros
from .ops.einsum import broadcast_to, einsum, matmul, sum, transpose
from .ops.einsum import diagonal as _diagonal
from .ops.einsum import outer as _outer
from .ops.einsum import tensordot as _tensordot
from .ops.einsum import trace as _trace
from .ops.elementwise import astype, greater, not_equal, square
from .ops.reduce import max as _max
from .ops.reduce import min as _min
from .ops.reduce import norm
from .ops.shape import reshape

__all__ = [
    "inv",
    "solve",
    "det",
    "slogdet",
    "cholesky",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "pinv",
    "qr",
    "lstsq",
    "matrix_power",
    "matrix_transpose",
    "norm",
    "solve_triangular",
    "matmul",
    "outer",
    "tensordot",
    "trace",
    "diagonal",
    "multi_dot",
    "vector_norm",
    "matrix_norm",
    "cond",
    "matrix_rank",
    "SlogdetResult",
    "EighResult",
    "SVDResult",
    "QRResult",
    "LstsqResult",
]

norm = norm  # ad.linalg.norm is ad.norm (vector and matrix norms, ord 2, -2, 'nuc' by svd)
matrix_transpose = _ops.matrix_transpose
matmul = matmul  # np.linalg.matmul is np.matmul


class SlogdetResult(NamedTuple):
    sign: Node
    logabsdet: Node


class EighResult(NamedTuple):
    eigenvalues: Node
    eigenvectors: Node


class SVDResult(NamedTuple):
    U: Node
    S: Node
    Vh: Node


class QRResult(NamedTuple):
    Q: Node
    R: Node


class LstsqResult(NamedTuple):
    x: Node
    residuals: Node
    rank: Node
    s: Node


def inv(a) -> Node:
    """The inverse of each matrix, as np.linalg.inv.

    >>> import numpy as np, autodiff as ad
    >>> a = ad.Variable(np.array([[2.0, 0.0], [0.0, 4.0]]))
    >>> ad.linalg.inv(a)()
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    return _ops.Inv(as_node(a))


def solve(a, b) -> Node:
    """x with a @ x = b, as np.linalg.solve with NumPy 2's rule for b: a 1-d b is one vector
    (shape ``(n,)``, a of shape ``(..., n, n)``), any other b a stack of matrices
    ``(..., n, k)`` whose batch axes broadcast with a's. The gradient solves with a's
    transpose (no inverse is formed).

    >>> import numpy as np, autodiff as ad
    >>> a = ad.Variable(np.array([[3.0, 1.0], [1.0, 2.0]]))
    >>> ad.linalg.solve(a, np.array([9.0, 8.0]))()
    array([2., 3.])
    """
    a, b = as_node(a), as_node(b)
    _ops.check_matrix("Solve", "a", a)
    if b.ndim == 1:
        if b.shape[0] != a.shape[-1]:
            raise ValueError(
                f"Solve: b of shape {b.shape} does not match a of shape {a.shape} "
                f"(b needs {a.shape[-1]} entries)"
            )
        return _ops.Solve(a, reshape(b, b.shape + (1,)))[..., 0]
    return _ops.Solve(a, b)


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False) -> Node:
    """x with t @ x = b (or t.T @ x = b with ``trans=1`` or 'T'), where t is the lower (with
    `lower`) or upper triangle of a, as scipy.linalg.solve_triangular; the other triangle is
    not read, nor the diagonal with `unit_diagonal` (taken as ones). b as in `solve`: 1-d is
    one vector, else a stack of matrices; batch axes broadcast. Evaluated by substitution
    with NumPy (no SciPy needed); a zero on the diagonal raises LinAlgError.

    >>> import numpy as np, autodiff as ad
    >>> L = ad.Variable(np.array([[2.0, 0.0], [1.0, 1.0]]))
    >>> ad.linalg.solve_triangular(L, np.array([4.0, 3.0]), lower=True)()
    array([2., 1.])
    """
    a, b = as_node(a), as_node(b)
    _ops.check_matrix("SolveTriangular", "a", a)
    if trans in (1, "T", 2, "C"):
        a, lower = _ops.matrix_transpose(a), not lower
    elif trans not in (0, "N"):
        raise ValueError(f"SolveTriangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if b.ndim == 1:
        if b.shape[0] != a.shape[-1]:
            raise ValueError(
                f"SolveTriangular: b of shape {b.shape} does not match a of shape {a.shape} "
                f"(b needs {a.shape[-1]} entries)"
            )
        return _ops.solve_triangular(a, reshape(b, b.shape + (1,)), lower, unit_diagonal)[..., 0]
    return _ops.solve_triangular(a, b, lower, unit_diagonal)


def det(a) -> Node:
    """The determinant of each matrix, as np.linalg.det. For its logarithm use `slogdet`.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.det(ad.Variable(np.array([[1.0, 2.0], [3.0, 4.0]])))()
    array(-2.)
    """
    return _ops.Det(as_node(a))


def slogdet(a) -> SlogdetResult:
    """(sign, logabsdet) of each matrix's determinant, as np.linalg.slogdet: no overflow
    where det would. The sign carries no gradient; logabsdet's is inv(a)^T, to any order.

    >>> import numpy as np, autodiff as ad
    >>> a = ad.Variable(np.array([[0.0, 2.0], [3.0, 0.0]]))
    >>> sign, logabsdet = ad.linalg.slogdet(a)
    >>> sign(), logabsdet()   # log 6
    (array(-1.), array(1.79175947))
    """
    a = as_node(a)
    return SlogdetResult(_ops.SignDet(a), _ops.LogAbsDet(a))


def cholesky(a, /, *, upper: bool = False) -> Node:
    """The Cholesky factor of each symmetric positive-definite matrix, as np.linalg.cholesky:
    lower L with a = L @ L.T reading a's lower triangle, or with ``upper=True`` the upper
    factor U = L.T reading the upper one. Not positive definite: LinAlgError on evaluation.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.cholesky(ad.Variable(np.array([[4.0, 2.0], [2.0, 2.0]])))()
    array([[2., 0.],
           [1., 1.]])
    """
    a = as_node(a)
    if upper:
        _ops.check_matrix("Cholesky", "a", a)
        return _ops.matrix_transpose(_ops.Cholesky(_ops.matrix_transpose(a)))
    return _ops.Cholesky(a)


def _uplo(op: str, UPLO) -> bool:
    if UPLO not in ("L", "U", "l", "u"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO in ("L", "l")


def eigh(a, UPLO: str = "L") -> EighResult:
    """(eigenvalues, eigenvectors) of each symmetric matrix, as np.linalg.eigh: eigenvalues
    ascending, eigenvectors as columns; only the `UPLO` triangle is read. The gradient needs
    distinct eigenvalues (a function of the eigenvalues alone, as `eigvalsh`, needs nothing).

    >>> import numpy as np, autodiff as ad
    >>> w, v = ad.linalg.eigh(ad.Variable(np.array([[2.0, 1.0], [1.0, 2.0]])))
    >>> w()
    array([1., 3.])
    """
    a = as_node(a)
    return EighResult(*_ops.eigh(a, _uplo("Eigh", UPLO)))


def eigvalsh(a, UPLO: str = "L") -> Node:
    """The eigenvalues of each symmetric matrix, ascending, as np.linalg.eigvalsh.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.eigvalsh(ad.Variable(np.array([[2.0, 1.0], [1.0, 2.0]])))()
    array([1., 3.])
    """
    return _ops.Eigvalsh(as_node(a), from_lower=_uplo("Eigvalsh", UPLO))


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """(U, S, Vh) with a = U @ diag(S) @ Vh, or S alone with ``compute_uv=False``, as
    np.linalg.svd. The gradient of U and Vh needs distinct non-zero singular values (as
    JAX's and autograd's), and ``full_matrices=False`` for a non-square a; that of S alone
    needs neither.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.svd(ad.Variable(np.array([[3.0, 0.0], [0.0, -4.0]])), compute_uv=False)()
    array([4., 3.])
    """
    a = as_node(a)
    if hermitian:
        raise NotImplementedError("Svd: hermitian=True is not supported; use eigh")
    if not compute_uv:
        return _ops.SingularValues(a)
    return SVDResult(*_ops.svd(a, full_matrices))


def svdvals(x) -> Node:
    """The singular values of each matrix, descending, as np.linalg.svdvals.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.svdvals(ad.Variable(np.array([[0.0, 2.0], [1.0, 0.0]])))()
    array([2., 1.])
    """
    return _ops.SingularValues(as_node(x))


def qr(a, mode: str = "reduced"):
    """(Q, R) of each matrix, as np.linalg.qr: 'reduced' (the default), 'r' (R alone) or
    'complete' where it equals 'reduced' (no more rows than columns); the gradient needs R
    invertible.

    >>> import numpy as np, autodiff as ad
    >>> q, r = ad.linalg.qr(ad.Variable(np.array([[3.0], [4.0]])))
    >>> r()
    array([[-5.]])
    """
    a = as_node(a)
    _ops.check_matrix("Qr", "a", a, square=False)
    if mode not in ("reduced", "r", "complete", "raw"):
        raise ValueError(f"Qr: unrecognized mode {mode!r}")
    if mode == "raw" or (mode == "complete" and a.shape[-2] > a.shape[-1]):
        raise NotImplementedError(
            f"Qr: mode={mode!r} is not supported for input of shape {a.shape}; use 'reduced'"
        )
    q, r = _ops.qr(a)
    return r if mode == "r" else QRResult(q, r)


def pinv(a, rcond=None, hermitian: bool = False, *, rtol=None) -> Node:
    """The Moore-Penrose pseudo-inverse of each matrix, as np.linalg.pinv (`rcond` or `rtol`:
    the relative cutoff for small singular values). Differentiated as a function of a
    matrix of constant rank.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.pinv(ad.Variable(np.array([[1.0], [1.0]])))()
    array([[0.5, 0.5]])
    """
    a = as_node(a)
    if hermitian:
        raise NotImplementedError("Pinv: hermitian=True is not supported")
    if rcond is not None and rtol is not None:
        raise ValueError("Pinv: pass rcond or rtol, not both")
    for name, value in (("rcond", rcond), ("rtol", rtol)):
        if isinstance(value, Node):  # float() would freeze its current value
            raise TypeError(f"Pinv: {name} must be a number, not a node ({value!r})")
        if value is not None and np.ndim(value) != 0:
            raise NotImplementedError(f"Pinv: {name} must be a number, got {value!r}")
    return _ops.Pinv(
        a,
        rcond=None if rcond is None else float(rcond),
        rtol=None if rtol is None else float(rtol),
    )


def lstsq(a, b, rcond=None) -> LstsqResult:
    """(x, residuals, rank, s), as np.linalg.lstsq of a 2-d a and a 1-d or 2-d b, all Nodes:
    x minimizes ||b - a @ x|| (differentiable, for a of constant rank), residuals the sums
    of squares of b - a @ x per column where a has more rows than columns (else empty:
    NumPy also returns an empty array where a is rank deficient, this the sums), rank an
    int32 and s the singular values of a.

    >>> import numpy as np, autodiff as ad
    >>> a = ad.Variable(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    >>> x, residuals, rank, s = ad.linalg.lstsq(a, np.array([1.0, 1.0, 3.0]))
    >>> x(), residuals(), int(rank())
    (array([1.33333333, 1.33333333]), array([0.33333333]), 2)
    """
    a, b = as_node(a), as_node(b)
    vector = b.ndim == 1
    if vector:
        b = reshape(b, b.shape + (1,))
    if isinstance(rcond, Node):  # float() would freeze its current value
        raise TypeError(f"Lstsq: rcond must be a number, not a node ({rcond!r})")
    r = None if rcond is None else float(rcond)
    x = _ops.Lstsq(a, b, rcond=r)
    m, n = a.shape
    if m > n:
        residuals = sum(square(b - matmul(a, x)), axis=0)
    else:
        residuals = as_node(np.zeros(0, x.dtype))
    s = _ops.SingularValues(a)
    cutoff = np.finfo(x.dtype).eps * max(m, n) if r is None else r
    rank = astype(sum(greater(s, _max(s) * cutoff)), np.int32)
    return LstsqResult(x[:, 0] if vector else x, residuals, rank, s)


def matrix_power(a, n: int) -> Node:
    """a raised to the integer power n by repeated squaring, as np.linalg.matrix_power; n < 0
    inverts first, n = 0 gives identity matrices of a's dtype.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.matrix_power(ad.Variable(np.array([[1.0, 1.0], [0.0, 1.0]])), 3)()
    array([[1., 3.],
           [0., 1.]])
    """
    a = as_node(a)
    _ops.check_matrix("MatrixPower", "a", a)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"MatrixPower: exponent must be an integer, got {n!r}") from None
    if n == 0:
        return broadcast_to(eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n < 0:
        a, n = inv(a), -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None  # as NumPy: the binary decomposition of n
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    assert result is not None  # n > 0 sets a bit
    return result


# -- the rest of np.linalg's namespace, as compositions ------------------------------------
def outer(x1, x2, /) -> Node:
    """The outer product of two vectors, as np.linalg.outer (1-d inputs only).

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.outer(ad.Variable(np.array([1.0, 2.0])), np.array([3.0, 4.0]))()
    array([[3., 4.],
           [6., 8.]])
    """
    x1, x2 = as_node(x1), as_node(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(
            f"Outer: inputs must be 1-dimensional, got shapes {x1.shape} and {x2.shape}"
        )
    return _outer(x1, x2)


def tensordot(x1, x2, /, *, axes=2) -> Node:
    """np.linalg.tensordot: ad.tensordot with keyword-only axes.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.tensordot(ad.Variable(np.ones((2, 3))), np.ones((2, 3)))()
    array(6.)
    """
    return _tensordot(x1, x2, axes)


def trace(x, /, *, offset: int = 0) -> Node:
    """The trace of each matrix (the last two axes), as np.linalg.trace.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.trace(ad.Variable(np.ones((4, 2, 2))))()
    array([2., 2., 2., 2.])
    """
    x = as_node(x)
    _ops.check_matrix("Trace", "x", x, square=False)
    return _trace(x, offset, -2, -1)


def diagonal(x, /, *, offset: int = 0) -> Node:
    """The diagonal of each matrix (the last two axes), as np.linalg.diagonal.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.diagonal(ad.Variable(np.arange(4.0).reshape(2, 2)))()
    array([0., 3.])
    """
    x = as_node(x)
    _ops.check_matrix("Diagonal", "x", x, square=False)
    return _diagonal(x, offset, -2, -1)


def multi_dot(arrays) -> Node:
    """The product of a chain of matrices (the first and last may be vectors), as
    np.linalg.multi_dot; one einsum, whose order opt_einsum chooses.

    >>> import numpy as np, autodiff as ad
    >>> a = ad.Variable(np.ones((2, 3)))
    >>> ad.linalg.multi_dot([a, np.ones((3, 4)), np.ones(4)])()
    array([12., 12.])
    """
    nodes = [as_node(a) for a in arrays]
    if len(nodes) < 2:
        raise ValueError(f"MultiDot: expecting at least two arrays, got {len(nodes)}")
    for i, x in enumerate(nodes):
        end = i in (0, len(nodes) - 1)
        if x.ndim != 2 and not (end and x.ndim == 1):
            raise np.linalg.LinAlgError(
                f"MultiDot: array {i} of shape {x.shape} must be 2-dimensional"
                + (" (or 1-d at an end)" if end else "")
            )
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    terms = []
    for i, x in enumerate(nodes):
        pair = letters[i] + letters[i + 1]
        if x.ndim == 1:
            pair = pair[1] if i == 0 else pair[0]
        terms.append(pair)
    out = (terms[0][0] if nodes[0].ndim == 2 else "") + (
        terms[-1][-1] if nodes[-1].ndim == 2 else ""
    )
    for i in range(len(nodes) - 1):
        right = nodes[i + 1].shape[0]
        left = nodes[i].shape[-1]
        if left != right:
            raise ValueError(
                f"MultiDot: array {i} of shape {nodes[i].shape} does not chain with array "
                f"{i + 1} of shape {nodes[i + 1].shape}"
            )
    return einsum(",".join(terms) + "->" + out, *nodes)


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2) -> Node:
    """Vector norms, as np.linalg.vector_norm: the axes named (all for None) are one vector.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.vector_norm(ad.Variable(np.full((2, 2), 2.0)), ord=1)()
    array(8.)
    """
    x = as_node(x)
    axes = normalize_axes("VectorNorm", axis, x.shape)
    others = tuple(i for i in range(x.ndim) if i not in axes)
    kept = tuple(n for i, n in enumerate(x.shape) if i in others)
    flat = reshape(transpose(x, others + axes), kept + (-1,))  # the axes as one vector
    result = norm(flat, ord, -1)
    if keepdims:
        result = reshape(result, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return result


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro") -> Node:
    """Matrix norms of the last two axes, as np.linalg.matrix_norm.

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.matrix_norm(ad.Variable(np.array([[3.0, 0.0], [0.0, 4.0]])), ord=2)()
    array(4.)
    """
    x = as_node(x)
    _ops.check_matrix("MatrixNorm", "x", x, square=False)
    return norm(x, ord, (-2, -1), keepdims)


def cond(x, p=None) -> Node:
    """The condition number of each matrix, as np.linalg.cond: for p None or 2 the ratio of
    the largest to the smallest singular value (-2: its inverse), else norm(x, p) times
    norm(inv(x), p).

    >>> import numpy as np, autodiff as ad
    >>> ad.linalg.cond(ad.Variable(np.array([[1.0, 0.0], [0.0, 4.0]])))()
    array(4.)
    """
    x = as_node(x)
    if p in (None, 2, -2):
        s = svdvals(x)
        big, small = _max(s, -1), _min(s, -1)
        return small / big if p == -2 else big / small
    _ops.check_matrix("Cond", "x", x)
    return norm(x, p, (-2, -1)) * norm(inv(x), p, (-2, -1))


def matrix_rank(A, tol=None, hermitian: bool = False, *, rtol=None) -> Node:
    """The rank of each matrix (singular values above the tolerance), as np.linalg.matrix_rank;
    an integer Node, with no gradient.

    >>> import numpy as np, autodiff as ad
    >>> int(ad.linalg.matrix_rank(ad.Variable(np.outer([1.0, 2.0], [3.0, 4.0])))())
    1
    """
    a = as_node(A)
    if hermitian:
        raise NotImplementedError("MatrixRank: hermitian=True is not supported")
    if a.ndim < 2:
        return astype(greater(sum(not_equal(a, 0)), 0), np.int64)
    s = svdvals(a)
    if s.shape[-1] == 0:  # an empty matrix has rank 0 (and no largest singular value)
        return astype(zeros(s.shape[:-1]), np.int64)
    if tol is not None:
        cutoff = as_node(tol, like=s)
    else:
        m, n = a.shape[-2:]
        relative = np.finfo(s.dtype).eps * max(m, n) if rtol is None else rtol
        cutoff = _max(s, -1, keepdims=True) * relative
    if tol is not None and cutoff.ndim > 0:
        cutoff = reshape(cutoff, cutoff.shape + (1,))
    return astype(sum(greater(s, cutoff), -1), np.int64)
