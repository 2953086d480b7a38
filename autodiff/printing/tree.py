"""debugprint: a graph as an indented tree, for graphs too big to read as one formula.

One line per node: its op (with its parameters), its name if it has one, its shape and
dtype. A node used more than once in the graph gets an id, ``[id A]``, where it is printed
first; later it is printed as a reference, ``Tanh [id A] ...``, without its inputs again (as
PyTensor's `debugprint` does). The walk is iterative: any depth prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from ..node import Constant, Node, Variable, toposort
from .formula import literal, nodes_of, number

__all__ = ["debugprint"]


def _label(k: int) -> str:
    """A, B, ..., Z, AA, AB, ...: the k-th id."""
    text = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        text = chr(65 + r) + text
    return text


def _head(node: Node) -> str:
    if isinstance(node, Variable):
        return f"Variable {node.name!r}"
    if isinstance(node, Constant):
        value = number(node.value).text if node.ndim == 0 else "array" if node.size else "[]"
        return f"Constant {value}"
    params = ", ".join(
        getattr(node, key) if key == "equation" else f"{key}={literal(getattr(node, key))}"
        for key, _ in node.params
    )
    head = type(node).__name__ + (f"{{{params}}}" if params else "")
    return head if node.name == type(node).__name__ else f"{head} {node.name!r}"


def debugprint(
    node: Node | Sequence[Node],
    file: IO[str] | None = None,
    max_lines: int = 1000,
    as_text: bool = False,
) -> str | None:
    """Print `node` (or several) as an indented tree to `file` (default: standard output);
    with `as_text`, return the text instead.

    Shared nodes get an id ``[id A]`` and are printed once; later lines refer to them.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3), name="x")
    >>> t = ad.tanh(x)
    >>> ad.debugprint(t * t)
    Multiply (3,) float64
    ├─ Tanh [id A] (3,) float64
    │  └─ Variable 'x' (3,) float64
    └─ Tanh [id A] ...
    """
    outputs = nodes_of("debugprint", node)
    uses: dict[int, int] = {}
    for n in toposort(outputs):
        for x in n.inputs:
            uses[id(x)] = uses.get(id(x), 0) + 1
    for n in outputs:
        uses[id(n)] = uses.get(id(n), 0) + 1
    ids: dict[int, str] = {}
    lines: list[str] = []
    stack: list[tuple[Node, str, str]] = [(n, "", "") for n in reversed(outputs)]
    while stack and len(lines) < max_lines:
        n, lead, rest = stack.pop()
        shared = uses[id(n)] > 1 and (n.inputs or not isinstance(n, (Variable, Constant)))
        if id(n) in ids:
            lines.append(f"{lead}{_head(n)} [id {ids[id(n)]}] ...")
            continue
        mark = ""
        if shared:
            ids[id(n)] = _label(len(ids))
            mark = f" [id {ids[id(n)]}]"
        lines.append(f"{lead}{_head(n)}{mark} {n.shape} {n.dtype}")
        for i, x in reversed(list(enumerate(n.inputs))):
            last = i == len(n.inputs) - 1
            stack.append((x, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  ")))
    if stack:
        lines.append(f"... (cut at {max_lines} lines)")
    text = "\n".join(lines)
    if as_text:
        return text
    print(text, file=file or sys.stdout)
    return None
