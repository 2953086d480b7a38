"""Formulas: a graph printed as NumPy-notation Python, with shared parts named once.

`pretty(node)` writes Variables by name (unnamed ones as ``x0``, ``x1``, ...), each
non-trivial subexpression that is used twice or more once as a let-style line
(``t0 = tanh(x)``), einsums as what they are (`contractions`), constants short, and only the
parentheses Python's precedence needs. Each op says how it prints on its class (`symbol`,
`precedence`, `print_name`, `print_form`, `print_args`; see `autodiff.node.Node`); an op that
says nothing prints in the function form ``name(inputs, params)``. The text is valid Python:
`namespace(node)` gives the names it uses (NumPy's functions, the Variables' values, the
ops NumPy lacks), and running it there gives the node's value. `layout` is the walk the
LaTeX printer (`typeset`) shares: iterative, linear in the graph.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..node import Constant, Node, Variable, kernel_of, toposort
from .contractions import Contraction, recognize, without_broadcasts

__all__ = ["pretty"]

ATOM, POSTFIX, POWER, UNARY, PRODUCT, SUM, COMPARISON = 15, 14, 13, 12, 11, 10, 5
PRECEDENCE = {"**": POWER, "*": PRODUCT, "/": PRODUCT, "//": PRODUCT, "%": PRODUCT}
PRECEDENCE |= {"@": PRODUCT, "+": SUM, "-": SUM, "<<": 9, ">>": 9, "&": 8, "^": 7, "|": 6}
PRECEDENCE |= {s: COMPARISON for s in ("<", "<=", ">", ">=", "==", "!=")}
# names the printer writes itself (einsums, fills, casts, constants), kept from Variables
_EMITTED = {"sum", "outer", "trace", "diagonal", "transpose", "einsum", "broadcast_to", "eye"}
_EMITTED |= {"zeros", "ones", "full", "astype", "const", "array", "nan", "inf", "np", "None"}
_EMITTED |= {"True", "False"}
_SHORT_ARRAY = 6  # arrays of up to this many elements print as literals
_BIND_LONGER = 5  # a shared subexpression longer than this is named once


@dataclass(frozen=True)
class Term:
    """A printed subexpression and how tightly it binds (Python's precedence)."""

    text: str
    precedence: int = ATOM


ELLIPSIS = Term("...")


def param(node: Node, key: str) -> Any:
    """An op's parameter (or a leaf's value) by name; None where it has none."""
    return vars(node).get(key)


def snake_case(name: str) -> str:
    """A class name as a function name.

    >>> snake_case("LogSoftmax")
    'log_softmax'
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def function_name(node: Node) -> str:
    """The name of `node`'s function form: declared, its ufunc's, or its class's."""
    if node.print_name is not None:
        return node.print_name
    ufunc = node.ufunc
    ufunc_name = getattr(ufunc, "__name__", "")
    if ufunc is not None and getattr(np, ufunc_name, None) is ufunc:
        return str(ufunc_name)
    return snake_case(type(node).__name__)


def number(value: Any) -> Term:
    """A scalar as short Python: integral floats as integers, nan and inf by name."""
    value = np.asarray(value)[()]
    if isinstance(value, (np.bool_, bool)):
        return Term(str(bool(value)))
    if isinstance(value, (np.integer, int)):
        text = str(int(value))
    elif isinstance(value, np.complexfloating):
        return Term(repr(complex(value)))
    else:
        v = float(value)
        if np.isnan(v):
            return Term("nan")
        if np.isinf(v):
            text = "inf" if v > 0 else "-inf"
        elif v == int(v) and abs(v) < 1e16 and not (v == 0 and np.signbit(v)):
            text = str(int(v))
        else:
            text = str(value) if isinstance(value, np.floating) else repr(v)
    return Term(text, UNARY if text.startswith("-") else ATOM)


def literal(value: Any) -> str:
    """A parameter as a Python literal (dtypes by name, arrays as ``array([...])``)."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, np.bool_, int, float, np.number)):
        return number(value).text
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, slice):
        return f"slice({literal(value.start)}, {literal(value.stop)}, {literal(value.step)})"
    if isinstance(value, np.ndarray):
        return array_literal(value)
    if value is Ellipsis:
        return "..."
    return repr(value)


def array_literal(value: np.ndarray) -> str:
    """A small array as ``array([...])``, its floats written as floats (``1.0``)."""
    if value.dtype.kind == "f":
        text = f"array({_floats(value)})"
    else:
        text = "array(" + literal(value.tolist()) + ")"
    if value.dtype not in (np.float64, np.int64, np.bool_):
        text = text[:-1] + f", dtype={value.dtype.name})"
    return text


def _floats(value: np.ndarray) -> str:
    if value.ndim == 0:
        v = value[()]
        text = str(v) if np.isfinite(v) else number(v).text
        return text + ".0" if text.lstrip("-").isdigit() else text
    return "[" + ", ".join(_floats(row) for row in value) + "]"


def index_entry(k: Any) -> str:
    """One entry of an index key as written between brackets (``1:``, ``::2``, ``None``)."""
    if isinstance(k, slice):
        text = ":".join("" if v is None else str(v) for v in (k.start, k.stop))
        return text + (f":{k.step}" if k.step is not None else "")
    if k is None:
        return "None"
    return literal(k)


class Names:
    """The names of a print: Variables by their (sanitized, unique) names, unnamed ones as
    ``x0``, ``x1``, ...; large constants as ``const(shape)`` (with their place in the print
    when there are several); let-bound subexpressions as ``t0``, ``t1``, ..."""

    def __init__(self, nodes: Sequence[Node]):
        taken = set(keyword.kwlist)
        taken |= {function_name(n) for n in nodes if n.inputs}
        taken |= _EMITTED | {np.dtype(c).name for c in np.typecodes["All"] if c not in "OSUVMm"}
        self.leaves: dict[int, str] = {}
        self.constants: list[Constant] = []
        unnamed = 0
        given = {n.name for n in nodes if isinstance(n, Variable)}
        for node in nodes:
            if isinstance(node, Variable):
                if node.name == "Variable":
                    while f"x{unnamed}" in taken or f"x{unnamed}" in given:
                        unnamed += 1
                    name = f"x{unnamed}"
                else:
                    name = re.sub(r"\W", "_", node.name)
                    name = "_" + name if name[0].isdigit() else name
                    base, k = name, 1
                    while name in taken:
                        name, k = f"{base}_{k}", k + 1
                taken.add(name)
                self.leaves[id(node)] = name
            elif isinstance(node, Constant) and node.size > _SHORT_ARRAY:
                if constant_kind(node) is None:
                    self.constants.append(node)
        self.taken = taken
        self._lets = 0
        self._place = {id(c): k for k, c in enumerate(self.constants)}

    def let(self) -> str:
        while f"t{self._lets}" in self.taken:
            self._lets += 1
        self._lets += 1
        return f"t{self._lets - 1}"

    def constant(self, node: Constant) -> str:
        shape = literal(node.shape)
        if len(self.constants) == 1:
            return f"const({shape})"
        return f"const({shape}, {self._place[id(node)]})"


def infix(symbol: str, a: Term, b: Term, precedence: int | None = None) -> Term:
    """`a symbol b` with the parentheses Python's precedence and associativity need."""
    p = precedence if precedence is not None else PRECEDENCE.get(symbol, COMPARISON)
    if symbol == "**":  # binds to the right, and tighter than a unary minus on its left
        left = a.precedence <= p
        right = b.precedence < UNARY
        text = f"{_paren(a, left)}**{_paren(b, right)}"
    elif p == COMPARISON:  # comparisons chain: both sides bracketed
        text = f"{_paren(a, a.precedence <= p)} {symbol} {_paren(b, b.precedence <= p)}"
    else:
        text = f"{_paren(a, a.precedence < p)} {symbol} {_paren(b, b.precedence <= p)}"
    return Term(text, p)


def _paren(term: Term, needed: bool) -> str:
    return f"({term.text})" if needed else term.text


def postfix(a: Term, suffix: str) -> Term:
    return Term(_paren(a, a.precedence < POSTFIX) + suffix, POSTFIX)


def call(name: str, args: Sequence[str], params: tuple[tuple, dict] = ((), {})) -> Term:
    positional, keywords = params
    parts = [*args, *(literal(v) for v in positional)]
    parts += [f"{key}={literal(v)}" for key, v in keywords.items()]
    return Term(f"{name}({', '.join(parts)})", POSTFIX)


def _axes(axes: tuple[int, ...]) -> Any:
    return axes[0] if len(axes) == 1 else axes


def is_ones(x: Node) -> bool:
    """Whether `x` is a 1-d fill of ones (what `broadcast_to` and gradients broadcast with)."""
    return x.print_form == "fill" and x.ndim == 1 and param(x, "value") == 1


def einsum_term(
    node: Node,
    args: list[Term],
    write: Callable[[Contraction, list[Term], str, list[Node]], Term],
) -> Term:
    """An einsum, printed by `write` once recognized; operands of ones that only broadcast
    its result show as ``broadcast_to`` (`write` is the NumPy or the LaTeX writer)."""
    equation = param(node, "equation")
    shapes = tuple(x.shape for x in node.inputs)
    reduced = without_broadcasts(equation, [is_ones(x) for x in node.inputs])
    if reduced is None:
        return write(recognize(equation, shapes), args, equation, list(node.inputs))
    equation, kept, key = reduced
    c = recognize(equation, tuple(shapes[i] for i in kept))
    inner = write(c, [args[i] for i in kept], equation, [node.inputs[i] for i in kept])
    if write is not python_contraction:
        return inner
    if key is not None and not all(key):
        inner = postfix(inner, _key(key))
    return call("broadcast_to", [inner.text], ((node.shape,), {}))


def python_contraction(c: Contraction, args: list[Term], equation: str, inputs: list[Node]) -> Term:
    """The NumPy expression of a recognized einsum on printed operands `args`."""
    if c.kind == "identity":
        return args[0]
    if c.kind == "scaled":
        assert c.inner is not None  # (always, for a scaled form)
        *others, k = c.order
        operands = [inputs[i] for i in others]
        rest = python_contraction(c.inner, [args[i] for i in others], equation, operands)
        factor = postfix(args[k], _key(c.keys[0])) if c.keys[0] else args[k]
        return infix("*", rest, factor)
    if c.kind == "merged":
        assert c.inner is not None  # (always, for a merged form)
        host, guests, remaining = (
            c.order[0],
            c.order[1 : 1 + len(c.keys)],
            c.order[1 + len(c.keys) :],
        )
        merged = args[host]
        for k, key in zip(guests, c.keys, strict=True):
            merged = infix("*", merged, postfix(args[k], _key(key)) if key else args[k])
        operands = [inputs[host], *(inputs[i] for i in remaining)]
        return python_contraction(
            c.inner, [merged, *(args[i] for i in remaining)], equation, operands
        )
    if c.kind == "T":
        return postfix(args[0], ".T")
    if c.kind == "transpose":
        return call("transpose", [args[0].text], ((c.axes,), {}))
    if c.kind in ("trace", "diagonal"):
        return call(c.kind, [args[0].text])
    if c.kind == "outer":
        return call("outer", [args[i].text for i in c.order])
    if c.kind == "matmul":
        a, b = (
            postfix(args[i], ".T") if t else args[i]
            for i, t in zip(c.order, c.transposed[:2], strict=True)
        )
        product = infix("@", a, b)
        return postfix(product, ".T") if c.transposed[2] else product
    if c.kind == "product":
        factors = [
            postfix(args[i], _key(key)) if key else args[i]
            for i, key in zip(c.order, c.keys, strict=True)
        ]
        product = factors[0]
        for factor in factors[1:]:
            product = infix("*", product, factor)
        if not c.axes:
            return product
        ndim = len(equation.split("->")[1])
        return call("sum", [product.text], ((), {"axis": _axes(c.axes)} if ndim else {}))
    return call("einsum", [repr(equation), *(a.text for a in args)])


def _key(key: tuple[bool, ...]) -> str:
    while key and key[-1]:  # trailing full slices are implied
        key = key[:-1]
    return "[" + ", ".join(":" if k else "None" for k in key) + "]"


def python_term(node: Node, args: list[Term], names: Names) -> Term:
    """How `node` prints in NumPy notation, its inputs printed as `args`."""
    if isinstance(node, Variable):
        return Term(names.leaves[id(node)])
    if isinstance(node, Constant):
        if node.ndim == 0:
            return number(node.value)
        kind = constant_kind(node) if node.size > _SHORT_ARRAY else None
        extra = {} if node.dtype == np.float64 else {"dtype": node.dtype}
        if kind == "eye":
            return call("eye", [str(node.shape[0])], ((), extra))
        if kind == "fill":
            return _fill_call(node.shape, node.value.flat[0], node.dtype)
        if node.size <= _SHORT_ARRAY:
            return Term(array_literal(node.value), POSTFIX)
        return Term(names.constant(node), POSTFIX)
    return _op_term(node, args, names)


def constant_kind(node: Constant) -> str | None:
    """ "eye" for an identity matrix, "fill" for one value repeated, else None."""
    value = node.value
    if value.ndim == 2 and value.shape[0] == value.shape[1] and value.dtype.kind in "biuf":
        if np.array_equal(value, np.eye(value.shape[0])):
            return "eye"
    if value.size and value.dtype.kind in "biuf" and np.all(value == value.flat[0]):
        if not np.signbit(value.flat[0]) or value.flat[0] != 0:
            return "fill"
    return None


def _op_term(node: Node, args: list[Term], names: Names) -> Term:
    form = node.print_form
    if form == "einsum":
        return einsum_term(node, args, python_contraction)
    if form == "index":
        key = param(node, "index")
        entries = ", ".join(index_entry(k) for k in key) if key else "()"
        return postfix(args[0], f"[{entries}]")
    if form == "power":
        return infix("**", args[0], number(param(node, "p")))
    if form == "fill":
        return _fill(node)
    if form == "cast":
        return call("astype", [args[0].text], ((node.dtype,), {}))
    if form == "list":
        return call(
            function_name(node), ["[" + ", ".join(a.text for a in args) + "]"], node.print_args()
        )
    if node.symbol is not None and len(args) == 2:
        return infix(node.symbol, args[0], args[1], node.precedence)
    if node.symbol is not None and len(args) == 1:
        p = node.precedence or UNARY
        return Term(node.symbol + _paren(args[0], args[0].precedence < p), p)
    return call(function_name(node), [a.text for a in args], node.print_args())


def _fill(node: Node) -> Term:
    shape = node.shape
    dtype = node.dtype
    if param(node, "n") is not None:  # an identity matrix
        return call("eye", [], node.print_args())
    return _fill_call(shape, param(node, "value"), dtype)


def _fill_call(shape: tuple[int, ...], value: Any, dtype: np.dtype) -> Term:
    extra = {} if dtype == np.float64 else {"dtype": dtype}
    if not shape:
        return number(np.asarray(value, dtype))
    size = shape[0] if len(shape) == 1 else shape
    if value == 0:
        return call("zeros", [literal(size)], ((), extra))
    if value == 1:
        return call("ones", [literal(size)], ((), extra))
    return call("full", [literal(size), number(np.asarray(value, dtype)).text], ((), extra))


@dataclass
class Layout:
    """A graph laid out for printing: each node's term, the nodes named once (in order)."""

    nodes: list[Node]
    terms: dict[int, Term]
    bound: dict[int, str]  # node -> its let name
    names: Names
    outputs: list[Node]


def layout(
    outputs: Sequence[Node],
    render: Callable[[Node, list[Term], Names], Term] = python_term,
    bind: bool = True,
    max_chars: int | None = None,
    plan: Layout | None = None,
    refer: Callable[[str], str] = str,
    depth: int | None = None,
    names: Names | None = None,
) -> Layout:
    """Print every node of `outputs` bottom-up with `render`; shared subexpressions longer
    than a few characters are named once when `bind`. A term longer than `max_chars` shows
    its longest inputs as ``...``. `plan` reuses the names and bindings of another layout
    (the LaTeX printer follows the NumPy one), with `refer` writing a let name. With `depth`
    only the nodes that many steps from the outputs are printed, the rest as ``...``; `names`
    are the names to use (those of a larger graph)."""
    if plan is not None:
        nodes = plan.nodes
    else:
        nodes = toposort(outputs) if depth is None else _near(outputs, depth)
    if names is None:
        names = plan.names if plan is not None else Names(nodes)
    uses: dict[int, int] = {}
    for node in nodes:
        for x in node.inputs:
            uses[id(x)] = uses.get(id(x), 0) + 1
    for node in outputs:
        uses[id(node)] = uses.get(id(node), 0) + 1
    roots = {id(n) for n in outputs}
    terms: dict[int, Term] = {}
    bound: dict[int, str] = {} if plan is None else plan.bound
    for node in nodes:
        args = [
            Term(refer(bound[id(x)])) if id(x) in bound else terms.get(id(x), ELLIPSIS)
            for x in node.inputs
        ]
        term = render(node, args, names)
        while max_chars is not None and len(term.text) > max_chars:
            longest = max(range(len(args)), key=lambda i: len(args[i].text), default=None)
            if longest is None or args[longest] is ELLIPSIS:
                term = ELLIPSIS
                break
            args[longest] = ELLIPSIS
            term = render(node, args, names)
        terms[id(node)] = term
        if plan is None and bind and node.inputs and uses.get(id(node), 0) > 1:
            if id(node) not in roots and len(term.text) > _BIND_LONGER:
                bound[id(node)] = names.let()
    return Layout(nodes, terms, bound, names, list(outputs))


def nodes_of(what: str, node: Any, max_chars: Any = None) -> list[Node]:
    """`node` (a Node or a sequence of them) as a list; TypeError naming `what` otherwise,
    and ValueError for a `max_chars` that is not a positive integer or None."""
    outputs = [node] if isinstance(node, Node) else node
    if isinstance(outputs, (str, bytes, np.ndarray)) or not isinstance(outputs, Iterable):
        raise TypeError(f"{what}: expected a Node or a list of Nodes, got {type(node).__name__}")
    outputs = list(outputs)
    for i, n in enumerate(outputs):
        if not isinstance(n, Node):
            raise TypeError(f"{what}: item {i} is not a Node (got {type(n).__name__})")
    if max_chars is not None and (
        isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1
    ):
        raise ValueError(f"{what}: max_chars must be a positive integer or None, got {max_chars!r}")
    return outputs


def _near(outputs: Sequence[Node], depth: int) -> list[Node]:
    """The nodes at most `depth` steps above `outputs`, in the order they were built."""
    seen = {id(n): n for n in outputs}
    frontier = list(seen.values())
    for _ in range(depth):
        frontier = [x for n in frontier for x in n.inputs if id(x) not in seen]
        seen.update((id(x), x) for x in frontier)
    return sorted(seen.values(), key=lambda n: n._id)


def pretty(
    node: Node | Sequence[Node], simplify: bool = False, max_chars: int | None = 10_000
) -> str:
    """`node` (or several) as a NumPy-notation formula; shared parts are named once.

    Variables print by name (unnamed ones as ``x0``, ``x1``, ...), einsums as matrix products,
    transposes and sums, constants short. With `simplify` the simplified graph is printed.
    Lines before the last define shared subexpressions; the last is the result (several
    outputs: a tuple). A formula longer than `max_chars` is cut with ``...``. Run in
    `autodiff.printing.namespace(node)`, the text computes the node's value.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array(0.5), name="x")
    >>> print(ad.pretty(ad.grad(ad.tanh(x), x)))
    1 - tanh(x)**2
    >>> print(ad.pretty(ad.grad(ad.grad(ad.tanh(x), x), x)))
    t0 = tanh(x)
    -1 * (2 * t0) * (1 - t0**2)
    """
    outputs = nodes_of("pretty", node, max_chars)
    if simplify:
        from ..simplification import simplify as simplified

        outputs = list(simplified(outputs))
    lay = layout(outputs, max_chars=max_chars)
    return _lines(lay, isinstance(node, Node), max_chars)


def _lines(lay: Layout, single: bool, max_chars: int | None) -> str:
    definitions = [
        f"{lay.bound[id(n)]} = {lay.terms[id(n)].text}" for n in lay.nodes if id(n) in lay.bound
    ]
    results = [lay.bound.get(id(n)) or lay.terms[id(n)].text for n in lay.outputs]
    result = results[0] if single else ", ".join(results) + ("," if len(results) == 1 else "")
    return "\n".join(cut(definitions, result, max_chars, "..."))


def cut(definitions: list[str], result: str, max_chars: int | None, gap: str) -> list[str]:
    """The definitions and the result, keeping the last definitions that fit in `max_chars`
    (with `gap` standing for the others)."""
    size = len(result) + sum(len(line) + 1 for line in definitions)
    if max_chars is None or size <= max_chars:
        return [*definitions, result]
    kept: list[str] = []
    size = len(result) + len(gap) + 1
    for line in reversed(definitions):
        size += len(line) + 1
        if size > max_chars:
            break
        kept.append(line)
    return [gap, *reversed(kept), result]


def namespace(node: Node | Sequence[Node], simplify: bool = False) -> dict[str, Any]:
    """The names a formula of `pretty` uses, bound to what they mean, to run it with NumPy:
    NumPy's public names, the Variables' current values by their printed names, ``const``
    (the large constants) and, for ops NumPy has no function for (``relu``, ``sigmoid``,
    ...), their own NumPy kernels.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.printing import namespace
    >>> x = ad.Variable(np.array([0.0, 1.0]), name="x")
    >>> y = ad.sigmoid(x) * 2
    >>> eval(ad.pretty(y), namespace(y))
    array([1.        , 1.46211716])
    """
    outputs = nodes_of("namespace", node)
    if simplify:
        from ..simplification import simplify as simplified

        outputs = list(simplified(outputs))
    nodes = toposort(outputs)
    names = Names(nodes)
    space: dict[str, Any] = {k: getattr(np, k) for k in dir(np) if not k.startswith("_")}
    for n in nodes:
        if isinstance(n, Variable):
            space[names.leaves[id(n)]] = n.value
    constants = [c.value for c in names.constants]
    space["const"] = lambda shape, k=0: constants[k]
    kernels: dict[str, list[Node]] = {}
    for n in nodes:
        name = function_name(n)
        if n.inputs and n.print_form is None and n.symbol is None and not hasattr(np, name):
            kernels.setdefault(name, []).append(n)
    for name, candidates in kernels.items():
        space[name] = _kernel_call(name, candidates)
    return space


def _kernel_call(name: str, candidates: list[Node]) -> Callable[..., Any]:
    """A function `name(*arrays, *params, **params)` running the kernel of the node printed
    that way (found by its parameters and its inputs' shapes)."""

    def run(*args: Any, **keywords: Any) -> Any:
        for node in candidates:
            positional, params = node.print_args()
            n = len(node.inputs)
            arrays = args[:n]
            if (
                len(args) == n + len(positional)
                and literal(tuple(args[n:])) == literal(tuple(positional))
                and literal(sorted(keywords.items())) == literal(sorted(params.items()))
                and all(np.shape(a) == x.shape for a, x in zip(arrays, node.inputs, strict=True))
            ):
                return kernel_of(node)(
                    *(np.asarray(a, x.dtype) for a, x in zip(arrays, node.inputs, strict=True))
                )
        raise ValueError(f"{name}: no op of the printed graph takes these arguments")

    run.__name__ = name
    return run


def evaluate(text: str, space: dict[str, Any]) -> Any:
    """Run a formula of `pretty` (its definitions, then its result) in `space`.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.printing import evaluate, namespace
    >>> x = ad.Variable(np.array(0.5), name="x")
    >>> d = ad.grad(ad.grad(ad.tanh(x), x), x)
    >>> bool(np.isclose(evaluate(ad.pretty(d), namespace(d)), d()))
    True
    """
    *definitions, result = text.split("\n")
    space = dict(space)
    for line in definitions:
        exec(line, space)
    return eval(result, space)
