"""Printing: formulas in NumPy notation and LaTeX, indented trees, plans as plain NumPy.

`pretty` (also `str(node)`), `to_latex` (also Jupyter's `_repr_latex_` / `_repr_html_`),
`debugprint` and the one-line `repr(node)`; `Function.export` writes a plan as a standalone
NumPy module (`export`). Each op says how it prints on its class (see `autodiff.node.Node`:
`symbol`, `precedence`, `print_name`, `print_form`, `print_args`, `latex`); this package
reads those facts and installs the printing methods onto `Node`, as `autodiff.ops` installs
the operators.
"""

from __future__ import annotations

from ..node import Node
from .formula import evaluate, layout, namespace, pretty
from .tree import debugprint
from .typeset import repr_html, repr_latex, to_latex

__all__ = ["pretty", "to_latex", "debugprint", "namespace", "evaluate"]


def _repr(self: Node) -> str:
    name = "" if self.name == type(self).__name__ else f" name={self.name!r}"
    text = layout([self], bind=False, max_chars=60, depth=8).terms[id(self)].text
    return f"<{type(self).__name__} {self.shape} {self.dtype}{name}: {text}>"


def _str(self: Node) -> str:
    return pretty(self)


def _install() -> None:
    Node.__repr__ = _repr  # type: ignore[method-assign]
    Node.__str__ = _str  # type: ignore[method-assign,assignment]
    Node._repr_latex_ = repr_latex  # type: ignore[attr-defined]
    Node._repr_html_ = repr_html  # type: ignore[attr-defined]


_install()
