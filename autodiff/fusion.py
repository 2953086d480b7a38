"""Elementwise fusion in plans: a chain of arithmetic as ONE compiled loop (numba) or numexpr call.

numba (``pip install autodiff[jit]``) and numexpr (``autodiff[fast]``) are optional
accelerators. When one is installed, a plan (`autodiff.function`) looks, once its order is
fixed, for maximal groups of elementwise nodes whose intermediates nothing else reads, and
evaluates each group in one pass over memory instead of one NumPy call and one temporary
array per op. Without them, or with fusion switched off, plans are plain NumPy, as before.

What is fused: the ops whose NumPy form numba's loops and numexpr compute bit for bit as
NumPy does (checked for every float, nan, inf and -0.0 included, in float32 and float64; each
result keeps its node's dtype): ``+ - * /``, negative, ``abs``, ``sqrt``, ``square``
(``x ** 2``), the comparisons (as a group's last op), and einsums that only multiply two
operands elementwise, with broadcasting (``a[:, None] * W``; transposed operands are read
as strided views). An einsum of more operands whose last step, as a plan writes it, is such a
product (the Jacobian's ``ab,b,a,ac->ac``: a matvec, then rows of W scaled) is written as
its steps, one einsum each, so that the product joins the group (the same NumPy calls, so the
same values). Exp, log, tanh and the other transcendental functions are NOT fused: numba and
numexpr call the C library's versions, which differ from NumPy's in the last bit for a few
percent of inputs. Each op is found by what it declares (its `ufunc`, its `symbol`, its
`print_form` and parameters); a group's expression is kept in numexpr's syntax.

numba, when it is installed, takes every group whose result has at least
``JIT_MIN_SIZE[dtype]`` elements (float64 from 2**13, float32 from 2**14). A plan never
compiles on its first call: a group runs NumPy's ufuncs (into the plan's buffers) until it
has been called `jit_after` (10) times with one layout of its arrays (contiguous, strided,
transposed: each has its own loop); then its loop is built in a thread
(`jit_in_background`; calls run NumPy meanwhile, `wait` waits for it). The loop's source is
a module written into `autodiff._jit.cache_dir()` (``$AUTODIFF_CACHE_DIR``, else
``$XDG_CACHE_HOME/autodiff/kernels``, else ``~/.cache/autodiff/kernels``) under a hash of
its source and compiled with numba's ``cache=True``, ``error_model="numpy"``, no fastmath
(no FMA contraction): a later process loads it instead of compiling it. numba is imported
only then. A build that fails leaves the group on NumPy (the error is kept on the group, see
`kernels`); an unwritable cache means compiling in memory at each process.

Measured with ``python benchmarks/fusion.py --backend numba`` (x86-64 Zen 5 with AVX-512,
NumPy 2.4, numba 0.65, one thread; the loops built beforehand), the fused plan's time over
the plain one's: a 3-op group ``g * (1 - t * t)`` 1.3-2.2x below 4096 elements (a loop call
costs some 2-3 us in Python and numba's dispatch), 0.7-0.9x from 16384 on; broadcast
products ``a[:, None] * W + V * b[:, None]`` 0.6-0.9x from 1024 and 0.4x from 16384; a
chain of 9 ops 0.5-0.9x from 256, 0.2-0.45x from 16384 on; float32 alike, 1.1x for the 3-op
group at 16384. The Jacobian of tanh(W x) * (V x), n = 200, W and V fed: 0.99x of NumPy's
reference without the loop, 0.45-0.65x with it (``--numba``). Building a loop takes about
0.5 s (numba's import and compilation), loading it from the cache in a fresh process about
0.65 s (numba's import and its first load, which imports SciPy's BLAS where SciPy is
installed), then milliseconds per further loop.

numexpr runs the groups numba does not take (numba not installed, or `jit` off) whose result
has at least ``MIN_SIZE[dtype]`` elements (None: never). Measured with ``python
benchmarks/fusion.py`` when it was introduced (NumPy 2.4, numexpr 2.14 without VML, one
thread), the fused plan's time over the plain one's: float64 1.1-1.8x below 10^6 elements,
0.7-1.1x at 1-2 million, 0.6-0.8x from 4 million (32 MB arrays) on; float32 1.0-2.4x at
every size (re-measured with numba's table above, on a busier machine: 1.1-1.7x at 4 million
in float64, where numba's loops took 0.26-0.72x). Hence its default: float64 from 2**22
elements, float32 never. numexpr runs with its own thread setting
(``numexpr.set_num_threads``), which plans leave as the user set it.

Switching it off: set the environment variable ``AUTODIFF_FUSION=0`` before importing
autodiff, or ``autodiff.fusion.enabled = False`` (plans built afterwards are plain NumPy);
``AUTODIFF_JIT=0`` or ``autodiff.fusion.jit = False`` switches numba off only.
`Function.export` always writes plain NumPy.

>>> import numpy as np, autodiff as ad
>>> x = ad.Variable(np.zeros(1 << 22), name="x")
>>> plan = ad.function(2 * x * x - x / 3, inputs=[x])
>>> float(plan(np.full(1 << 22, 3.0))[0])
17.0
>>> ad.fusion.fused_calls(plan) == (1 if ad.fusion.active() else 0)
True
"""

from __future__ import annotations

import ast
import atexit
import collections
import functools
import os
import re
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _jit
from .node import Node

try:
    import numexpr
except ImportError:  # the optional accelerator is not installed: plans stay plain NumPy
    numexpr = None

__all__ = ["active", "kernels", "fused_calls", "compiled_calls", "wait", "enabled", "MIN_SIZE"]
__all__ += ["jit", "JIT_MIN_SIZE", "jit_after", "jit_in_background"]

_OFF = ("0", "false", "no", "off")
enabled = os.environ.get("AUTODIFF_FUSION", "1").strip().lower() not in _OFF
# the fewest elements of a group's result (by its inputs' dtype) for which numexpr runs it
MIN_SIZE: dict[str, int | None] = {"float64": 1 << 22, "float32": None}
# numba: compiled loops for the groups numexpr does not take (where numba is installed)
jit = os.environ.get("AUTODIFF_JIT", "1").strip().lower() not in _OFF
JIT_MIN_SIZE: dict[str, int | None] = {"float64": 1 << 13, "float32": 1 << 14}
jit_after = 10  # calls of a group (with one layout of its arrays) before its loop is built
jit_in_background = True  # built in a thread (calls run NumPy meanwhile), else in the call
_MAX_INPUTS = 24  # numexpr takes at most NumPy's 64 operands; keep well under
_MAX_OPS = 32  # members of one group (numexpr's registers are counted in a byte)

# the numexpr form of each NumPy ufunc it computes exactly as NumPy does
_UFUNCS: dict[Any, str] = {
    np.add: "({0} + {1})",
    np.subtract: "({0} - {1})",
    np.multiply: "({0} * {1})",
    np.divide: "({0} / {1})",
    np.negative: "(-{0})",
    np.absolute: "abs({0})",
    np.sqrt: "sqrt({0})",
}
_COMPARISONS = {s: f"({{0}} {s} {{1}})" for s in ("<", "<=", ">", ">=", "==", "!=")}
_NUMEXPR_TYPES = {np.dtype(np.float32): float, np.dtype(np.float64): np.float64}


def active() -> bool:
    """Whether plans built now fuse elementwise groups (`enabled`, and numexpr or numba
    installed; numba is looked up, not imported).

    >>> import autodiff as ad
    >>> ad.fusion.active() in (True, False)
    True
    """
    return enabled and (numexpr is not None or (jit and _jit.installed()))


def kernels(plan: Any) -> list[Any]:
    """The fused groups of a plan (`autodiff.Function`), each with its `backend`
    ("numexpr", "numba" or "numpy"), its compiled `loops` and the `error` of a failed build."""
    run = getattr(plan, "_buffered", plan._run)
    space = run.__globals__
    names = dict.fromkeys(re.findall(r"\b_u\d+\b", plan.source))
    return [space[name] for name in names if isinstance(space.get(name), _Kernel)]


def fused_calls(plan: Any) -> int:
    """How many fused groups a plan (`autodiff.Function`) runs, each as one call.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3))
    >>> ad.fusion.fused_calls(ad.function(x * x + 1, inputs=[x]))  # too small to pay
    0
    """
    return len(kernels(plan))


def compiled_calls(plan: Any) -> int:
    """How many of a plan's fused groups run as a compiled numba loop now (built after
    `jit_after` calls; see `wait`).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3))
    >>> ad.fusion.compiled_calls(ad.function(x * x + 1, inputs=[x]))
    0
    """
    return sum(bool(kernel.loops) for kernel in kernels(plan))


def wait(plan: Any = None, timeout: float | None = None) -> None:
    """Wait until the loops a plan's groups are building (in threads) are built; without a
    plan, every build this process has started.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3))
    >>> ad.fusion.wait(ad.function(x * x + 1, inputs=[x]))  # nothing to wait for
    >>> ad.fusion.wait()
    """
    threads = list(_threads) if plan is None else [t for k in kernels(plan) for t in k.threads]
    for thread in threads:
        thread.join(timeout)


# -- what a node is, in numexpr's terms ------------------------------------------------------
Arrangement = tuple[tuple[int, ...], tuple[bool, ...]] | None  # (transpose, kept axes) or None


def _form(node: Node) -> tuple[str, list[Arrangement]] | None:
    """The numexpr template of `node` ({0}, {1} for its inputs) and how each input is laid
    out for it (None: as it is, broadcast), or None where the node is not fused."""
    if node.dtype not in _NUMEXPR_TYPES and node.dtype != bool:
        return None
    if not node.inputs or any(x.dtype not in _NUMEXPR_TYPES for x in node.inputs):
        return None
    if any(x.dtype != node.inputs[0].dtype for x in node.inputs):
        return None
    plain: list[Arrangement] = [None] * len(node.inputs)
    if node.dtype == bool:
        if node.ufunc is None and len(node.inputs) == 2 and node.symbol in _COMPARISONS:
            return _COMPARISONS[node.symbol], plain
        return None
    if node.dtype != node.inputs[0].dtype:
        return None
    if node.ufunc is not None:
        template = _UFUNCS.get(node.ufunc)
        return None if template is None else (template, plain)
    if node.print_form == "power" and getattr(node, "p", None) == 2:
        return "({0} * {0})", plain  # np.square is x * x
    if node.print_form == "einsum" and len(node.inputs) == 2:
        return _product(node)
    return None


def _product(node: Node) -> tuple[str, list[Arrangement]] | None:
    """An einsum that only multiplies its two operands elementwise (``ij,i->ij``): each
    operand transposed to the result's order, with new axes where it has none."""
    equation = getattr(node, "equation", "")
    lhs, _, out = equation.partition("->")
    terms = lhs.split(",")
    if not (out.isalpha() and len(set(out)) == len(out)) or len(terms) != 2:
        return None
    arrangements: list[Arrangement] = []
    for term in terms:
        if not term.isalpha() or len(set(term)) != len(term) or not set(term) <= set(out):
            return None
        order = tuple(sorted(range(len(term)), key=lambda k: out.index(term[k])))
        arrangements.append((order, tuple(label in term for label in out)))
    return "({0} * {1})", arrangements


def _arranged_shape(shape: tuple[int, ...], arrangement: Arrangement) -> tuple[int, ...]:
    if arrangement is None:
        return shape
    order, kept = arrangement
    sizes = iter(shape[k] for k in order)
    return tuple(next(sizes) if keep else 1 for keep in kept)


def _arrange(array: Any, arrangement: Arrangement) -> Any:
    """`array` as a view laid out for the group (transposed, with new axes)."""
    if arrangement is None:
        return array
    order, kept = arrangement
    array = np.asarray(array)
    if order != tuple(range(len(order))):
        array = array.transpose(order)
    return array[tuple(slice(None) if keep else None for keep in kept)]


def _identity(arrangement: Arrangement) -> bool:
    return arrangement is None or (
        all(arrangement[1]) and arrangement[0] == tuple(range(len(arrangement[0])))
    )


# -- the fused node and its kernel ----------------------------------------------------------
class Fused(Node):
    """Elementwise ops evaluated as one expression (made by plans; see the module's text).

    `expression` is in numexpr's syntax over the inputs ``i0, i1, ...``, each laid out by its
    entry of `views` (None, or a transpose and the result's axes it has); `kind` is the
    result's dtype. Its value is numexpr's where it is installed, else NumPy's, op by op.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, -2.0]))
    >>> ad.fusion.Fused(x, x, expression="((i0 * i1) + abs(i0))", views=(None, None),
    ...                 kind="<f8")()
    array([2., 6.])
    """

    dispatches = False  # numexpr or a numba loop, on NumPy arrays

    expression: str
    views: tuple[Arrangement, ...]
    kind: str

    fresh = True
    differentiable = False

    @classmethod
    def infer(cls, *inputs, expression, views, kind):  # type: ignore[override]  # its own parameters
        if len(views) != len(inputs):
            raise ValueError(f"Fused: {len(inputs)} inputs but {len(views)} views")
        shapes = [_arranged_shape(x.shape, v) for x, v in zip(inputs, views, strict=True)]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f"Fused: cannot broadcast the inputs' shapes {shapes}") from None
        return shape, np.dtype(kind)

    @property
    def ufunc(self) -> Any:
        dtypes = tuple(x.dtype.str for x in self.inputs)
        shapes = tuple(x.shape for x in self.inputs)
        same = len(set(dtypes)) == 1 and np.dtype(dtypes[0]) in _NUMEXPR_TYPES
        backend = _backend(self.inputs[0].dtype.name, self.size) if same else "numpy"
        return _kernel(self.expression, dtypes, self.views, self.kind, shapes, self.shape, backend)

    def eval(self, *arrays):
        return self.ufunc(*arrays)

    def grad(self, g):
        return (None,) * len(self.inputs)


# the ufunc of each operator of a group's expression (as `Fused` writes it)
_OPS: dict[type, str] = {ast.Add: "_np.add", ast.Sub: "_np.subtract", ast.Mult: "_np.multiply"}
_OPS.update({ast.Div: "_np.divide", ast.USub: "_np.negative"})
_OPS.update({ast.Lt: "_np.less", ast.LtE: "_np.less_equal", ast.Gt: "_np.greater"})
_OPS.update({ast.GtE: "_np.greater_equal", ast.Eq: "_np.equal", ast.NotEq: "_np.not_equal"})
_CALLS = {"abs": "_np.absolute", "sqrt": "_np.sqrt"}


def _numpy_form(expression: str, views: tuple[Arrangement, ...], ndim: int) -> Any:
    """The group as NumPy's ufuncs, one call per op, the last one into ``out``: a function
    of the inputs (as fed: each is laid out here) and ``out=None``; None where `expression`
    is not made of the fused ops."""
    count = len(views)
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None

    def call(node: ast.AST, last: bool) -> str:
        into = ", out=out" if last else ""
        if isinstance(node, ast.Name) and node.id in {f"i{k}" for k in range(count)}:
            return f"_np.positive({node.id}{into})" if last else node.id
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = call(node.left, False), call(node.right, False)
            return f"{_OPS[type(node.op)]}({left}, {right}{into})"
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return f"{_OPS[type(node.op)]}({call(node.operand, False)}{into})"
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and type(node.ops[0]) in _OPS
            and len(node.comparators) == 1
        ):
            left, right = call(node.left, False), call(node.comparators[0], False)
            return f"{_OPS[type(node.ops[0])]}({left}, {right}{into})"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _CALLS
            and len(node.args) == 1
            and not node.keywords
        ):
            return f"{_CALLS[node.func.id]}({call(node.args[0], False)}{into})"
        raise ValueError(f"not a fused op: {ast.dump(node)}")

    try:
        value = call(tree, True)
    except ValueError:
        return None
    lines = [f"def numpy_form({', '.join(f'i{k}' for k in range(count))}, out=None):"]
    for k, view in enumerate(views):
        if view is not None and not _identity(view):
            order, kept = view
            index = ", ".join(":" if keep else "None" for keep in kept)
            lines.append(f"    i{k} = _np.asarray(i{k}).transpose({order!r})[{index}]")
    lines.append(f"    return {value}" if ndim else f"    return _np.asarray({value})")
    space: dict[str, Any] = {"_np": np}
    exec(compile("\n".join(lines) + "\n", "<autodiff fused group>", "exec"), space)
    return space["numpy_form"]


class _Kernel:
    """One group, called with the inputs' arrays (and the result's array, to write into, as a
    ufunc's ``out``). Its `backend`: "numexpr" (a precompiled program), "numba" (a compiled
    loop, built after `jit_after` calls; NumPy until then) or "numpy" (op by op).

    `loops` holds the compiled loops by the layouts of the arrays they were built for, `error`
    the exception a build raised (then the group stays NumPy), `threads` its builds."""

    __name__ = "fused"

    def __init__(self, expression: str, dtypes, views, kind: str, shapes, shape, backend: str):
        self.expression = expression
        self.views = views
        self.count = len(dtypes)
        self.kind = np.dtype(kind)
        self.shape = shape
        self.program = None
        self.source: str | None = None
        self.loops: dict[tuple, Any] = {}
        self.seen: collections.Counter[tuple] = collections.Counter()
        self.error: BaseException | None = None
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.scalars = tuple(k for k, s in enumerate(shapes) if not s)
        self.numpy_form = _numpy_form(expression, views, len(shape))
        self.backend = backend
        if self.backend == "numba":
            self.source = _jit.loop_source(expression, shapes, views, len(shape))
            self.sources = {None: self.source}  # by which input is out itself, if one is
            self.shapes = shapes
        if self.backend == "numexpr":
            signature = [(f"i{k}", _NUMEXPR_TYPES[np.dtype(d)]) for k, d in enumerate(dtypes)]
            try:
                program = numexpr.NumExpr(
                    expression, signature=signature, optimization="none", truediv=True
                )
            except (ValueError, TypeError, KeyError, NotImplementedError, SyntaxError):
                program = None
            # its result's dtype must be the node's (numexpr would upcast silently)
            if program is not None and _NUMEXPR_RESULT.get(program.fullsig[:1]) == self.kind:
                self.program = program
        if self.program is None and self.source is None:
            self.backend = "numpy"

    def __call__(self, *arrays: Any) -> Any:
        out = arrays[self.count] if len(arrays) > self.count else None
        arrays = arrays[: self.count]
        if self.source is not None:
            return self._loop(arrays, out)
        if self.program is None:
            return self.numpy(*arrays, out=out)
        arrays = tuple(_arrange(a, v) for a, v in zip(arrays, self.views, strict=True))
        if out is not None and any(_overlap(out, a) for a in arrays):
            out = None  # numexpr writes block by block: no input may be another view of out
        return self.program(*arrays, out=out, order="K", casting="safe", ex_uses_vml=False)

    def _loop(self, arrays: tuple, out: Any) -> Any:
        """The numba backend: the compiled loop for these arrays' layouts where it is built,
        else NumPy's ufuncs (and a build is started at the `jit_after`-th such call)."""
        if self.scalars:  # a 0-d input goes in as a scalar of its dtype
            arrays = tuple(
                a[()] if k in self.scalars and isinstance(a, np.ndarray) else a
                for k, a in enumerate(arrays)
            )
        # the key: what numba's types of the arrays depend on (contiguity, alignment,
        # writeability), and which input is out itself, if one is
        parts: list[Any] = []
        written = None
        for k, a in enumerate(arrays):
            if type(a) is not np.ndarray:
                parts.append(type(a))
                continue
            parts.append(a.flags.num & 0x503)
            if a is out:
                written = k
            elif out is not None and np.may_share_memory(out, a) and _overlap(out, a):
                out = None  # another view of out: the loop writes element by element
        if out is None:
            out = np.empty(self.shape, self.kind)
            written = None
        key = (*parts, out.flags.num & 0x503, written)
        loop = self.loops.get(key)
        if loop is not None:
            try:
                loop(*arrays, out)
                return out
            except TypeError:  # types numba did not compile it for (it compiles no more)
                self.loops.pop(key, None)
                self.seen[key] = -(1 << 62)  # never built again
        else:
            self.seen[key] += 1
            if self.seen[key] == jit_after:
                self._start(key, (*arrays, out))
        return self.numpy(*arrays, out=out)

    def _start(self, key: tuple, arrays: tuple) -> None:
        if not (jit and self.error is None and _builds_allowed):
            return
        if not jit_in_background:
            self._build(key, arrays)
            return
        thread = threading.Thread(
            target=self._build, args=(key, arrays), name="autodiff-jit", daemon=True
        )
        self.threads.append(thread)
        _threads.add(thread)
        thread.start()

    def _build(self, key: tuple, arrays: tuple) -> None:
        global _building
        with _counting:
            _building += 1
        try:
            written = key[-1]
            with self.lock:
                if written not in self.sources:
                    self.sources[written] = _jit.loop_source(
                        self.expression, self.shapes, self.views, len(self.shape), written
                    )
                source = self.sources[written]
                if source is None:
                    raise ValueError(f"fused: no loop for {self.expression}")
                self.loops[key] = _jit.loop(source, arrays)
        except Exception as error:  # numba refused it: the group stays NumPy, `error` says why
            self.error = error
        finally:
            with _counting:
                _building -= 1

    def numpy(self, *arrays: Any, out: Any = None) -> Any:
        """The group's value computed by NumPy, op by op (no numexpr, no numba)."""
        if self.numpy_form is not None:
            return self.numpy_form(*arrays, out=out)
        arrays = tuple(_arrange(a, v) for a, v in zip(arrays, self.views, strict=True))
        names = {f"i{k}": np.asarray(a) for k, a in enumerate(arrays)}
        space = {"__builtins__": {}, "abs": np.absolute, "sqrt": np.sqrt}
        return np.array(eval(self.expression, space, names), dtype=self.kind)  # a new array


_building = 0  # builds running now, in threads or not
_builds_allowed = True  # False in a child forked while a build ran (numba's locks are held)
_counting = threading.Lock()


_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()  # builds started


@atexit.register
def _finish_builds() -> None:
    """Let builds end before the interpreter does (not in the middle of numba's compiler)."""
    for thread in list(_threads):
        thread.join(30.0)


def _after_fork() -> None:
    global _builds_allowed, _counting
    _counting = threading.Lock()
    if _building:
        _builds_allowed = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _backend(dtype: str, size: int) -> str:
    """Which backend runs a group of `size` elements of `dtype` (see the module's text)."""
    least = JIT_MIN_SIZE.get(dtype)
    if jit and _jit.installed() and least is not None and size >= least:
        return "numba"  # faster than numexpr at every size measured
    least = MIN_SIZE.get(dtype)
    if numexpr is not None and least is not None and size >= least:
        return "numexpr"
    return "numpy"


def _overlap(out: np.ndarray, array: Any) -> bool:
    """Whether `array` is laid out over `out`'s memory otherwise than as `out` itself (a
    transpose of it, a part of it): then writing `out` changes what is still to be read."""
    if array is out or not isinstance(array, np.ndarray) or not np.may_share_memory(out, array):
        return False
    same = array.shape == out.shape and array.strides == out.strides
    return not (same and array.ctypes.data == out.ctypes.data)


_NUMEXPR_RESULT = {b"f": np.dtype(np.float32), b"d": np.dtype(np.float64), b"b": np.dtype(bool)}


@functools.lru_cache(maxsize=512)
def _kernel(expression: str, dtypes, views, kind: str, shapes, shape, backend: str) -> _Kernel:
    return _Kernel(expression, dtypes, views, kind, shapes, shape, backend)


# -- finding the groups -------------------------------------------------------------------
def fuse(
    nodes: Sequence[Node], outputs: Sequence[Node], inputs: Sequence[Node]
) -> tuple[list[Node], list[Node]]:
    """`nodes` (a plan's order) and `outputs` with each fusable group as one `Fused` node.

    A group is a root node and the nodes it reads, recursively, that are fusable, of the
    root's shape and dtype, read by nothing else and not outputs; its inputs are the values
    it reads from outside. Nodes downstream of a group are rebuilt to read its `Fused` node.
    Returns the lists unchanged when nothing is fused (or fusion is not `active`).
    """
    if not (active() and any(_large(node) for node in nodes)):
        return list(nodes), list(outputs)
    given = list(nodes), list(outputs)
    nodes, outputs = _split_products(nodes, outputs)
    fed = {id(x) for x in inputs}
    known: set[int] = set()  # values the plan computes once, when it is built
    uses: collections.Counter[int] = collections.Counter()
    for node in nodes:
        if node.constant or (node.inputs and all(id(x) in known for x in node.inputs)):
            known.add(id(node))
        for x in node.inputs:
            uses[id(x)] += 1
        for x in node.plan_reads() or ():  # read by a line that is no group's
            uses[id(x)] += 2
    for node in outputs:
        uses[id(node)] += 2

    forms: dict[int, tuple[str, list[Arrangement]] | None] = {}

    def form(node: Node):
        if id(node) not in forms:
            outside = id(node) in fed or id(node) in known or node.identity
            forms[id(node)] = None if outside else _form(node)
        return forms[id(node)]

    absorbed: set[int] = set()
    groups: dict[int, Node] = {}
    for root in reversed(nodes):
        if id(root) in absorbed or not _large(root) or form(root) is None:
            continue
        members = _members(root, form, uses, absorbed)
        if members is None:
            continue
        fused = _fused(root, members, form)
        if fused is not None:
            groups[id(root)] = fused
            absorbed |= members - {id(root)}
    if not groups:
        return given
    return _rebuilt(nodes, outputs, groups, absorbed)


def _split_products(nodes: Sequence[Node], outputs: Sequence[Node]) -> tuple[list, list]:
    """`nodes` and `outputs` with each large einsum of three or more operands whose last
    pairwise step (as a plan writes it) is a broadcast product, and whose one reader is
    fusable, written as that product of two nodes: each step of its contraction order
    (`autodiff.ops.einsum_plan`) one einsum of one or two operands, which a plan writes as
    the same NumPy call it writes for that step (so the values are the same, bit for bit).
    The product can then join its reader's group."""
    readers: dict[int, list[Node]] = collections.defaultdict(list)
    for node in nodes:
        for x in node.inputs:
            readers[id(x)].append(node)
    outputs_ = {id(x) for x in outputs}
    steps: dict[int, list[Node]] = {}
    for node in nodes:
        reader = readers.get(id(node), [])
        if (
            node.print_form == "einsum"
            and len(node.inputs) > 2
            and _large(node)
            and id(node) not in outputs_
            and len(reader) == 1
            and _form(reader[0]) is not None
        ):
            split = _steps(node)
            if split is not None:
                steps[id(node)] = split
    if not steps:
        return list(nodes), list(outputs)
    order: list[Node] = []
    mapped: dict[int, Node] = {}
    for node in nodes:
        if id(node) in steps:
            *before, last = steps[id(node)]
            order += before
            mapped[id(node)] = last
            order.append(last)
            continue
        if any(id(x) in mapped for x in node.inputs):
            inputs = [mapped.get(id(x), x) for x in node.inputs]
            rebuilt = node.with_inputs(inputs)
            same = type(rebuilt) is type(node) and rebuilt.shape == node.shape
            if not (same and rebuilt.dtype == node.dtype and rebuilt.inputs == tuple(inputs)):
                return list(nodes), list(outputs)  # a fold changed the graph: keep it as it is
            mapped[id(node)] = rebuilt
            node = rebuilt
        order.append(node)
    return order, [mapped.get(id(x), x) for x in outputs]


def _steps(node: Node) -> list[Node] | None:
    """The einsums of `node`'s contraction steps, the last one `node`'s value as a
    broadcast product of two operands; None where it is not of that kind."""
    from .ops.einsum import einsum
    from .ops.einsum_plan import _natural_order, _path

    if node.dtype.kind != "f" or any(x.dtype != node.dtype for x in node.inputs):
        return None  # the plan casts mixed operands first
    matrices = [x for x in node.inputs if x.ndim == 2]
    if len(matrices) == 2 and matrices[0] is matrices[1]:
        return None  # maybe x.T diag(w) x, which a plan writes as one symmetric product
    terms, out, sizes = node.labels()  # type: ignore[attr-defined]  # an Einsum's
    live = list(zip(terms, node.inputs, strict=True))
    made: list[Node] = []
    whole = node.equation  # type: ignore[attr-defined]
    path = _path(whole, tuple(x.shape for x in node.inputs))
    for number, step in enumerate(path):
        picked = [live[i] for i in step]
        for i in sorted(step, reverse=True):
            del live[i]
        if not live:
            if number != len(path) - 1 or len(picked) != 2:
                return None
            (ta, a), (tb, b) = picked
            labels = set(ta) | set(tb)
            if labels != set(out) or any(len(set(t)) != len(t) for t in (ta, tb)):
                return None  # a sum or a diagonal in the last step: not a product
            last = einsum(f"{ta},{tb}->{out}", a, b)
            if last.print_form != "einsum" or last.inputs != (a, b) or last.shape != node.shape:
                return None
            return [*made, last]
        needed = set(out).union(*(t for t, _ in live))
        keep = "".join(
            label for label in dict.fromkeys("".join(t for t, _ in picked)) if label in needed
        )
        if len(picked) == 2:  # as `_write_few` orders an intermediate's axes
            reduced = [
                "".join(
                    label
                    for label in dict.fromkeys(picked[k][0])
                    if label in keep or label in picked[1 - k][0]
                )
                for k in range(2)
            ]
            if any(r != t for r, (t, _) in zip(reduced, picked, strict=True)):
                return None  # a sum inside one operand first: left as it is
            keep = _natural_order(reduced[0], reduced[1], keep, out, sizes)
        equation = ",".join(t for t, _ in picked) + "->" + keep
        made.append(einsum(equation, *(x for _, x in picked)))
        if made[-1].print_form != "einsum" or made[-1].inputs != tuple(x for _, x in picked):
            return None
        live.append((keep, made[-1]))
    return None


def _large(node: Node) -> bool:
    """Whether `node`'s result is large enough to fuse (by `MIN_SIZE` for its inputs' dtype,
    or `JIT_MIN_SIZE` where numba is installed)."""
    if not node.inputs:
        return False
    return _backend(node.inputs[0].dtype.name, node.size) != "numpy"


def _members(root: Node, form, uses, absorbed) -> set[int] | None:
    """The nodes of `root`'s group (itself included), or None for a group of one op."""
    members = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        _, arrangements = form(node)
        for x, arrangement in zip(node.inputs, arrangements, strict=True):
            if (
                len(members) < _MAX_OPS
                and id(x) not in members
                and id(x) not in absorbed
                and uses[id(x)] == 1
                and x.shape == root.shape
                and x.dtype.kind == "f"  # a comparison ends its group
                and _identity(arrangement)
                and form(x) is not None
            ):
                members.add(id(x))
                stack.append(x)
    return members if len(members) > 1 else None


def _fused(root: Node, members: set[int], form) -> Node | None:
    """The `Fused` node computing `root` from its group's inputs (None: too many inputs)."""
    names: dict[tuple[int, Arrangement], str] = {}
    reads: list[tuple[Node, Arrangement]] = []

    def text(node: Node) -> str:
        template, arrangements = form(node)
        parts = []
        for x, arrangement in zip(node.inputs, arrangements, strict=True):
            if id(x) in members:
                parts.append(text(x))
                continue
            key = (id(x), arrangement)
            if key not in names:
                names[key] = f"i{len(names)}"
                reads.append((x, arrangement))
            parts.append(names[key])
        return template.format(*parts)

    expression = text(root)
    if len(reads) > _MAX_INPUTS:
        return None
    fused = Fused(
        *(x for x, _ in reads),
        expression=expression,
        views=tuple(arrangement for _, arrangement in reads),
        kind=root.dtype.str,
    )
    return fused if fused.shape == root.shape else None


def _rebuilt(nodes, outputs, groups, absorbed) -> tuple[list[Node], list[Node]]:
    """The plan's order with the groups replaced, downstream nodes rebuilt on them."""
    mapped: dict[int, Node] = {}
    order: list[Node] = []
    seen: set[int] = set()
    for node in nodes:
        if id(node) in absorbed:
            continue
        new = groups.get(id(node), node)  # a group's root: its Fused node
        if any(id(x) in mapped for x in new.inputs):  # it reads a group: rebuilt on it
            inputs = [mapped.get(id(x), x) for x in new.inputs]
            rebuilt = new.with_inputs(inputs)
            same = type(rebuilt) is type(new) and rebuilt.shape == new.shape
            if not (same and rebuilt.dtype == new.dtype and rebuilt.inputs == tuple(inputs)):
                return list(nodes), list(outputs)  # a fold changed the graph: keep it as it is
            new = rebuilt
        if new is not node:
            mapped[id(node)] = new
        if id(new) in seen:  # two groups computing the same: keep the plan as it is
            return list(nodes), list(outputs)
        seen.add(id(new))
        order.append(new)
    return order, [mapped.get(id(node), node) for node in outputs]
