"""LaTeX: a graph as typeset math, for papers and for Jupyter (`Node._repr_latex_`).

The walk and the names are those of the NumPy-notation printer (`formula.layout`): shared
subexpressions are the same ``t_{0}``, ``t_{1}``, ... Each op's `latex` fact gives its form:
a command for the function form (``\\tanh``), an infix symbol (``\\odot``), or a template with
``{0}``, ``{1}`` (``\\frac{{{0}}}{{{1}}}``); an op that gives none prints as
``\\operatorname{name}``. Einsums print as products (``A x``, ``A^{\\top}``, ``\\odot``,
``\\sum``), in index notation when nothing simpler fits, with the identity as a Kronecker
``\\delta_{ij}`` there and as ``I`` elsewhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from ..node import Constant, Node, Variable
from .contractions import Contraction
from .formula import (
    ATOM,
    POSTFIX,
    POWER,
    PRECEDENCE,
    PRODUCT,
    SUM,
    UNARY,
    Names,
    Term,
    constant_kind,
    cut,
    einsum_term,
    function_name,
    index_entry,
    layout,
    literal,
    nodes_of,
    number,
    param,
)

__all__ = ["to_latex"]

_GREEK = set(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)
_SYMBOLS = {"<=": "\\leq", ">=": "\\geq", "==": "=", "!=": "\\neq", "*": "\\odot", "@": ""}


def name(text: str) -> str:
    """A printed name in LaTeX: ``x0`` as ``x_{0}``, ``alpha`` as ``\\alpha``, long names upright.

    >>> name("x0"), name("W_1"), name("alpha"), name("weight")
    ('x_{0}', 'W_{1}', '\\\\alpha', '\\\\mathrm{weight}')
    """
    match = re.fullmatch(r"([A-Za-z]+?)_?(\d+)|([A-Za-z]+)_(\w+)", text)
    if match:
        base, sub = (match[1], match[2]) if match[1] else (match[3], match[4])
        if len(base) == 1 or base in _GREEK:
            return f"{name(base)}_{{{sub}}}"
    if text in _GREEK:
        return "\\" + text
    if len(text) == 1:
        return text
    return "\\mathrm{" + text.replace("_", "\\_") + "}"


def _paren(term: Term, needed: bool) -> str:
    return f"\\left({term.text}\\right)" if needed else term.text


def _number(value: Any) -> Term:
    term = number(value)
    text = {"inf": "\\infty", "-inf": "-\\infty", "nan": "\\mathrm{nan}"}.get(term.text, term.text)
    match = re.fullmatch(r"(-?)([\d.]+)e([+-]?)0*(\d+)", text)
    if match:
        sign, mantissa, exponent = match[1], match[2], match[3].lstrip("+") + match[4]
        power = f"10^{{{exponent}}}"
        if mantissa == "1":
            return Term(sign + power, UNARY if sign else ATOM)
        return Term(f"{sign}{mantissa} \\cdot {power}", PRODUCT)
    return term if text == term.text else Term(text, term.precedence)


def _escaped(text: str) -> str:
    """Text with LaTeX's special characters escaped (a parameter's literal)."""
    return re.sub(r"([_%&#$])", r"\\\1", text)


def _function(command: str, args: list[Term], params: tuple[tuple, dict] = ((), {})) -> Term:
    positional, keywords = params
    parts = [a.text for a in args] + [_escaped(literal(v)) for v in positional]
    parts += [f"\\mathrm{{{_escaped(k)}}}={_escaped(literal(v))}" for k, v in keywords.items()]
    return Term(f"{command}\\left({', '.join(parts)}\\right)", POSTFIX)


# functions LaTeX has a command for: an op of that name needs no `latex` of its own
_COMMANDS = set("arccos arcsin arctan cos cosh det exp log max min sin sinh tan tanh".split())


def _operator(node: Node) -> str:
    name = function_name(node)
    if name in _COMMANDS:
        return "\\" + name
    return f"\\operatorname{{{name.replace('_', chr(92) + '_')}}}"


def _infix(symbol: str, a: Term, b: Term, p: int) -> Term:
    return Term(f"{_paren(a, a.precedence < p)} {symbol} {_paren(b, b.precedence <= p)}", p)


def _product(a: Term, b: Term, x: Node | int, y: Node | int) -> Term:
    """x * y (nodes, or their numbers of axes): a number juxtaposed (``2 x``), a scalar with
    \\cdot, arrays with \\odot."""
    if isinstance(x, Constant) and x.ndim == 0 and a.precedence == ATOM:
        return Term(f"{a.text} {_paren(b, b.precedence < PRODUCT)}", PRODUCT)
    x_ndim = x if isinstance(x, int) else x.ndim
    y_ndim = y if isinstance(y, int) else y.ndim
    symbol = "\\cdot" if x_ndim == 0 or y_ndim == 0 else "\\odot"
    return _infix(symbol, a, b, PRODUCT)


def _index_notation(inputs: list[Node], args: list[Term], equation: str) -> Term:
    """An einsum as a sum over indices: ``\\sum_{b} A_{ab} B_{bc}``; the identity is δ."""
    lhs, out = equation.split("->")
    factors = []
    for x, a, labels in zip(inputs, args, lhs.split(","), strict=True):
        if not labels:
            factors.append(_paren(a, a.precedence < POSTFIX))
            continue
        if param(x, "n") is not None and x.print_form == "fill":
            base = "\\delta"
        elif a.precedence == ATOM:
            base = f"{{{a.text}}}" if "_" in a.text or "^" in a.text else a.text
        else:
            base = f"\\left({a.text}\\right)"
        factors.append(f"{base}_{{{labels}}}")
    summed = sorted(set(lhs.replace(",", "")) - set(out))
    text = " ".join(factors)
    if summed:  # a sum binds loosely: bracketed as a factor
        return Term(f"\\sum_{{{''.join(summed)}}} {text}", SUM)
    return Term(text, PRODUCT)


def _contraction(c: Contraction, args: list[Term], equation: str, inputs: list[Node]) -> Term:
    """A recognized einsum of `inputs`, printed as `args`, in LaTeX."""
    if c.kind == "identity":
        return args[0]
    ndim = len(equation.split("->")[1])
    if c.kind == "scaled":
        assert c.inner is not None  # (always, for a scaled form)
        *others, k = c.order
        rest = _contraction(
            c.inner, [args[i] for i in others], equation, [inputs[i] for i in others]
        )
        return _product(rest, args[k], ndim, inputs[k])

    if c.kind == "merged":
        assert c.inner is not None  # (always, for a merged form)
        host, guests, remaining = (
            c.order[0],
            c.order[1 : 1 + len(c.keys)],
            c.order[1 + len(c.keys) :],
        )
        merged = args[host]
        for k in guests:
            merged = _product(merged, args[k], inputs[host], inputs[k])
        operands = [inputs[host], *(inputs[i] for i in remaining)]
        return _contraction(c.inner, [merged, *(args[i] for i in remaining)], equation, operands)

    def top(term: Term) -> str:
        return _paren(term, term.precedence < POSTFIX) + "^{\\top}"

    if c.kind == "T":
        return Term(top(args[0]), POSTFIX)
    if c.kind == "trace":
        return _function("\\operatorname{tr}", args)
    if c.kind == "diagonal":
        return _function("\\operatorname{diag}", args)
    if c.kind == "outer":
        a, b = (args[i] for i in c.order)
        return Term(f"{_paren(a, a.precedence < PRODUCT)} {top(b)}", PRODUCT)
    if c.kind == "matmul":
        first, second = c.order
        a, b = args[first], args[second]
        x = inputs[first]
        left = top(a) if c.transposed[0] or x.ndim == 1 else a.text
        if not (c.transposed[0] or x.ndim == 1) and a.precedence < PRODUCT:
            left = _paren(a, True)
        right = top(b) if c.transposed[1] else _paren(b, b.precedence <= PRODUCT)
        term = Term(f"{left} {right}", PRODUCT)
        return Term(top(term), POSTFIX) if c.transposed[2] else term
    if c.kind == "product":
        factors = [args[i] for i in c.order]
        ordered = [inputs[i] for i in c.order]
        term = factors[0]
        before: Node | int = ordered[0]
        for factor, y in zip(factors[1:], ordered[1:], strict=True):
            term = _product(term, factor, before, y)
            before = max(before.ndim if isinstance(before, Node) else before, y.ndim)
        if not c.axes:
            return term
        below = "" if not ndim else "_{\\text{axis } " + literal(c.axes)[1:-1].rstrip(",") + "}"
        return Term(f"\\sum{below} {_paren(term, term.precedence <= PRODUCT)}", SUM)
    return _index_notation(inputs, args, equation)


def _fill(value: Any) -> Term:
    """An array of one value: a bold 0 or 1, else a multiple of the bold 1."""
    if value in (0, 1):
        return Term(f"\\mathbf{{{int(value)}}}")
    return Term(f"{_number(value).text} \\cdot \\mathbf{{1}}", PRODUCT)


def latex_term(node: Node, args: list[Term], names: Names) -> Term:
    """How `node` prints in LaTeX, its inputs printed as `args`."""
    if isinstance(node, Variable):
        return Term(name(names.leaves[id(node)]))
    if isinstance(node, Constant):
        if node.ndim == 0:
            return _number(node.value)
        kind = constant_kind(node) if node.size > 6 else None
        if kind == "eye":
            return Term(f"I_{{{node.shape[0]}}}")
        if kind == "fill":
            return _fill(node.value.flat[0])
        if node.ndim <= 2 and node.size <= 6:
            rows = node.value.reshape(-1, node.shape[-1]) if node.ndim == 2 else [node.value]
            body = " \\\\ ".join(" & ".join(_number(v).text for v in row) for row in rows)
            return Term(f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}")
        return Term(f"\\mathrm{{const}}_{{{node.shape}}}")
    form = node.print_form
    if form == "einsum":
        return einsum_term(node, args, _contraction)
    if form == "index":
        key = ", ".join(index_entry(k) for k in param(node, "index"))
        base = _paren(args[0], args[0].precedence < POSTFIX)
        return Term(f"{base}\\left[{key}\\right]", POSTFIX)
    if form == "power":
        p = param(node, "p")
        if p == 0.5:
            return Term(f"\\sqrt{{{args[0].text}}}")
        return Term(f"{_paren(args[0], args[0].precedence < POSTFIX)}^{{{_number(p).text}}}", POWER)
    if form == "fill":
        if param(node, "n") is not None:
            return Term(f"I_{{{node.shape[0]}}}")
        if not node.shape:
            return _number(param(node, "value"))
        return _fill(param(node, "value"))
    if form == "cast":
        return _function("\\operatorname{astype}", args, ((node.dtype,), {}))
    if form == "list":
        return _function(
            _operator(node), [Term("[" + ", ".join(a.text for a in args) + "]")], node.print_args()
        )
    latex = node.latex
    if latex == "{0}":  # the input as it is
        return args[0]
    if latex is not None and "{0}" in latex:
        return Term(latex.format(*(a.text for a in args)), POSTFIX)
    if node.symbol is not None and len(args) == 2:
        p = node.precedence or PRECEDENCE.get(node.symbol, 5)
        if node.symbol == "*":
            return _product(args[0], args[1], *node.inputs)
        if node.symbol == "**":
            base = _paren(args[0], args[0].precedence < POSTFIX)
            return Term(f"{base}^{{{args[1].text}}}", POWER)
        return _infix(latex or _SYMBOLS.get(node.symbol, node.symbol), args[0], args[1], p)
    if node.symbol is not None and len(args) == 1:
        p = node.precedence or UNARY
        return Term(node.symbol + _paren(args[0], args[0].precedence < p), p)
    return _function(latex or _operator(node), args, node.print_args())


def to_latex(
    node: Node | Sequence[Node], simplify: bool = False, max_chars: int | None = 10_000
) -> str:
    """`node` (or several) as LaTeX math (without ``$``); shared parts are named once, as
    ``t_{0} = \\tanh\\left(x\\right)``, in an aligned block.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array(0.5), name="x")
    >>> ad.to_latex(ad.grad(ad.tanh(x), x))
    '1 - \\\\tanh\\\\left(x\\\\right)^{2}'
    """
    outputs = nodes_of("to_latex", node, max_chars)
    if simplify:
        from ..simplification import simplify as simplified

        outputs = list(simplified(outputs))
    plan = layout(outputs, max_chars=max_chars)
    lay = layout(outputs, latex_term, plan=plan, refer=name, max_chars=max_chars)
    results = ", ".join(
        name(lay.bound[id(n)]) if id(n) in lay.bound else lay.terms[id(n)].text for n in outputs
    )
    if not lay.bound:
        return results
    lines = [
        f"{name(lay.bound[id(n)])} &= {lay.terms[id(n)].text}"
        for n in lay.nodes
        if id(n) in lay.bound
    ]
    rows = cut(lines, f"& {results}", max_chars, "& \\vdots")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def repr_latex(node: Node) -> str:
    """Jupyter's typeset form of a node."""
    text = to_latex(node)
    return f"$${text}$$" if "aligned" in text else f"${text}$"


def repr_html(node: Node) -> str:
    """Jupyter's HTML form of a node: its op, shape and dtype, and the formula as math."""
    head = html.escape(f"{type(node).__name__} {node.shape} {node.dtype}")
    return f"<div><code>{head}</code><br>$${html.escape(to_latex(node))}$$</div>"
