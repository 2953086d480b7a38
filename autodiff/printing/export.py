"""Plans as plain NumPy: a plan's code written out as a standalone module.

`write` (what `Function.export` calls) takes the code a plan runs (generated without
buffers kept between calls) and writes it as one function whose only import is NumPy: the
arguments are named after the Variables (the plan's inputs first, then the Variables it
reads), each step is one line, and a comment header gives the formula. Every object the
plan's code refers to becomes NumPy source: ufuncs and NumPy functions by their names,
constants as array literals, index keys as tuples, and an op computed by its own `eval` as
a small function made from that eval's source with the op's parameters written in. The
same operations run in the same order, so the module gives the plan's results exactly.
An op whose eval needs more than NumPy (a helper of autodiff, a method of its own) cannot be
written out: that raises NotImplementedError naming the op.
"""

from __future__ import annotations

import ast
import builtins
import dis
import functools
import inspect
import keyword
import re
import textwrap
import types
from pathlib import Path
from typing import Any

import numpy as np

from ..node import Node, Variable, toposort
from .formula import Names, cut, layout

__all__ = ["write"]

_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_PUBLIC = ("", "lib.stride_tricks", "linalg")  # where a NumPy function is looked up by name


def _float(v: float) -> str:
    if np.isnan(v):
        return "float('nan')"
    if np.isinf(v):
        return "float('inf')" if v > 0 else "-float('inf')"
    return repr(float(v))


def _scalar(v: Any) -> str:
    """A Python scalar (from `tolist`) as exact source."""
    if isinstance(v, bool) or isinstance(v, int) or v is None:
        return repr(v)
    if isinstance(v, complex):
        return f"complex({_float(v.real)}, {_float(v.imag)})"
    return _float(v)


def _nested(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(x) for x in v) + "]"
    return _scalar(v)


def source_of(value: Any) -> str:
    """`value` (an array, a NumPy scalar, a key of an index, a dtype) as exact NumPy source.

    >>> import numpy as np
    >>> from autodiff.printing.export import source_of
    >>> source_of(np.float32(0.1)), source_of((slice(None, 2), np.array([1, 0])))
    ('np.float32(0.10000000149011612)', '(slice(None, 2, None), np.array([1, 0], dtype=np.int64))')
    """
    if isinstance(value, np.ndarray):
        dtype = f"np.{value.dtype.name}" if value.dtype.kind != "b" else "np.bool_"
        square = value.ndim == 2 and value.shape[0] == value.shape[1] and value.dtype.kind in "biuf"
        if square and np.array_equal(value, np.eye(value.shape[0])):
            return f"np.eye({value.shape[0]}, dtype={dtype})"
        if value.size and np.all(value == value.flat[0]) and value.dtype.kind in "biufc":
            fill = _scalar(value.flat[0].item())
            if not (value.dtype.kind == "f" and np.signbit(value.flat[0])):
                return f"np.full({value.shape!r}, {fill}, dtype={dtype})"
        if value.ndim <= 1 and value.size:
            return f"np.array({_nested(value.tolist())}, dtype={dtype})"
        return (
            f"np.array({_nested(value.ravel().tolist())}, dtype={dtype}).reshape({value.shape!r})"
        )
    if isinstance(value, np.generic):
        name = value.dtype.name if value.dtype.kind != "b" else "bool_"
        return f"np.{name}({_scalar(value.item())})"
    if isinstance(value, np.dtype):
        return f"np.dtype({value.str!r})"
    if isinstance(value, tuple):
        inner = ", ".join(source_of(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(source_of(v) for v in value) + "]"
    if isinstance(value, slice):
        return f"slice({source_of(value.start)}, {source_of(value.stop)}, {source_of(value.step)})"
    if value is Ellipsis:
        return "..."
    if isinstance(value, (bool, int, float, complex, str)) or value is None:
        return _scalar(value) if not isinstance(value, str) else repr(value)
    raise NotImplementedError(f"export: cannot write a {type(value).__name__} as NumPy source")


def _numpy_path(obj: Any) -> str | None:
    """``np.name`` (or a public submodule's) for a NumPy function or ufunc, else None."""
    name = getattr(obj, "__name__", None)
    if name is None:
        return None
    for module in _PUBLIC:
        space: Any = np
        for part in filter(None, module.split(".")):
            space = getattr(space, part)
        if getattr(space, name, None) is obj:
            return ".".join(filter(None, ["np", module, name]))
    return None


def _globals_of(code: types.CodeType) -> set[str]:
    """The global names a function's code (and the code nested in it) loads."""
    found = {
        i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")
    }
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _globals_of(const)
    return found


class _Module:
    """The definitions of the exported module, made once each."""

    def __init__(self) -> None:
        self.definitions: list[str] = []
        self._made: dict[str, str] = {}  # source -> the name defined as it

    def define(self, prefix: str, source: str) -> str:
        name = self._made.get(source)
        if name is None:
            name = f"{prefix}{len(self._made)}"
            self._made[source] = name
            self.definitions.append(f"{name} = {source}")
        return name

    def _globals_written(self, function: types.FunctionType, what: str) -> str:
        """The source of `function` with the globals it reads written as NumPy (np, a NumPy
        function by its path, a builtin as itself, a helper function as its own copy)."""
        text = textwrap.dedent(inspect.getsource(function))
        for name in _globals_of(function.__code__):
            if name not in function.__globals__ and hasattr(builtins, name):
                continue  # a builtin
            value = function.__globals__.get(name)
            if value is np or value is builtins:
                text = re.sub(rf"(?<![.\w]){name}\.", "np." if value is np else "", text)
            elif (path := _numpy_path(value)) is not None:
                text = re.sub(rf"(?<![.\w]){name}\b", path, text)
            elif isinstance(value, types.FunctionType) and value.__module__.startswith("autodiff."):
                text = re.sub(rf"(?<![.\w]){name}\b", self.helper(value), text)
            else:
                raise NotImplementedError(
                    f"export: {what} uses {name}, which is not NumPy; this plan cannot be "
                    "written as plain NumPy"
                )
        return text

    def helper(self, function: types.FunctionType) -> str:
        """A copy of a helper function an eval calls (its annotations left out)."""
        text = self._globals_written(function, f"autodiff's {function.__name__}")
        tree = ast.parse(text)
        definition = tree.body[0]
        if not isinstance(definition, ast.FunctionDef) or definition.decorator_list:
            raise NotImplementedError(f"export: cannot copy autodiff's {function.__name__}")
        definition.returns = None
        arguments = definition.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            argument.annotation = None
        for rest in (arguments.vararg, arguments.kwarg):
            if rest is not None:
                rest.annotation = None
        source = ast.unparse(tree)
        name = self._made.get(source)
        if name is None:
            name = f"_{function.__name__.lstrip('_')}_{len(self._made)}"
            self._made[source] = name
            definition.name = name
            self.definitions += ["", ast.unparse(tree), ""]
        return name

    def kernel(self, kernel: Any) -> str:
        """A function of the arrays made from an op's eval, its parameters written in."""
        node, function = kernel.__self__, kernel.__func__
        op = type(node).__name__
        text = self._globals_written(function, f"{op}'s eval")
        for attribute in sorted(set(re.findall(r"\bself\.(\w+)", text))):
            value = getattr(node, attribute)
            if isinstance(value, np.ufunc):
                written = _numpy_path(value) or source_of(value)  # (which raises)
            elif callable(value):
                raise NotImplementedError(
                    f"export: {op}'s eval calls its method {attribute}; this plan cannot be "
                    "written as plain NumPy"
                )
            else:
                try:
                    written = source_of(value)
                except NotImplementedError:
                    raise NotImplementedError(
                        f"export: {op}'s eval reads its {attribute}, a {type(value).__name__}; "
                        "this plan cannot be written as plain NumPy"
                    ) from None
            if len(written) > 60:
                written = self.define("_p", written)
            if not re.fullmatch(r"[\w.]+(\(.*\))?|\(.*\)", written):
                written = f"({written})"
            text = re.sub(rf"\bself\.{attribute}\b", written, text)
        text = re.sub(r"def \w+\(self(, )?", "def KERNEL(", text, count=1)
        text = re.sub(r"(def KERNEL\(.*\):)[^\n]*", r"\1", text, count=1)
        kernel_name = self._made.get(text)
        if kernel_name is None:
            kernel_name = f"_{re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', op).lower()}_{len(self._made)}"
            self._made[text] = kernel_name
            self.definitions += [
                "",
                text.replace("def KERNEL(", f"def {kernel_name}(", 1).rstrip(),
                "",
            ]
        return kernel_name


_INPUT = '''

def _input(value, shape, dtype):
    """`value` as an array of `dtype`; a ValueError if its shape is not `shape`."""
    array = np.asarray(value, dtype=dtype)
    if array.shape != shape:
        raise ValueError(f"an argument of shape {array.shape} does not fit shape {shape}")
    return array
'''


def write(path: str | Path, name: str, source: str, space: dict[str, Any], plan: Any) -> str:
    """Write the plan's code `source` (its names bound in `space`) as a NumPy module at
    `path`, its function called `name`; returns the module's text. `plan` is the Function
    (its outputs, inputs and nodes)."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"export: the function name {name!r} is not a Python identifier")
    outputs: list[Node] = plan.outputs
    inputs: list[Variable] = plan.inputs
    header, *body = source.rstrip("\n").split("\n")
    args = [a for a in header[header.index("(") + 1 : header.index(")")].split(", ") if a]
    others = [n for n in plan.nodes if isinstance(n, Variable) and all(n is not x for x in inputs)]
    planned = plan.planned  # the simplified graph: what the code computes
    names = Names(toposort([*inputs, *others, *planned]))
    taken: set[str] = {name, "np"}

    def parameter(variable: Variable) -> str:
        text = names.leaves[id(variable)]
        if text.startswith("_"):  # the module's own names start with one
            text = "x" + text
        while re.fullmatch(r"[vt]\d+", text) or text in taken:
            text += "_"
        taken.add(text)
        return text

    params = [parameter(x) for x in inputs]
    extra = [parameter(x) for x in others]
    argument = dict(zip(args, params, strict=True))
    reads = {id(x): p for x, p in zip(others, extra, strict=True)}
    module = _Module()
    lines = []
    for line in body:
        line = line[4:]
        checked = re.fullmatch(r"(\w+) = (_check\d+)\((a\d+)\)", line)
        read = re.fullmatch(r"(\w+) = (_var\d+)\._value", line)
        if checked:
            variable = space[checked[2]].__self__
            line = f"{checked[1]} = {_read(argument[checked[3]], variable)}"
        elif read:
            variable = space[read[2]]
            line = f"{read[1]} = {_read(reads[id(variable)], variable)}"
        else:
            words = sorted(set(_NAME.findall(line)) & set(space), key=len, reverse=True)
            if words:  # in one pass: a name written in may look like a name still to replace
                new = {word: _replacement(word, space[word], module) for word in words}
                pattern = rf"(?<![.\w])({'|'.join(map(re.escape, words))})\b"
                line = re.sub(pattern, functools.partial(_written, new), line)
        lines.append(line)
    lay = layout(planned, max_chars=2000, names=names)
    definitions = [
        f"{lay.bound[id(n)]} = {lay.terms[id(n)].text}" for n in lay.nodes if id(n) in lay.bound
    ]
    results = [lay.bound.get(id(n)) or lay.terms[id(n)].text for n in planned]
    if plan.single:
        formula = cut(definitions, results[0], 6000, "...")
    else:
        returned = [f"output {i}: {text}" for i, text in enumerate(results)]
        formula = cut(definitions, "\n".join(returned), 6000, "...")
    described = [f"{p}: {x.shape} {x.dtype}" for p, x in zip(params, inputs, strict=True)]
    described += [
        f"{p}: {x.shape} {x.dtype} (the Variable {x.name!r})"
        for p, x in zip(extra, others, strict=True)
    ]
    shapes = ", ".join(f"{y.shape} {y.dtype}" for y in outputs)
    returns = f"the array {shapes}" if plan.single else f"a list of arrays {shapes}"
    text = "\n".join(
        [
            f'"""{name}: a plan of autodiff written as plain NumPy (NumPy is all it needs)."""',
            "",
            "# The formula (shared parts named once):",
            "#",
            *(f"#     {line}" for part in formula for line in part.split("\n")),
            "",
            "import numpy as np",
            _INPUT,
            *module.definitions,
            "",
            f"def {name}({', '.join(params + extra)}):",
            f'    """Arguments: {"; ".join(described) or "none"}. Returns {returns}."""',
            *(f"    {line}" for line in lines),
            "",
        ]
    )
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    Path(path).write_text(text)
    return text


def _read(argument: str, variable: Variable) -> str:
    return f"_input({argument}, {variable.shape!r}, {source_of(variable.dtype)})"


def _written(new: dict[str, str], match: re.Match[str]) -> str:
    return new[match[1]]


def _replacement(word: str, value: Any, module: _Module) -> str:
    """What a name of the plan's code becomes in the module."""
    if word == "_np":
        return "np"
    if word == "_asarray":
        return "np.asarray"
    if word == "_contiguous":
        return "np.ascontiguousarray"
    if isinstance(value, types.MethodType) and isinstance(value.__self__, Node):
        return module.kernel(value)
    if isinstance(value, types.FunctionType) and value.__module__.startswith("autodiff."):
        return module.helper(value)  # a helper a lowering calls (its NumPy source is copied)
    if callable(value) and not isinstance(value, np.ndarray):
        path = _numpy_path(value)
        if path is None:
            raise NotImplementedError(f"export: the plan calls {value!r}, which is not NumPy")
        return path
    return module.define("_k", source_of(value))
