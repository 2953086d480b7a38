"""Evaluation plans: `function(outputs, inputs)` builds a plan once, then each call runs it.

Building a plan simplifies the graph (`autodiff.simplification`), fixes the topological order,
evaluates once whatever depends on constants only, and writes the whole schedule as ONE
straight-line Python function: each node is a line, each intermediate is deleted right after
its last use, and a result may be written over an input array that nothing reads afterwards.
The planner is generic: it imports no op class and reads what each op declares (see
`autodiff.node.Node`): its `ufunc` and `template` (a call, with ``out=`` when an array may be
written over), whether its result is `fresh` (safe default: no), whether it is an `identity`
or `constant`, the nodes its line reads (`plan_reads`), and its own `lower` hook (an einsum
writes matmuls and broadcast products in opt_einsum's order, a reshape a view; see
docs/architecture.md). An op that declares nothing runs through its `eval` and is never
written over. Calling the plan runs that function; Variables that are not inputs are read at
each call, so a plan never sees a stale value. `eval` is the one-off form.
"""

from __future__ import annotations

import builtins
import functools
import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from . import blas, fusion
from .backends import Backend, backend_for
from .casting import ForeignArray
from .node import Node, Variable, kernel_of, toposort
from .simplification import paused_gc, simplify_in_order

_BUFFER_BYTES = 1 << 16  # intermediates this large go to buffers kept between calls


class Function:
    """A callable plan for `outputs` with `inputs` fed as arrays (see `function`).

    `node_count` is the size of the graph the plan runs (after simplification) and `source`
    the Python code it runs. Large intermediates go to buffers the plan keeps between calls;
    a call made while another is running (from another thread) runs without them. With
    ``inplace=False`` no result is written over an array made earlier, and no buffer is kept
    (slower; for comparisons). `backend` is where the arrays live (`function` says more).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(2), name="x")
    >>> plan = ad.Function(ad.sum(x * x * 1.0), inputs=[x])
    >>> plan(np.array([1.0, 2.0])), plan.node_count
    (array(5.), 3)
    """

    def __init__(
        self,
        outputs: Node | Sequence[Node],
        inputs: Sequence[Variable] = (),
        simplify: bool = True,
        inplace: bool = True,
        backend: Any = None,
        compute: bool = False,
    ):
        self.backend: Backend | None = None if backend is None else backend_for(backend)
        self.compute = compute
        self._on: dict[str, Function] = {}  # the plan on other backends, as they are fed
        self.single = isinstance(outputs, Node)
        if not (self.single or _is_collection(outputs)):
            raise TypeError(
                f"function: outputs must be a Node or a list of Nodes, got {type(outputs).__name__}"
            )
        if isinstance(inputs, Node) or not _is_collection(inputs):
            raise TypeError(
                f"function: inputs must be a list of Variables, got {type(inputs).__name__}"
                + (" (put it in a list: inputs=[x])" if isinstance(inputs, Node) else "")
            )
        self.outputs: list[Node] = [outputs] if isinstance(outputs, Node) else list(outputs)
        self.inputs = list(inputs)
        for i, node in enumerate(self.outputs):
            if not isinstance(node, Node):
                raise TypeError(f"function: output {i} is a {type(node).__name__}, not a Node")
        for i, node in enumerate(self.inputs):
            if not isinstance(node, Variable):
                raise TypeError(
                    f"function: input {i} must be a Variable, got {type(node).__name__}"
                )
        if len({id(x) for x in self.inputs}) != len(self.inputs):
            raise ValueError("function: the same Variable is listed twice in inputs")
        with paused_gc():
            if simplify:
                planned, self.nodes = simplify_in_order(self.outputs)
            else:
                planned, self.nodes = self.outputs, toposort(self.outputs)
            self._plan = (planned, self.nodes, self.inputs, self.single, inplace)
            if self.backend is not None and self.backend.name != "numpy":
                self.source, self._call = _generate_on(self.backend, *self._plan[:4], compute)
                return
            self.source, self._run = _generate(*self._plan, buffers=inplace)
        if "_buf" in self.source:  # it keeps buffers between calls: one call at a time uses them
            self._buffered = self._run
            self._lock = _Turn()
            self._run = _one_at_a_time(self._run, self._lock, self._without_buffers)
        # what a call runs: with small products only, on one BLAS thread (see autodiff.blas)
        small = 0 < max((n.blas_work for n in self.nodes), default=0) < blas.THREADED_WORK
        self._call = blas.on_one_thread(self._run) if small else self._run

    def _without_buffers(self, *arrays):
        """Run a call made while another is running (another thread, re-entry): the plan
        written without buffers, made at the first such call."""
        run = _generate(*self._plan, buffers=False)[1]
        self._run.__globals__["_unbuffered"] = run  # what `_one_at_a_time`'s code calls next
        return run(*arrays)

    @property
    def planned(self) -> list[Node]:
        """The outputs as the plan computes them (simplified, unless ``simplify=False``)."""
        return list(self._plan[0])

    @property
    def node_count(self) -> int:
        """The number of nodes of the graph this plan evaluates (after simplification)."""
        return len(self.nodes)

    def export(self, path: str, name: str = "plan") -> str:
        """Write this plan as a standalone module at `path`: one function `name` whose only
        import is NumPy, with the same operations (see `autodiff.printing.export`).

        Its arguments are the plan's inputs, then the other Variables it reads, named after
        them. Returns the module's text.

        >>> import numpy as np, autodiff as ad, tempfile, os
        >>> x = ad.Variable(np.zeros(2), name="x")
        >>> plan = ad.function(ad.tanh(x) * 2, inputs=[x])
        >>> path = os.path.join(tempfile.mkdtemp(), "double_tanh.py")
        >>> "import numpy as np" in plan.export(path, name="double_tanh")
        True
        """
        from .printing.export import write

        source, run = _generate(*self._plan, buffers=False, fuse=False, inline_checks=False)
        return write(path, name, source, run.__globals__, self)

    def on(self, backend: Any) -> Function:
        """This plan on another backend (made at the first call, then kept): what a call fed
        that backend's arrays runs.

        >>> import numpy as np, autodiff as ad
        >>> x = ad.Variable(np.zeros(2), name="x")
        >>> ad.function(ad.sum(x * x), inputs=[x]).on("dask").backend
        <autodiff backend 'dask'>
        """
        target = backend_for(backend)
        if target.name == (self.backend.name if self.backend is not None else "numpy"):
            return self
        if target.name not in self._on:
            planned = self._plan[0][0] if self.single else self._plan[0]
            self._on[target.name] = Function(
                planned, self.inputs, simplify=False, backend=target, compute=self.compute
            )
        return self._on[target.name]

    def __call__(self, *arrays: Any) -> Any:
        try:  # the plan's code takes one argument per input: a wrong count fails on entry
            return self._call(*arrays)
        except ForeignArray as error:  # a dask or CuPy array fed: the plan on that backend
            if self.backend is not None:
                raise TypeError(
                    f"function: this plan's backend is {self.backend.name!r}; it was fed a "
                    f"{error.library} array (make it with backend={error.library!r}, or none)"
                ) from None
            return self.on(error.library)(*arrays)
        except TypeError:
            if len(arrays) != len(self.inputs):
                raise TypeError(
                    f"function: expected {len(self.inputs)} input arrays, got {len(arrays)}"
                ) from None
            raise


def function(
    outputs: Node | Sequence[Node],
    inputs: Sequence[Variable] = (),
    simplify: bool = True,
    backend: Any = None,
    compute: bool = False,
) -> Function:
    """Plan the evaluation of `outputs` once; call the plan with one array per input.

    Variables not listed in `inputs` are read at each call (their current values). The
    graph is simplified first unless ``simplify=False``; `Function.node_count` says how
    many nodes the plan runs.

    `backend` is where the arrays live: "numpy" (the default), "dask", "cupy", or an array
    module (`autodiff.backends`). With the default, a plan fed dask (or CuPy) arrays runs on
    that backend. A Dask plan returns dask arrays, computed by nobody until asked; with
    ``compute=True`` it computes all outputs at once (one ``dask.compute``, with the scheduler
    or ``dask.distributed`` client in use) and returns NumPy arrays. Declare the Variables
    of big inputs with `Variable.like` (shape and dtype only).

    >>> import numpy as np, dask.array as da, autodiff as ad
    >>> X = ad.Variable.like(np.empty((1000, 3)), name="X")
    >>> w = ad.Variable(np.ones(3), name="w")
    >>> loss = ad.sum(ad.logaddexp(0.0, X @ w))
    >>> plan = ad.function([loss, ad.hessian(loss, w)], inputs=[X], backend="dask", compute=True)
    >>> value, H = plan(da.ones((1000, 3), chunks=(250, 3)))   # 4 chunks: a tree reduction
    >>> on_numpy = ad.function(ad.hessian(loss, w), inputs=[X])
    >>> H.shape, bool(np.allclose(H, on_numpy(np.ones((1000, 3)))))
    ((3, 3), True)

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3), name="x")
    >>> w = ad.Variable(np.ones(3), name="w")
    >>> loss = ad.sum(ad.square(x - w))
    >>> step = ad.function([loss, ad.grad(loss, x)], inputs=[x])
    >>> value, dx = step(np.array([1.0, 2.0, 3.0]))
    >>> float(value), dx
    (5.0, array([0., 2., 4.]))
    >>> step.node_count <= ad.count_nodes([loss, ad.grad(loss, x)])  # the simplified plan
    True
    """
    return Function(outputs, inputs, simplify=simplify, backend=backend, compute=compute)


def eval(nodes: Node | Sequence[Node], feed: Mapping[Variable, Any] | None = None):
    """Evaluate one node or several, sharing their common work; `feed` overrides Variables.

    A one-off evaluation: the graph is run as it is, without simplifying it first.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array(2.0))
    >>> ad.eval([x * 3, x + 1], feed={x: 5.0})
    [array(15.), array(6.)]
    """
    if feed is not None and not isinstance(feed, Mapping):
        raise TypeError(
            f"eval: feed must be a mapping from Variables to values, got {type(feed).__name__}"
        )
    feed = dict(feed or {})
    for key in feed:
        if not isinstance(key, Variable):
            raise TypeError(
                f"eval: feed keys must be Variables, got {getattr(key, 'name', type(key).__name__)}"
            )
    return Function(nodes, list(feed), simplify=False)(*feed.values())


def _is_collection(items: Any) -> bool:
    """Whether `items` holds several things (a list, a tuple, a generator; not a string)."""
    return isinstance(items, Iterable) and not isinstance(items, (str, bytes, np.ndarray, Node))


# -- code generation ---------------------------------------------------------------------------
class _Writer:
    """Collects the lines of the plan function and the objects its names are bound to.

    This is what an op's `lower` hook is given: it appends to `lines` (``_np`` is NumPy),
    names objects with `bind`, takes fresh names from `temp`, and may ask `buffer()` for a
    maker of views into a buffer its result may be written into (None where none fits).
    """

    def __init__(self):
        self.lines: list[str] = []
        self.globals: dict[str, Any] = {
            "_np": np,
            "_asarray": np.asarray,
            "_contiguous": np.ascontiguousarray,
        }
        self._names = itertools.count()
        self._bound: dict[int, str] = {}  # id(object) -> its name (the objects stay in globals)
        self.constants: set[str] = set()  # names of values known when the plan is built
        self.dtype = None  # while an einsum is written: its dtype, if all its operands share it
        self.buffer: Callable[[], Callable[[tuple], str] | None] = lambda: None

    def arranged(self, expression: str, operand: str) -> str:
        """`expression` (a transpose or reshape of `operand`), done now if `operand` is known."""
        if operand not in self.constants or expression == operand:
            return expression
        value = builtins.eval(expression, dict(self.globals))  # this module's `eval` is another
        return self.bind(np.ascontiguousarray(value), "_c")

    def bind(self, value: Any, prefix: str = "_g") -> str:
        name = self._bound.get(id(value))
        if name is None:
            name = f"{prefix}{next(self._names)}"
            self.globals[name] = value
            self._bound[id(value)] = name
        return name

    def temp(self) -> str:
        return f"t{next(self._names)}"


def _constant_values(nodes: list[Node], fed: set[int]) -> dict[int, Any]:
    """The values of nodes that depend on no Variable, computed once (read-only arrays)."""
    known: dict[int, Any] = {}
    for node in nodes:
        if node.constant or (node.inputs and all(id(x) in known for x in node.inputs)):
            value = kernel_of(node)(*[known[id(x)] for x in node.inputs])
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
            known[id(node)] = value
    return known


def _overwritable(nodes: list[Node], outputs: list[Node], known: dict[int, Any], fed: set[int]):
    """For each step, the inputs whose arrays the step may overwrite with its result.

    An array may be overwritten when the plan made it (a new array, not a Variable's value
    nor a constant), nothing derived from it without copying (a reshape, an index, an op
    that may return a view) is read later, and it is not an output. Also returns, for each
    node, the new arrays its value may share memory with, and for each new array the last
    step that reads it or a view of it.
    """
    last_read: dict[int, float] = {}
    for i, node in enumerate(nodes):
        for x in node.inputs:
            last_read[id(x)] = i
    for node in outputs:
        last_read[id(node)] = float("inf")
    owners: dict[int, frozenset] = {}  # node -> the new arrays its value may share memory with
    for node in nodes:
        if id(node) in known or id(node) in fed or not node.inputs:
            owners[id(node)] = frozenset()
        elif node.fresh:  # with float inputs its dtype is surely the declared one
            exact = node.dtype.kind in "fc" and all(x.dtype.kind in "fc" for x in node.inputs)
            owners[id(node)] = frozenset([id(node)]) if exact else frozenset()
        else:
            owners[id(node)] = frozenset().union(*(owners[id(x)] for x in node.inputs))
    busy_until: dict[int, float] = {}  # new array -> last step that reads it or any view of it
    for node in nodes:
        for owner in owners[id(node)]:
            busy_until[owner] = max(busy_until.get(owner, -1), last_read.get(id(node), -1))
    return _free(nodes, owners, busy_until), owners, busy_until


def _free(nodes: list[Node], owners: dict[int, frozenset], busy_until: dict[int, float]):
    """For each step, the inputs whose arrays nothing reads after it (see `_overwritable`)."""
    return {
        id(node): [x for x in node.inputs if owners[id(x)] == {id(x)} and busy_until[id(x)] == i]
        for i, node in enumerate(nodes)
    }


def _memory(nodes: list[Node]) -> dict[int, frozenset]:
    """For each node, the arrays its value may share memory with: its own if it is a new
    array (or a leaf's), else those of its inputs (it may be a view of one of them)."""
    memory: dict[int, frozenset] = {}
    for node in nodes:
        if node.fresh or not node.inputs:
            memory[id(node)] = frozenset([id(node)])
        else:
            memory[id(node)] = frozenset().union(*(memory[id(x)] for x in node.inputs))
    return memory


def _copied_outputs(nodes: list[Node], outputs: list[Node], known: dict[int, Any]) -> set[int]:
    """The outputs to return as copies, so that every array a call returns is the caller's
    alone: writing into it changes no Variable's value, no array fed in, no constant of the
    plan, and no other array of the same call (an output twice, or an output and a view of it).
    """
    memory = _memory(nodes)
    leaves = {id(node) for node in nodes if not node.inputs}
    copied: set[int] = set()
    claimed: frozenset[int] = frozenset()
    for i, node in enumerate(outputs):
        mine = memory[id(node)]
        if id(node) in known or mine & leaves or mine & claimed:
            copied.add(i)
        claimed |= mine
    return copied


def _shortcuts(nodes: list[Node], outputs: list[Node], known: dict[int, Any]):
    """Nodes that need no line of their own, and what other nodes read instead.

    An `identity` op (a stop_gradient) is its input's value. A node whose `plan_reads` names
    other nodes than its inputs (a stack reads the arrays its reshapes add an axis to) reads
    those; an input that no line reads then gets no line, unless it is an output. Returns
    (node -> the nodes its line reads, node with no line -> the node whose name it shares).
    """
    silent: dict[int, Node] = {}
    for node in nodes:
        if node.identity:
            source = node.inputs[0]
            silent[id(node)] = silent.get(id(source), source)

    def value(x: Node) -> Node:
        return silent.get(id(x), x)

    reads = {
        id(n): [value(x) for x in n.inputs] for n in nodes if any(id(x) in silent for x in n.inputs)
    }
    readers: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        for x in node.inputs:
            readers[id(x)].append(node)
    for node in nodes:
        through = node.plan_reads() if id(node) not in known and id(node) not in silent else None
        if through is not None:
            reads[id(node)] = [value(x) for x in through]
    read = {id(x) for node in nodes for x in reads.get(id(node), node.inputs)}
    outs = {id(n) for n in outputs}
    for node in nodes:
        if (
            id(node) not in read
            and id(node) not in outs
            and id(node) not in known
            and id(node) not in silent
            and readers[id(node)]
        ):
            silent[id(node)] = node  # never read: no line, no name
    return reads, silent


def _added_in_place(
    nodes, outputs, known, free, owners, busy_until, reads, silent
) -> dict[int, tuple[Node, Node]]:
    """The sums ``x + s`` whose scatter s (an op that `adds_into`) is added into x's array.

    That needs x free to be written over at the sum, s read by the sum alone, s's inputs in
    memory of their own (not x's), and one shape and floating dtype for all three. Each such
    s gets no line (marked in `silent`) and the sum reads x and s's inputs instead (in
    `reads`): their arrays are then busy until the sum (`busy_until` is updated; `free` is
    to be made again from it). Returns sum -> (x, s).
    """
    readers: dict[int, int] = defaultdict(int)
    for node in nodes:
        if id(node) not in known and id(node) not in silent:
            for x in reads.get(id(node), node.inputs):
                readers[id(x)] += 1
    for node in outputs:
        readers[id(node)] += 1
    added = {}
    for i, node in enumerate(nodes):
        if node.ufunc is not np.add or id(node) in known or id(node) in silent or not node.ndim:
            continue
        for x, s in (node.inputs, node.inputs[::-1]):
            parts = reads.get(id(s), s.inputs)
            memory = frozenset().union(*(owners[id(g)] for g in parts))
            if (
                s.adds_into
                and readers[id(s)] == 1
                and id(s) not in known
                and id(s) not in silent
                and x in free.get(id(node), ())
                and busy_until[id(x)] == i  # still free: no earlier sum's scatter reads it
                and not owners[id(x)] & memory
                and x.shape == s.shape == node.shape
                and x.dtype == s.dtype == node.dtype
                and node.dtype.kind in "fc"
            ):
                added[id(node)] = (x, s)
                silent[id(s)] = s
                reads[id(node)] = [x, *parts]
                for owner in memory:  # read at the sum now, not at s's own step
                    busy_until[owner] = max(busy_until[owner], i)
                break
    return added


def _generate(outputs, nodes, inputs, single, inplace, buffers, fuse=True, inline_checks=True):
    """Write the plan for `nodes` (a topological order) as Python source and compile it.

    With `buffers`, large intermediates are written into arrays the plan keeps between
    calls (assigned by liveness, as registers are); the source then names them `_buf`.
    Every input is checked (`Variable.check_value`); with `inline_checks` an ndarray of the
    input's exact dtype and shape passes one test written inline, ``if type(a0) is not
    _ndarray or a0.dtype is not _dtype1 or a0.shape != (2, 3): a0 = _check0(a0)`` (for a
    vector ``a0.ndim != 1 or len(a0) != 65``), and keeps its argument's name: a call pays
    no function call per input. Without, each input gets ``v0 = _check0(a0)``, the form
    `autodiff.printing.export` reads.
    With `fuse`, groups of elementwise nodes on large arrays become one node each, which
    the lines below write as one call: a numba loop or numexpr (`autodiff.fusion`; where
    one is installed).
    """
    if fuse:
        nodes, outputs = fusion.fuse(nodes, outputs, inputs)
    w = _Writer()
    name = {id(n): f"v{i}" for i, n in enumerate(nodes)}
    args = [f"a{i}" for i in range(len(inputs))]
    fed = {id(x) for x in inputs}
    w.globals["_ndarray"] = np.ndarray
    for x, a in zip(inputs, args, strict=True):  # validate every input, used or not
        check = w.bind(x.check_value, "_check")
        if inline_checks:  # the dtype by identity (NumPy's are singletons), else the full check
            dtype = w.bind(x.dtype, "_dtype")
            # a vector's length and ndim are read faster than its shape (no tuple is made)
            shape = f"{a}.ndim != 1 or len({a}) != {x.shape[0]}" if x.ndim == 1 else None
            w.lines.append(
                f"if type({a}) is not _ndarray or {a}.dtype is not {dtype} "
                f"or {shape or f'{a}.shape != {x.shape!r}'}: {a} = {check}({a})"
            )
            if id(x) in name:
                name[id(x)] = a
        else:
            w.lines.append(f"{name.get(id(x), a)} = {check}({a})")

    known = _constant_values(nodes, fed)
    for node_id, value in known.items():  # 0-d values as NumPy scalars: same results, faster
        w.globals[name[node_id]] = (
            value[()] if isinstance(value, np.ndarray) and not value.ndim else value
        )
        w.constants.add(name[node_id])
    free, owners, busy_until = _overwritable(nodes, outputs, known, fed)
    reads, silent = _shortcuts(nodes, outputs, known)
    if inplace:
        added = _added_in_place(nodes, outputs, known, free, owners, busy_until, reads, silent)
        free = _free(nodes, owners, busy_until)  # the scatters' inputs are busy until their sums
    else:
        added, free = {}, {}
    escaping = frozenset().union(*(owners[id(n)] for n in outputs))  # memory the caller gets
    pool: dict[tuple, list[np.ndarray]] = defaultdict(list)  # (size, dtype) -> free flat buffers
    holds: dict[int, np.ndarray] = {}  # node -> the buffer its value is in
    # arrays an output may be computed into (then they are better made fresh, not buffered)
    output_room = {
        id(x)
        for n in nodes
        if id(n) in escaping and n.ufunc is not None
        for x in free.get(id(n), ())
        if x.shape == n.shape and x.dtype == n.dtype
    }

    def buffer_for(node: Node):
        """A view-maker into a flat buffer for `node`'s value, or None where none fits."""
        size = math.prod(node.shape)
        if not (
            buffers
            and node.ndim
            and owners[id(node)] == {id(node)}
            and id(node) not in escaping
            and id(node) not in output_room
            and size * node.dtype.itemsize >= _BUFFER_BYTES
        ):
            return None
        key = (size, node.dtype.str)
        flat = pool[key].pop() if pool[key] else np.empty(size, node.dtype)
        holds[id(node)] = flat
        return lambda shape: w.bind(flat.reshape(shape), "_buf")

    dies_at: dict[int, list[int]] = defaultdict(list)
    for node_id, step in busy_until.items():
        if step != float("inf"):
            dies_at[step].append(node_id)
    for node_id, source in silent.items():  # a stop_gradient is its input's value
        name[node_id] = name[id(source)]
    last_read = {}
    for i, node in enumerate(nodes):
        for x in reads.get(id(node), node.inputs):
            last_read[id(x)] = i
    kept = {id(silent.get(id(n), n)) for n in outputs} | set(known)

    for i, node in enumerate(nodes):
        if id(node) in fed or id(node) in known or id(node) in silent:
            continue
        v = name[id(node)]
        operands = [name[id(x)] for x in reads.get(id(node), node.inputs)]
        if isinstance(node, Variable):
            w.lines.append(f"{v} = {w.bind(node, '_var')}._value")
        elif id(node) in added:  # x + scatter(g): g added into x's array at its positions
            x, scatter = added[id(node)]
            into = operands[0]
            if id(x) in holds and id(node) in escaping:  # a result is never a kept buffer
                w.lines.append(f"{v} = {into}.copy()")
                into = v
            else:
                v = name[id(node)] = into
                if id(x) in holds:
                    holds[id(node)] = holds.pop(id(x))
            scatter.add_into(w, into, operands[1:])
        elif node.ufunc is not None:
            exact = all(x.dtype.kind in "fc" for x in node.inputs)  # result dtype known for sure
            target = next(
                (
                    x
                    for x in free.get(id(node), ())
                    if x.shape == node.shape
                    and x.dtype == node.dtype
                    and node.ndim > 0
                    and exact
                    and not (id(x) in holds and id(node) in escaping)
                ),
                None,
            )
            if target is not None:  # out= given by position; the result keeps the name
                v = name[id(node)] = name[id(target)]
                w.lines.append(f"{v} = {w.bind(node.ufunc, '_u')}({', '.join(operands)}, {v})")
                if id(target) in holds:
                    holds[id(node)] = holds.pop(id(target))
            elif exact and (view := buffer_for(node)) is not None:
                w.lines.append(
                    f"{v} = {w.bind(node.ufunc, '_u')}({', '.join(operands)}, {view(node.shape)})"
                )
            else:
                w.lines.append(f"{v} = {_expression(w, node, operands)}")
        else:
            w.buffer = functools.partial(buffer_for, node)
            if not node.lower(w, operands, v):
                w.lines.append(f"{v} = {w.bind(kernel_of(node), '_f')}({', '.join(operands)})")
            w.buffer = lambda: None
        dead = [
            name[id(x)]
            for x in dict.fromkeys(reads.get(id(node), node.inputs))
            if last_read[id(x)] == i and id(x) not in kept and name[id(x)] != v
        ]
        if dead:
            w.lines.append("del " + ", ".join(dead))
        for owner in dies_at.get(i, ()):  # buffers whose values nothing reads any more
            if owner in holds:
                flat = holds.pop(owner)
                pool[(flat.size, flat.dtype.str)].append(flat)

    results = []
    copied = _copied_outputs(nodes, outputs, known)
    for i, node in enumerate(outputs):
        v = name[id(silent.get(id(node), node))]  # an identity's source may have been renamed
        if i in copied:  # callers may write into results: that must change nothing else
            results.append(f"_np.array({v}, order='C')")
        elif node.ndim == 0:
            results.append(f"_asarray({v})")
        elif node.ndim > 1 and not (id(node) in fed or isinstance(node, Variable)):
            results.append(f"_contiguous({v})")  # a transposed view slows down what reads it
        else:
            results.append(v)
    w.lines.append("return " + (results[0] if single else "[" + ", ".join(results) + "]"))
    source = f"def plan({', '.join(args)}):\n" + "".join(f"    {line}\n" for line in w.lines)
    namespace = dict(w.globals)
    exec(compile(source, "<autodiff plan>", "exec"), namespace)
    return source, namespace["plan"]


def _generate_on(backend: Backend, outputs, nodes, inputs, single, compute):
    """The plan for `nodes` on `backend`: one line per node calling its kernel there (see
    `autodiff.backends`), each intermediate deleted after its last use. Values that depend on
    no Variable are computed once, with NumPy, and moved to the backend. Returns the source
    and the function a call runs."""
    w = _Writer()
    name = {id(n): f"v{i}" for i, n in enumerate(nodes)}
    args = [f"a{i}" for i in range(len(inputs))]
    fed = {id(x) for x in inputs}
    for x, a in zip(inputs, args, strict=True):
        w.lines.append(f"{name.get(id(x), a)} = {w.bind(backend.check(x), '_check')}({a})")
    known = _constant_values(nodes, fed)
    move = w.bind(backend.constant, "_to_backend")
    last_read = {id(x): i for i, node in enumerate(nodes) for x in node.inputs}
    kept = {id(n) for n in outputs}
    for i, node in enumerate(nodes):
        v = name[id(node)]
        if id(node) in known:
            w.globals[v] = backend.constant(known[id(node)])
        elif isinstance(node, Variable) and id(node) not in fed:
            w.lines.append(f"{v} = {move}({w.bind(node, '_var')}._value)")
        elif id(node) not in fed:
            operands = ", ".join(name[id(x)] for x in node.inputs)
            w.lines.append(f"{v} = {w.bind(backend.kernel(node), '_k')}({operands})")
        dead = [
            name[id(x)]
            for x in dict.fromkeys(node.inputs)
            if last_read[id(x)] == i and id(x) not in kept and id(x) not in known
        ]
        if dead:
            w.lines.append("del " + ", ".join(dead))
    copied = _copied_outputs(nodes, outputs, known)  # a value the plan or a Variable holds
    results = [
        f"{name[id(n)]}.copy()" if i in copied else name[id(n)] for i, n in enumerate(outputs)
    ]
    w.lines.append(f"return [{', '.join(results)}]")
    source = f"def plan({', '.join(args)}):\n" + "".join(f"    {line}\n" for line in w.lines)
    namespace = dict(w.globals)
    exec(compile(source, f"<autodiff plan on {backend.name}>", "exec"), namespace)
    run = namespace["plan"]

    def call(*arrays: Any) -> Any:
        with backend.running():
            values = run(*arrays)
        values = backend.results(values, compute)
        return values[0] if single else values

    return source, call


class _Turn:
    """Whose turn it is to use a plan's buffers: one token in a list, taken with `list.pop`
    and given back with `list.append` (each atomic), about 20 ns where a `threading.Lock`'s
    ``acquire(False)`` and ``release()`` cost about 100 ns. ``with turn:`` waits for the
    token, as a lock does."""

    def __init__(self) -> None:
        self.tokens = [True]

    def __enter__(self) -> bool:
        while True:
            try:
                return self.tokens.pop()
            except IndexError:
                time.sleep(1e-4)

    def __exit__(self, *exc_info: Any) -> None:
        self.tokens.append(True)


def _one_at_a_time(
    run: Callable[..., Any], turn: _Turn, busy: Callable[..., Any]
) -> Callable[..., Any]:
    """`run` (a plan that keeps buffers) wrapped so that one call at a time uses them: a call
    made while another holds `turn`'s token goes to `busy`. Written as code with the plan's
    own arguments, in the plan's namespace, so that a call costs no packing of arguments."""
    code = run.__code__
    args = ", ".join(code.co_varnames[: code.co_argcount])
    source = (
        f"def one_at_a_time({args}):\n"
        "    try:\n"
        "        _take_turn()\n"
        "    except IndexError:  # another call is using the buffers\n"
        f"        return _unbuffered({args})\n"
        "    try:\n"
        f"        return _buffered({args})\n"
        "    finally:\n"
        "        _give_turn(True)\n"
    )
    space = run.__globals__
    space.update(
        _take_turn=turn.tokens.pop, _give_turn=turn.tokens.append, _buffered=run, _unbuffered=busy
    )
    exec(compile(source, "<autodiff plan, one call at a time>", "exec"), space)
    return space["one_at_a_time"]


def _expression(w: _Writer, node: Node, operands: list[str]) -> str:
    """A `ufunc` op's value as an expression: its `template`, else a call of the ufunc."""
    if node.template is not None:
        return node.template.format(*operands)
    ufunc = node.ufunc
    named = getattr(np, ufunc.__name__, None) is ufunc
    call = f"_np.{ufunc.__name__}" if named else w.bind(ufunc, "_u")
    return f"{call}({', '.join(operands)})"
