"""Compiled loops for fused groups (numba), used by `autodiff.fusion`.

A group's expression (numexpr's syntax over ``i0, i1, ...``, see `autodiff.fusion.Fused`)
becomes the source of one module with one ``@njit(cache=True)`` function, a loop nest over
the result's axes that writes ``out[k0, k1] = <expression of the inputs' elements>``. Each
input is indexed by the result's loop variables as its layout says (a broadcast axis by 0,
a transposed operand by its axes' positions in the result), so no view is made per call.
The module is written into `cache_dir()` under a name made of a hash of its source, and
imported from there, so that numba's cache (next to it, in ``__pycache__``) lets a later
process load the compiled loop instead of compiling it. numba is imported only when a loop
is built (`loop`), never by importing autodiff.

No fastmath, no FMA contraction (numba's default), ``error_model="numpy"`` (a division by
zero is inf or nan, as in NumPy): each op is the one IEEE operation NumPy's loop does.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import sys
import threading
from typing import Any

__all__ = ["installed", "cache_dir", "loop_source", "loop"]

_installed: bool | None = None
_lock = threading.Lock()  # module files and the table of loaded loops
_loaded: dict[str, Any] = {}  # hash of a source -> its numba dispatcher

# what a group's expression may contain (it is written into a module and imported)
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
)
_FUNCTIONS = {"abs": "abs", "sqrt": "_np.sqrt"}  # numba's abs of a float is fabs's


def installed() -> bool:
    """Whether numba can be imported (looked up once, without importing it).

    >>> from autodiff import _jit
    >>> _jit.installed() in (True, False)
    True
    """
    global _installed
    if _installed is None:
        _installed = importlib.util.find_spec("numba") is not None
    return _installed


def cache_dir() -> str:
    """Where kernel modules (and numba's cache of them) are kept: ``$AUTODIFF_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/autodiff/kernels``, else ``~/.cache/autodiff/kernels``.

    >>> import os
    >>> from autodiff import _jit
    >>> os.path.isabs(_jit.cache_dir()) or "AUTODIFF_CACHE_DIR" in os.environ
    True
    """
    path = os.environ.get("AUTODIFF_CACHE_DIR", "").strip()
    if not path:
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = base or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "autodiff", "kernels")
    return path


def _indices(shape: tuple[int, ...], view: Any, ndim: int) -> list[str]:
    """The index of each axis of an input of `shape` in the loop over a result of `ndim`
    axes: its loop variable ``k<axis>``, or 0 where it is broadcast (size 1)."""
    if view is None:  # NumPy's broadcasting: axes aligned on the right
        offset = ndim - len(shape)
        return ["0" if size == 1 else f"k{offset + a}" for a, size in enumerate(shape)]
    order, kept = view  # transposed by `order`, then new axes where `kept` is False
    axes = [r for r, keep in enumerate(kept) if keep]
    return ["0" if size == 1 else f"k{axes[order.index(q)]}" for q, size in enumerate(shape)]


def loop_source(
    expression: str,
    shapes: tuple[tuple[int, ...], ...],
    views: tuple[Any, ...],
    ndim: int,
    written: int | None = None,
) -> str | None:
    """The module that computes `expression` as one loop nest (None: not expressible).

    `shapes` and `views` are the inputs' (their shapes as fed, their layouts as in
    `autodiff.fusion.Fused`); a 0-d input is passed as a scalar. Input number `written` (if
    any) is ``out`` itself: it is read as ``out`` (then the compiler sees that each element is
    read before it is written, and vectorizes the loop; it would not, for two arrays that
    may overlap).

    >>> from autodiff import _jit
    >>> print(_jit.loop_source("((i0 * i1) + i2)", ((4,), (3, 4), ()), (None,) * 3, 2))
    import numpy as _np
    from numba import njit
    <BLANKLINE>
    <BLANKLINE>
    @njit(cache=True, error_model="numpy", nogil=True)
    def kernel(i0, i1, i2, out):
        for k0 in range(out.shape[0]):
            for k1 in range(out.shape[1]):
                out[k0, k1] = i0[k1] * i1[k0, k1] + i2
    <BLANKLINE>
    """
    if ndim == 0 or len(shapes) != len(views):
        return None
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    names = {f"i{k}" for k in range(len(shapes))}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            return None
        if isinstance(node, ast.Name) and node.id not in names and node.id not in _FUNCTIONS:
            return None
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            return None
    indexed = {}
    for k, (shape, view) in enumerate(zip(shapes, views, strict=True)):
        index = _indices(shape, view, ndim)
        array = "out" if k == written else f"i{k}"
        indexed[f"i{k}"] = f"{array}[{', '.join(index)}]" if index else array

    class Indexed(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            text = indexed.get(node.id) or _FUNCTIONS[node.id]
            return ast.parse(text, mode="eval").body

    body = ast.unparse(Indexed().visit(tree))
    loops = "".join("    " * (a + 1) + f"for k{a} in range(out.shape[{a}]):\n" for a in range(ndim))
    target = f"out[{', '.join(f'k{a}' for a in range(ndim))}]"
    args = ", ".join([*sorted(names, key=lambda n: int(n[1:])), "out"])
    return (
        "import numpy as _np\nfrom numba import njit\n\n\n"
        '@njit(cache=True, error_model="numpy", nogil=True)\n'
        f"def kernel({args}):\n{loops}" + "    " * (ndim + 1) + f"{target} = {body}\n"
    )


def _module(source: str, digest: str) -> dict[str, Any]:
    """The namespace of `source` imported from its file in `cache_dir()` (written there if
    it is not, atomically); where that fails, executed in memory without numba's cache."""
    name = f"autodiff_kernel_{digest}"
    try:
        directory = cache_dir()
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name + ".py")
        try:
            with open(path, encoding="utf-8") as file:
                current = file.read()
        except FileNotFoundError:
            current = None
        if current != source:  # missing (or not what its name says): write it whole, then move
            temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(temporary, "w", encoding="utf-8") as file:
                file.write(source)
            os.replace(temporary, path)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise OSError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # numba's cache finds the globals of its loops by module
        spec.loader.exec_module(module)
        return vars(module)
    except OSError:  # no writable cache: compiled in this process only
        space: dict[str, Any] = {"__name__": name}
        code = source.replace("cache=True", "cache=False")
        exec(compile(code, f"<autodiff kernel {digest}>", "exec"), space)
        return space


def import_numba() -> Any:
    """numba, imported with its error messages uncoloured: with colour (colorama installed)
    numba sets ``sys.stdout`` and ``sys.stderr`` to the streams it first saw each time it
    formats one (even an error it catches itself while compiling), which, from a build in a
    thread, sends what the rest of the program prints to a stream it no longer uses."""
    os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
    import numba

    return numba


def loop(source: str, arrays: tuple[Any, ...]) -> Any:
    """numba's dispatcher for `source` (`loop_source`), compiled (or loaded from numba's
    cache) for the types of `arrays` (the inputs then ``out``); raises what numba raises.
    It compiles nothing more by itself afterwards: a call with other types raises TypeError."""
    numba = import_numba()  # only here: importing autodiff never imports numba
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    with _lock:
        dispatcher = _loaded.get(digest)
        if dispatcher is None:
            dispatcher = _loaded[digest] = _module(source, digest)["kernel"]
        signature = tuple(numba.typeof(a) for a in arrays)
        dispatcher.disable_compile(False)
        try:
            dispatcher.compile(signature)
        finally:
            if dispatcher.signatures:  # numba refuses to disable a dispatcher with none
                dispatcher.disable_compile()
    return dispatcher
