"""What an einsum is, in the words a reader knows: a matrix product, a transpose, a sum.

`recognize(equation, shapes)` reads a canonical einsum equation (see `autodiff.ops.einsum`)
and names the simplest NumPy expression with the same value: ``x @ y`` (with ``.T`` on 2-d
operands or on the result), ``x.T``, ``transpose(x, axes)``, ``sum(x, axis=...)``, an
elementwise product ``x * y[:, None]`` (summed over some axes, or not), ``outer``, ``trace``,
``diagonal``, or ``einsum`` itself when nothing simpler fits. The printers (`formula` and
`typeset`) turn the answer into text.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Contraction:
    """One einsum, recognized. `kind` is one of "T", "transpose", "matmul", "outer",
    "product", "trace", "diagonal", "einsum"; the other fields depend on it."""

    # or "identity"; "scaled": `inner` times the operand `order[-1]`; "merged": `inner` of
    # the operand order[0] times the next len(keys) operands, then the rest
    kind: str
    order: tuple[int, ...] = ()  # the operands, in the order the expression names them
    transposed: tuple[bool, ...] = ()  # matmul: (first operand, second, result) take `.T`
    axes: tuple[int, ...] = ()  # transpose: the permutation; product: the summed axes
    keys: tuple[tuple[bool, ...] | None, ...] = field(default=())  # product: None-insertions
    inner: Contraction | None = None  # scaled: the rest, on the operands order[:-1]


def _is_subsequence(part: str, whole: str) -> bool:
    letters = iter(whole)
    return all(label in letters for label in part)


def _matmul(a: str, b: str, out: str, ghosts: set[str]) -> bool:
    """Whether einsum(a,b->out) is the NumPy matmul of operands with subscripts a and b."""
    if len(set(a)) < len(a) or len(set(b)) < len(b) or not a or not b:
        return False
    if len(a) == 1 and len(b) == 1:
        return a == b and out == ""
    if len(b) == 1:
        return a[-1] == b and out == a[:-1]
    if len(a) == 1:
        return b[-2] == a and out == b[:-2] + b[-1]
    i, k, k2, j = a[-2], a[-1], b[-2], b[-1]
    if k != k2 or len({i, j, k}) < 3 or len(out) < 2 or out[-2:] != i + j:
        return False
    batch_a, batch_b, batch = a[:-2], b[:-2], out[:-2]
    if len(batch) != max(len(batch_a), len(batch_b)):
        return False
    for p in range(1, len(batch) + 1):
        c = batch[-p]
        x = batch_a[-p] if p <= len(batch_a) else None
        y = batch_b[-p] if p <= len(batch_b) else None
        if c in (i, j, k) or c not in (x, y):
            return False
        if any(label not in (None, c) and label not in ghosts for label in (x, y)):
            return False
    return True


def _matmul_form(terms: list[str], out: str, ghosts: set[str]) -> Contraction | None:
    """The matmul, with the fewest transposes, that computes einsum(terms->out)."""
    choices = []
    for first, second in ((0, 1), (1, 0)):
        a, b = terms[first], terms[second]
        for flips in itertools.product((False, True), repeat=3):
            if (flips[0] and len(a) != 2) or (flips[1] and len(b) != 2):
                continue
            if flips[2] and (len(out) != 2 or len(a) > 2 or len(b) > 2):
                continue
            left = a[::-1] if flips[0] else a
            right = b[::-1] if flips[1] else b
            result = out[::-1] if flips[2] else out
            if _matmul(left, right, result, ghosts):
                choices.append((sum(flips), first, flips))
    if not choices:
        return None
    _, first, flips = min(choices, key=lambda choice: choice[0])
    return Contraction("matmul", order=(first, 1 - first), transposed=flips)


def _product_form(terms: list[str], out: str) -> Contraction | None:
    """An elementwise product (broadcast with None-insertions), maybe summed over axes."""
    if any(len(set(t)) < len(t) for t in terms):
        return None
    full = max(terms, key=len)
    if set("".join(terms)) != set(full) or not _is_subsequence(out, full):
        return None
    if not all(_is_subsequence(t, full) for t in terms):
        return None
    keys: list[tuple[bool, ...] | None] = []
    for t in terms:
        if not t:
            keys.append(None)
            continue
        start = full.index(t[0])
        key = tuple(label in t for label in full[start:])  # True: the operand's axis
        keys.append(None if all(key) else key)
    summed = tuple(i for i, label in enumerate(full) if label not in out)
    return Contraction("product", order=tuple(range(len(terms))), axes=summed, keys=tuple(keys))


def recognize(equation: str, shapes: tuple[tuple[int, ...], ...]) -> Contraction:
    """The simplest form of einsum(`equation`) on operands of `shapes`.

    >>> from autodiff.printing.contractions import recognize
    >>> recognize("ab,bc->ac", ((2, 3), (3, 4))).kind, recognize("ab->ba", ((2, 3),)).kind
    ('matmul', 'T')
    """
    lhs, out = equation.split("->")
    terms = lhs.split(",")
    sizes = {
        label: n for t, s in zip(terms, shapes, strict=True) for label, n in zip(t, s, strict=True)
    }
    counts: dict[str, int] = {}
    for t in terms:
        for label in t:
            counts[label] = counts.get(label, 0) + 1
    ghosts = {label for label, n in sizes.items() if n == 1 and counts[label] == 1}
    ghosts -= set(out)
    if len(terms) == 1:
        (t,) = terms
        if t == out:
            return Contraction("identity", order=(0,))
        if len(set(t)) == len(t) and sorted(t) == sorted(out):
            if out == t[::-1]:
                return Contraction("T", order=(0,))
            return Contraction("transpose", order=(0,), axes=tuple(t.index(c) for c in out))
        if len(t) == 2 and t[0] == t[1]:
            if out == "":
                return Contraction("trace", order=(0,))
            if out == t[0]:
                return Contraction("diagonal", order=(0,))
    if len(terms) == 2:
        matmul = _matmul_form(terms, out, ghosts)
        if matmul is not None:
            return matmul
        a, b = terms
        if len(a) == 1 and len(b) == 1 and a != b and out in (a + b, b + a):
            return Contraction("outer", order=(0, 1) if out == a + b else (1, 0))
    product = _product_form(terms, out)
    if product is not None:
        return product
    if len(terms) > 2:
        simpler = _scaled_form(terms, out, shapes) or _merged_form(terms, out, shapes)
        if simpler is not None:
            return simpler
    return Contraction("einsum", order=tuple(range(len(terms))))


def _merged_form(
    terms: list[str], out: str, shapes: tuple[tuple[int, ...], ...]
) -> Contraction | None:
    """A simpler contraction once the operands whose labels all belong to another one are
    multiplied into it elementwise: ``ab,a,ac->bc`` is ``(A * d[:, None]).T @ B``."""
    for j in sorted(range(len(terms)), key=lambda i: -len(terms[i])):
        host = terms[j]
        if len(set(host)) < len(host):
            continue
        guests = [
            k
            for k, t in enumerate(terms)
            if k != j and len(set(t)) == len(t) and _is_subsequence(t, host)
        ]
        if not guests:
            continue
        rest = [i for i in range(len(terms)) if i != j and i not in guests]
        equation = ",".join([host, *(terms[i] for i in rest)]) + "->" + out
        inner = recognize(equation, (shapes[j], *(shapes[i] for i in rest)))
        if inner.kind == "einsum":
            continue
        keys = []
        for k in guests:
            t = terms[k]
            key = tuple(label in t for label in host[host.index(t[0]) :]) if t else None
            keys.append(None if key is None or all(key) else key)
        return Contraction("merged", order=(j, *guests, *rest), keys=tuple(keys), inner=inner)
    return None


def _scaled_form(
    terms: list[str], out: str, shapes: tuple[tuple[int, ...], ...]
) -> Contraction | None:
    """A simpler contraction of all operands but one, times that one elementwise (an operand
    all of whose labels are the result's, in order), as ``(A @ B) * m``."""
    for k, t in enumerate(terms):
        rest = [term for i, term in enumerate(terms) if i != k]
        if (
            len(set(t)) < len(t)
            or not _is_subsequence(t, out)
            or not set(out) <= set("".join(rest))
        ):
            continue
        others = tuple(i for i in range(len(terms)) if i != k)
        inner = recognize(",".join(rest) + "->" + out, tuple(shapes[i] for i in others))
        if inner.kind != "einsum":
            key = tuple(label in t for label in out[out.index(t[0]) :]) if t else None
            return Contraction(
                "scaled",
                order=(*others, k),
                keys=(None if key is None or all(key) else key,),
                inner=inner,
            )
    return None


def without_broadcasts(
    equation: str, ones: Sequence[bool]
) -> tuple[str, tuple[int, ...], tuple[bool, ...] | None] | None:
    """The einsum without the 1-d operands of ones that only broadcast the result along an
    axis of their own (as `broadcast_to` builds): (its equation, the operands kept, the
    None-insertions that line its result up with the full one), or None where there are none.

    >>> from autodiff.printing.contractions import without_broadcasts
    >>> without_broadcasts("a,b->ab", [False, True])
    ('a->a', (0,), (True, False))
    """
    lhs, out = equation.split("->")
    terms = lhs.split(",")
    counts = Counter("".join(terms))
    dropped = {
        i for i, t in enumerate(terms) if ones[i] and len(t) == 1 and counts[t] == 1 and t in out
    }
    if not dropped or len(dropped) == len(terms):
        return None
    kept = tuple(i for i in range(len(terms)) if i not in dropped)
    gone = {terms[i] for i in dropped}
    rest = "".join(label for label in out if label not in gone)
    key = tuple(label not in gone for label in out[out.index(rest[0]) :]) if rest else None
    reduced = ",".join(terms[i] for i in kept) + "->" + rest
    return reduced, kept, key
