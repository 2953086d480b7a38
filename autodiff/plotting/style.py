"""How a node looks in every picture: its kind, colour and the lines of its label.

The DOT writer and the HTML page both label nodes from here, so the two always agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..node import Constant, Node, Variable
from .view import is_constant

__all__ = ["COLORS", "kind", "label_lines", "params_text", "shape_text", "short"]

COLORS = {
    "variable": "#cfe2ff",
    "constant": "#eeeeee",
    "op": "#ffffff",
    "derivative": "#ffe0c2",
    "module": "#e4e0f5",
    "library": "#e2f0e4",
}


def shape_text(node: Node) -> str:
    """The shape as Python writes a tuple, followed by the dtype unless it is float64."""
    text = "(" + ", ".join(map(str, node.shape)) + ("," if node.ndim == 1 else "") + ")"
    return text if node.dtype == np.float64 else f"{text} {node.dtype}"


def short(value: Any, limit: int = 40) -> str:
    """`value` (or its repr) cut to `limit` characters with '...'."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def params_text(node: Node, limit: int = 40) -> str:
    """An op's parameters on one line (an einsum shows its equation); '' for constants."""
    if not node.params or is_constant(node):
        return ""
    if len(node.params) == 1 and node.params[0][0] == "equation":
        return short(node.params[0][1], limit)
    return short(", ".join(f"{k}={getattr(node, k, v)!r}" for k, v in node.params), limit)


def kind(node: Node) -> str:
    """'variable', 'constant', 'derivative' (first built by `ad.grad`) or 'op'."""
    if isinstance(node, Variable):
        return "variable"
    if is_constant(node):
        return "constant"
    return "derivative" if node.is_derivative else "op"


def label_lines(node: Node, name: str | None = None) -> list[str]:
    """The lines a node's box shows: op or name (`name` if given), short parameters, shape."""
    if isinstance(node, Constant):
        head = node.name
        if node.size == 1 and np.issubdtype(node.dtype, np.number):
            number = f"{node.eval().item():.4g}"
            head = number if node.name == "Constant" else f"{node.name} = {number}"
        return [head, shape_text(node)]
    if node.caption is not None:  # what the op declares it shows (a fill, an identity)
        return [node.caption, shape_text(node)]
    if isinstance(node, Variable):
        return [name or node.name, shape_text(node)]
    params = params_text(node, 28)
    return [node.name] + ([params] if params else []) + [shape_text(node)]
