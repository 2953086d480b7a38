"""Einsum's plan: one einsum lowered to the NumPy calls that carry it out.

`write_einsum` writes, through the planner's writer `w`, the contractions of pairs in the
order opt_einsum chooses: matrix products (matmul, with batch axes), broadcast products,
sums and transposes, laid out so that as little as possible is copied. `Einsum.lower`
calls it; the planner (`autodiff.compile`) knows nothing of einsums. The writer offers
``w.lines`` (the plan's lines), ``w.bind(value, prefix)`` (a name for an object),
``w.temp()`` (a fresh name), ``w.arranged(expression, operand)`` (done once when the operand
is a constant) and ``w.dtype`` (the einsum's dtype when all its operands share it).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import opt_einsum


@functools.lru_cache(maxsize=4096)
def _path(equation: str, shapes: tuple) -> list[tuple[int, ...]]:
    """The pairwise contraction order for `equation` on `shapes`: the cheapest (in flops,
    then in its largest intermediate) of opt_einsum's "auto" and "dp" orders.

    "auto" alone is not enough: for up to four operands it is opt_einsum's "optimal", which
    in opt_einsum 3.4 misses cheaper orders (its issues 248 and 254). For the Hessian of a
    logistic regression, ``ab,a,a,ac->bc`` with X (n, d), it takes the outer product of the
    two X's first, an (n, d, d) intermediate, where "dp" scales the rows and makes one GEMM.
    """
    found = []
    for optimize in ("auto", "dp") if len(shapes) > 2 else ("auto",):
        path, info = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=optimize)
        found.append((float(info.opt_cost), float(info.largest_intermediate), path))
    return min(found, key=lambda f: f[:2])[2]


def write_einsum(w: Any, node: Any, operands: list[str], target: str, into=None) -> None:
    """Write `node` as NumPy calls: contractions of pairs, in opt_einsum's order.

    `into`, if given, makes views of a buffer the last product may write into.
    """
    if _write_gram(w, node, operands, target) or _write_sparse(w, node, operands, target, into):
        return
    terms, out, sizes = node.labels()
    live = list(zip(terms, operands, strict=True))
    if len(live) > 2:
        for step in _path(node.equation, tuple(x.shape for x in node.inputs)):
            picked = [live[i] for i in step]
            for i in sorted(step, reverse=True):
                del live[i]
            if not live:  # the last contraction writes the result
                live = picked
                break
            needed = set(out).union(*(t for t, _ in live))
            keep = "".join(
                label for label in dict.fromkeys("".join(t for t, _ in picked)) if label in needed
            )
            temp = w.temp()
            order = _write_few(
                w, [t for t, _ in picked], keep, [v for _, v in picked], sizes, temp, out
            )
            live.append((order, temp))
    _write_few(w, [t for t, _ in live], out, [v for _, v in live], sizes, target, into=into)


_OUTER_SIZE = 4096  # outer products from this many elements on are written as np.einsum
_SPARSE_SIZE = 4096  # results from this many elements on may be written from a sparse constant
_SPARSE_SHARE = 4  # ... when it gives at most this fraction (1 / _SPARSE_SHARE) of the result
_GRAM_WORK = 1 << 21  # multiply-adds from which a symmetric product pays for its square root


def weighted_gram(x: np.ndarray, s: np.ndarray, axis: int) -> np.ndarray:
    """``x.T @ diag(s) @ x`` (`axis` 0) or ``x @ diag(s) @ x.T`` (`axis` 1), symmetric.

    With every weight >= 0 (no nan) it is the Gram matrix of ``sqrt(s)``-scaled rows, which
    BLAS forms as a symmetric rank-k update in about half the time of a general product; else
    the general product.
    """
    scale = (lambda v: v[:, None]) if axis == 0 else (lambda v: v)
    if s.min() >= 0:
        r = x * scale(np.sqrt(s))
        return r.T @ r if axis == 0 else r @ r.T
    return x.T @ (x * scale(s)) if axis == 0 else (x * scale(s)) @ x.T


def _write_gram(w: Any, node: Any, operands: list[str], target: str) -> bool:
    """Write ``x.T diag(s1 s2 ...) x`` (a GLM's Hessian, a Gauss-Newton matrix) as one
    `weighted_gram` when it is large enough; False where the einsum is not of that form.

    The form: one 2-D node x twice, contracted over the same axis, the other operands vectors
    over that axis only, and the two free axes of x as the output (the result is symmetric,
    so either order).
    """
    terms, out, sizes = node.labels()
    twice = [i for i, x in enumerate(node.inputs) if x.ndim == 2]
    if len(twice) != 2 or node.inputs[twice[0]] is not node.inputs[twice[1]] or w.dtype is None:
        return False
    first, second = terms[twice[0]], terms[twice[1]]
    axis = next((k for k in range(2) if first[k] == second[k] != first[1 - k]), None)
    if axis is None or second[1 - axis] == first[1 - axis]:
        return False
    label = first[axis]
    vectors = [k for k in range(len(terms)) if k not in twice]
    if (
        set(out) != {first[1 - axis], second[1 - axis]}
        or not vectors
        or any(terms[k] != label for k in vectors)
        or sizes[label] * sizes[first[1 - axis]] ** 2 < _GRAM_WORK
    ):
        return False
    weights = w.temp()
    w.lines.append(f"{weights} = {' * '.join(operands[k] for k in vectors)}")
    call = f"{w.bind(weighted_gram, '_gram')}({operands[twice[0]]}, {weights}, {axis})"
    w.lines.append(f"{target} = {call}")
    w.lines.append(f"del {weights}")
    return True


def sparse_product(a, values, gather, scatter, a_order, out_order, out, equation, c):
    """``einsum(equation, a, c)`` into `out` (zeros first) where the constant `c` is mostly
    zeros and each element of the result is at most one of its nonzeros times one element of
    `a`: ``values`` are c's nonzeros, `gather` and `scatter` their positions along the axes
    of ``a.transpose(a_order)`` (its first) and of ``out.transpose(out_order)`` (its first),
    the rest of a's axes in out's order after them. Where `a` holds an inf or a nan the
    products with c's zeros are nan, as the dense product gives: then it is the dense one.

    >>> import numpy as np
    >>> from autodiff.ops.einsum_plan import sparse_product
    >>> c = np.zeros((3, 2)); c[2, 1] = 5.0
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])  # 'bi', c 'ki' -> 'kb': rows of c times a's
    >>> out = np.empty((3, 2))
    >>> sparse_product(a, c[2:, 1], ((1,),), ((2,),), (1, 0), (0, 1), out, "bi,ki->kb", c)
    array([[ 0.,  0.],
           [ 0.,  0.],
           [10., 20.]])
    """
    if not np.isfinite(a).all():
        return np.einsum(equation, a, c, out=out)
    out.fill(0)
    arranged = a.transpose(a_order)
    picked = arranged[gather] if gather else arranged
    values = values.reshape(values.shape + (1,) * (picked.ndim - bool(gather)))
    out.transpose(out_order)[scatter] = values * picked
    return out


def _write_sparse(w: Any, node: Any, operands: list[str], target: str, into) -> bool:
    """Write a product of two where one operand is a constant that is mostly zeros (a
    Jacobian's or Hessian's seed: slices of an identity) as a scatter of its nonzeros' products
    into a zero result; False where the einsum is not of that form.

    The form: floats, no label repeated in a term, every label of each operand in the result
    or in the other operand (nothing summed inside one), the constant's nonzeros landing on
    distinct elements of the result, each of which gets one product, and at most
    1/_SPARSE_SHARE of a result of at least _SPARSE_SIZE elements written.
    """
    if len(node.inputs) != 2 or w.dtype is None or w.dtype.kind != "f":
        return False
    terms, out, sizes = node.labels()
    for k in (0, 1):
        c = w.globals.get(operands[k]) if operands[k] in w.constants else None
        if isinstance(c, np.ndarray) and c.ndim and c.dtype == w.dtype:
            break
    else:
        return False
    tc, ta, a = terms[k], terms[1 - k], operands[1 - k]
    total = math.prod(sizes[label] for label in out)
    if (
        total < _SPARSE_SIZE
        or any(len(set(t)) != len(t) for t in (ta, tc))
        or not set(ta) <= set(out) | set(tc)
        or not set(tc) <= set(out) | set(ta)
    ):
        return False
    shared = [label for label in tc if label in ta]  # a's elements picked by c's nonzeros
    free = [label for label in out if label in ta and label not in tc]  # a's axes kept whole
    placed = [label for label in tc if label in out]  # where c's nonzeros land in the result
    nonzero = np.nonzero(c)
    count = len(nonzero[0])
    if not placed or count * math.prod(sizes[label] for label in free) * _SPARSE_SHARE > total:
        return False
    spots = np.ravel_multi_index(
        tuple(nonzero[tc.index(label)] for label in placed),
        tuple(sizes[label] for label in placed),
    )
    if len(np.unique(spots)) != count:  # two nonzeros adding into one element
        return False
    gather = tuple(nonzero[tc.index(label)] for label in shared)
    scatter = tuple(nonzero[tc.index(label)] for label in placed)
    a_order = tuple(ta.index(label) for label in shared + free)
    out_order = tuple(out.index(label) for label in placed + free)
    equation = f"{ta},{tc}->{out}"
    result = into(tuple(sizes[label] for label in out)) if into is not None else None
    if result is None:
        result = f"_np.empty({tuple(sizes[label] for label in out)!r}, {w.bind(w.dtype, '_dtype')})"
    arguments = [a, w.bind(c[nonzero], "_c"), w.bind(gather, "_k"), w.bind(scatter, "_k")]
    arguments += [repr(a_order), repr(out_order), result, repr(equation), operands[k]]
    w.lines.append(f"{target} = {w.bind(sparse_product, '_sparse')}({', '.join(arguments)})")
    return True


def _write_few(w: Any, terms, out: str, operands, sizes, target, final: str = "", into=None) -> str:
    """One or two operands: sum away labels private to one operand, then multiply.

    For an intermediate (`final` is the whole einsum's output) the result's axes may come
    in any order: the one that needs no copying. The order written is returned.
    """
    terms, operands = list(terms), list(operands)
    if len(terms) == 2:
        for k in range(2):
            keep = "".join(
                label for label in dict.fromkeys(terms[k]) if label in out or label in terms[1 - k]
            )
            if keep != terms[k]:  # repeated labels, or labels summed inside this operand only
                temp = w.temp()
                w.lines.append(f"{temp} = {_single(w, terms[k], keep, operands[k], sizes)}")
                terms[k], operands[k] = keep, temp
        if final:
            out = _natural_order(terms[0], terms[1], out, final, sizes)
        pair = _pair(w, terms[0], terms[1], out, operands[0], operands[1], sizes, into)
        w.lines.append(f"{target} = {pair}")
    else:
        w.lines.append(f"{target} = {_single(w, terms[0], out, operands[0], sizes)}")
    temps = [x for x in dict.fromkeys(operands) if x.startswith("t")]
    if temps:  # intermediates of this einsum die here
        w.lines.append("del " + ", ".join(temps))
    return out


def _natural_order(ta: str, tb: str, labels: str, final: str, sizes) -> str:
    """An order of `labels` for ``ta,tb`` that needs no copy: for a broadcast product the
    larger operand's, for a matmul the final output's (then no transpose follows)."""
    if any(label in tb for label in ta if label not in labels):  # a contraction
        first = [label for label in final if label in labels]
        return "".join(first + [label for label in labels if label not in first])

    def size(term: str) -> int:
        return math.prod(sizes[label] for label in term)

    big, small = (ta, tb) if size(ta) >= size(tb) else (tb, ta)
    return "".join(
        [label for label in big if label in labels]
        + [label for label in small if label in labels and label not in big]
    )


def _single(w: Any, term: str, out: str, x: str, sizes) -> str:
    """An expression for the one-operand einsum ``term->out`` on `x`."""
    if len(set(term)) != len(term):
        return f"_np.einsum({term + '->' + out!r}, {x})"
    summed = tuple(i for i, label in enumerate(term) if label not in out)
    rest = "".join(label for label in term if label in out)
    if summed and all(sizes[term[i]] == 1 for i in summed):
        x = f"{x}.reshape({tuple(sizes[label] for label in rest)!r})"
    elif (
        summed
        and summed[0] > 0
        and summed[-1] < len(term) - 1
        and summed == tuple(range(summed[0], summed[-1] + 1))
    ):
        # a block of middle axes: NumPy sums those slowly when few elements follow them;
        # a matrix product with ones is many times faster (same sums, other rounding)
        lead, block, tail = (
            term[: summed[0]],
            term[summed[0] : summed[-1] + 1],
            term[summed[-1] + 1 :],
        )

        def size(labels: str) -> int:
            return math.prod(sizes[label] for label in labels)

        if size(tail) <= 64 and w.dtype is not None:
            ones = w.bind(np.ones(size(block), w.dtype), "_ones")
            x = f"({ones} @ {x}.reshape({(size(lead), size(block), size(tail))!r}))"
            x = f"{x}.reshape({tuple(sizes[label] for label in lead + tail)!r})"
        else:
            x = f"{x}.sum(axis={summed!r})"
    elif summed:
        x = f"{x}.sum(axis={summed!r})"
    return _permute(x, rest, out)


def _permute(x: str, term: str, order: str) -> str:
    if term == order:
        return x
    return f"{x}.transpose({tuple(term.index(label) for label in order)!r})"


def _matmul(w: Any, x: str, y: str, shape: tuple, into) -> str:
    """``x @ y`` (of result `shape`), written into a buffer view when `into` is given."""
    if into is None:
        return f"({x} @ {y})"
    return f"{w.bind(np.matmul, '_u')}({x}, {y}, {into(shape)})"


def _stacked_pair(w: Any, ta, tb, out, a, b, sizes, contracted, into=None) -> str | None:
    """``y @ x`` with x (L..., K, R) as it is laid out, L broadcast by matmul: no copy of x.

    For an operand x of three or more axes whose contracted labels sit together, with the
    other operand y made (M, K); None where no operand fits.
    """

    def size(labels: str) -> int:
        return math.prod(sizes[label] for label in labels)

    for tx, ty, x, y in ((ta, tb, a, b), (tb, ta, b, a)):
        where = [i for i, label in enumerate(tx) if label in contracted]
        if len(tx) < 3 or where != list(range(where[0], where[-1] + 1)) or not where[0]:
            continue
        lead, k, rest = tx[: where[0]], tx[where[0] : where[-1] + 1], tx[where[-1] + 1 :]
        free_y = "".join(label for label in ty if label not in contracted)
        x3 = (
            x
            if len(k) == 1 and len(rest) == 1
            else f"{x}.reshape({tuple(sizes[label] for label in lead) + (size(k), size(rest))!r})"
        )
        y2 = _permute(y, ty, free_y + k)
        if len(free_y) != 1 or len(k) != 1:
            y2 = f"{y2}.reshape({(size(free_y), size(k))!r})"
        natural = tuple(sizes[label] for label in lead) + (size(free_y), size(rest))
        expr = _matmul(w, w.arranged(y2, y), x3, natural, into)
        result = lead + free_y + rest
        if len(free_y) != 1 or len(rest) != 1:
            expr = f"{expr}.reshape({tuple(sizes[label] for label in result)!r})"
        return _permute(expr, result, out)
    return None


def _pair(w: Any, ta: str, tb: str, out: str, a: str, b: str, sizes, into=None) -> str:
    """An expression for ``ta,tb->out`` where every label of ta and tb is in out or both."""

    def size(labels: str) -> int:
        return math.prod(sizes[label] for label in labels)

    contracted = [label for label in ta if label in tb and label not in out]
    if not set(ta) & set(tb) and size(out) >= _OUTER_SIZE:
        # an outer product: np.einsum runs it faster than a broadcast multiply, whose inner
        # loop is one short row per element of the other operand
        equation = f"{ta},{tb}->{out}"
        a, b = w.arranged(a, a), w.arranged(b, b)
        if into is not None:
            return f"_np.einsum({equation!r}, {a}, {b}, out={into(tuple(sizes[x] for x in out))})"
        return f"_np.einsum({equation!r}, {a}, {b})"
    if not contracted:  # a broadcast product: lay each operand out in the output's order
        parts = []
        for x, term in ((a, ta), (b, tb)):
            order = "".join(label for label in out if label in term)
            first = next((i for i, label in enumerate(out) if label in term), len(out))
            shape = tuple(sizes[label] if label in term else 1 for label in out[first:])
            arranged = _permute(x, term, order)
            if len(shape) != len(order):
                arranged = f"{arranged}.reshape({shape!r})"
            parts.append(w.arranged(arranged, x))
        if into is not None:
            target = into(tuple(sizes[label] for label in out))
            return f"{w.bind(np.multiply, '_u')}({parts[0]}, {parts[1]}, {target})"
        return f"{parts[0]} * {parts[1]}"
    batch = "".join(label for label in out if label in ta and label in tb)
    free_a = "".join(label for label in out if label in ta and label not in tb)
    free_b = "".join(label for label in out if label in tb and label not in ta)
    if out != batch + free_a + free_b and out == batch + free_b + free_a:
        ta, tb, a, b, free_a, free_b = tb, ta, b, a, free_b, free_a
    k = "".join(label for label in ta if label in contracted)
    if not batch and (ta != free_a + k and len(ta) > 2 or tb != k + free_b and len(tb) > 2):
        stacked = _stacked_pair(w, ta, tb, out, a, b, sizes, contracted, into)
        if stacked is not None:
            return stacked
    B, M, K, N = size(batch), size(free_a), size(k), size(free_b)
    left_shape: tuple[int, ...]
    right_shape: tuple[int, ...]
    natural: tuple[int, ...]
    if batch:
        left, left_shape = batch + free_a + k, (B, M, K)
        right, right_shape = batch + k + free_b, (B, K, N)
        natural = (B, M, N)
    else:
        left, left_shape = free_a + k, (M, K) if free_a else (K,)
        right, right_shape = k + free_b, (K, N) if free_b else (K,)
        natural = left_shape[:-1] + right_shape[1:]
    x = _permute(a, ta, left)
    if tuple(sizes[label] for label in left) != left_shape:
        x = f"{x}.reshape({left_shape!r})"
    y = _permute(b, tb, right)
    if tuple(sizes[label] for label in right) != right_shape:
        y = f"{y}.reshape({right_shape!r})"
    x, y = w.arranged(x, a), w.arranged(y, b)
    expr = _matmul(w, x, y, natural, into)
    result = batch + free_a + free_b
    if tuple(sizes[label] for label in result) != natural:
        expr = f"{expr}.reshape({tuple(sizes[label] for label in result)!r})"
    return _permute(expr, result, out)
