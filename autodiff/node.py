"""Nodes: the immutable vertices of every autodiff graph.

A `Node` has `inputs` (a tuple of Nodes), a static `shape` and `dtype` inferred when it is
built, and op parameters. Op nodes are *hash-consed*: building the same op on the same inputs
with the same parameters returns the node that already exists, which keeps derivative graphs
of high order small. Leaves are `Variable` (a value that may change; every graph sees the
current one) and `Constant` (an immutable value). This module knows no op: `Node` declares the
facts every op may set (with their safe defaults) and building goes through the op's `fold`;
Python's operators (``+``, ``@``, ``[]``, ``.T``, ...) are installed onto `Node` by
`autodiff.ops`. Graph walks (`toposort`) are iterative and linear.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import weakref
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np

_cache: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_scope: list[str] = []
_derivative_depth = [0]
_counter = itertools.count()


class Node:
    """Base class of every vertex in a graph.

    Subclasses that are ops define `infer(*inputs, **params) -> (shape, dtype)` (a
    classmethod that validates inputs and raises ValueError/TypeError at build time),
    `eval(*arrays)` and `grad(g)`; they are built by calling the class with input nodes
    and keyword parameters, e.g. ``Exp(x)``. An op may also define `fold` (its build-time
    identities) and declare the facts below, which the passes (`simplify`, `compile`, plots)
    read instead of keeping lists of classes; every default is the safe one. See
    docs/architecture.md.

    >>> import numpy as np, autodiff as ad
    >>> class Cube(ad.Node):
    ...     @classmethod
    ...     def infer(cls, x):
    ...         return x.shape, x.dtype
    ...     def eval(self, x):
    ...         return x ** 3
    ...     def grad(self, g):
    ...         (x,) = self.inputs
    ...         return (g * 3 * x * x,)
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> Cube(x) is Cube(x), ad.grad(ad.sum(Cube(x)), x)()
    (True, array([ 3., 12.]))
    """

    __array_ufunc__ = None  # make NumPy defer: `array * node` calls Node.__rmul__
    inputs: tuple[Node, ...] = ()
    params: tuple = ()

    # -- facts an op declares (class attributes, or properties where they depend on params) --
    differentiable = True  # False: grad gives no gradient through it
    fresh = False  # eval always returns a new array, sharing no memory with its inputs
    identity = False  # eval returns its first input unchanged: a plan gives it no line
    view = False  # eval returns its first input rearranged, computing nothing (reshape)
    ufunc: Any = None  # the NumPy ufunc that is its eval; a plan calls it, with out= if it can
    template: str | None = None  # a plan's expression for it, as "{0} + {1}"; default: the ufunc
    constant = False  # a value known when the graph is built, without inputs (a fill, eye)
    linear: tuple[int, ...] = ()  # inputs it is linear in, each alone: zero there gives zeros
    jointly_linear = False  # linear in all its inputs at once: all zero gives zeros
    nonnegative = False  # every element is >= 0 (or nan), whatever the inputs
    keeps_nonnegative = False  # every element is >= 0 where all its inputs are
    caption: str | None = None  # a plot's label for it instead of its name and parameters

    shape: tuple[int, ...]
    dtype: np.dtype
    name: str
    scope: tuple[str, ...]
    is_derivative: bool  # first built while `grad` was building a derivative graph

    def __new__(cls, *inputs: Node, **params: Any) -> Node:
        inputs = tuple(as_node(x) for x in inputs)
        frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
        key = (cls, tuple(map(id, inputs)), frozen)
        node = _cache.get(key)
        if node is None:
            shape, dtype = cls.infer(*inputs, **params)
            folded = cls.fold(shape, dtype, *inputs, **params)
            if folded is not None:  # not cached: it need not keep the inputs alive
                return folded
            node = _cache[key] = cls._create(inputs, shape, dtype, frozen, params)
        return node

    @classmethod
    def unfolded(cls, *inputs: Node, **params: Any) -> Node:
        """The node as written, without its op's `fold` (hash-consed apart from folded ones).

        For a pass that must keep what a graph computes where a fold would change it, as
        ``zeros * x`` where x may be nan. Where no fold applies it is the usual node.

        >>> import numpy as np, autodiff as ad
        >>> from autodiff.ops.elementwise import Multiply
        >>> x = ad.Variable(np.array([np.nan, 1.0]))
        >>> ad.eval([Multiply(x, ad.zeros(2)), Multiply.unfolded(x, ad.zeros(2))])
        [array([0., 0.]), array([nan,  0.])]
        """
        inputs = tuple(as_node(x) for x in inputs)
        frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
        key = (cls, tuple(map(id, inputs)), frozen)
        node = _cache.get(key)
        if node is None:
            shape, dtype = cls.infer(*inputs, **params)
            if cls.fold(shape, dtype, *inputs, **params) is not None:
                key += ("unfolded",)  # a node the usual build never makes
                node = _cache.get(key)
            if node is None:
                node = _cache[key] = cls._create(inputs, shape, dtype, frozen, params)
        return node

    @classmethod
    def _create(cls, inputs: tuple, shape, dtype, frozen: tuple, params: dict) -> Node:
        node = object.__new__(cls)
        node._setup(inputs, shape, dtype, cls.__name__, frozen)
        for k, v in params.items():
            if hasattr(Node, k):
                raise TypeError(f"{cls.__name__}: parameter name {k!r} is taken by a Node attribute")
            object.__setattr__(node, k, v)
        return node

    @classmethod
    def infer(cls, *inputs: Node, **params: Any) -> tuple[tuple[int, ...], np.dtype]:
        raise NotImplementedError(f"{cls.__name__} does not infer its shape")

    @classmethod
    def fold(
        cls, shape: tuple[int, ...], dtype: np.dtype, *inputs: Node, **params: Any
    ) -> Node | None:
        """The node to use instead of a new one (an identity such as ``x * 1 -> x``), or None.

        Called with the inferred `shape` and `dtype` each time the op is built, so calling
        the class, calling its factory and rebuilding a node on new inputs fold alike.
        """
        return None

    def _setup(self, inputs, shape, dtype, name, params) -> None:
        set_ = object.__setattr__
        set_(self, "inputs", inputs)
        set_(self, "shape", tuple(int(s) for s in shape))
        set_(self, "dtype", np.dtype(dtype))
        set_(self, "name", name)
        set_(self, "params", params)
        set_(self, "scope", tuple(_scope))
        set_(self, "is_derivative", _derivative_depth[0] > 0)
        set_(self, "_id", next(_counter))

    def __setattr__(self, key: str, value: Any) -> None:
        attribute = getattr(type(self), key, None)
        if isinstance(attribute, property) and attribute.fset is not None:
            attribute.fset(self, value)  # Variable.value is the one settable property
            return
        raise AttributeError(f"{type(self).__name__} nodes are immutable")

    def eval(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def grad(self, g: Node) -> Sequence[Node | None]:
        """Vector-Jacobian product: one Node (or None for no gradient) per input.

        `g` has shape ``(*batch, *self.shape)``; each result has ``(*batch, *input.shape)``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def uniform_value(self, values: Sequence[Any]) -> Any:
        """The one value of every element when input i holds `values[i]` everywhere, or None
        where the op cannot say (then constant folding evaluates it in full)."""
        return None

    def plan_reads(self) -> Sequence[Node] | None:
        """The nodes a plan's line for this node reads instead of its inputs, or None.

        An input that no line reads gets no line of its own (a stack reads the arrays its
        reshapes add an axis to).
        """
        return None

    def lower(self, w: Any, operands: list[str], target: str) -> bool:
        """Write the plan's lines that compute this node into the name `target`; False to
        leave it to the planner (its ufunc or template, else a call of `eval`).

        `operands` are the names of the values it reads; `w` is the planner's writer
        (``w.lines``, ``w.bind(value, prefix)``, ``w.temp()``, ``w.buffer()``, ...).
        """
        return False

    def with_inputs(self, inputs: Sequence[Node]) -> Node:
        """The same op with the same parameters on other inputs (hash-consed as usual)."""
        if all(a is b for a, b in zip(inputs, self.inputs)):
            return self
        return type(self)(*inputs, **{key: getattr(self, key) for key, _ in self.params})

    # -- introspection -------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d node")
        return self.shape[0]

    def __iter__(self) -> Iterator[Node]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth value of a {self.name} node is not known when the graph is built; "
            "call the node to evaluate it, or use ad.where for a data-dependent choice"
        )

    def __repr__(self) -> str:
        return f"<{self.name} {self.shape} {self.dtype}>"

    def __call__(self) -> np.ndarray:
        """Evaluate with the current values of all Variables.

        >>> import autodiff as ad
        >>> (ad.Variable(2.0) * 3)()
        array(6.)
        """
        plan = self.__dict__.get("_plan")
        if plan is None:
            from .compile import function  # a convenience entry point; no layer below needs it

            plan = function(self)
            object.__setattr__(self, "_plan", plan)
        return plan()

    def __pos__(self) -> Node:
        return self

    # `==` keeps Python's identity meaning so nodes work in sets, dicts and `in`;
    # use ad.equal / ad.not_equal for elementwise comparison. The other operators (+, -, *,
    # /, **, @, <, <=, >, >=, unary -, abs, [], .T, .reshape, .sum, .mean) are installed by
    # autodiff.ops, which builds on this module.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    if TYPE_CHECKING:  # what autodiff.ops installs, as type checkers should see it

        def __add__(self, other: Any) -> Node: ...
        def __radd__(self, other: Any) -> Node: ...
        def __sub__(self, other: Any) -> Node: ...
        def __rsub__(self, other: Any) -> Node: ...
        def __mul__(self, other: Any) -> Node: ...
        def __rmul__(self, other: Any) -> Node: ...
        def __truediv__(self, other: Any) -> Node: ...
        def __rtruediv__(self, other: Any) -> Node: ...
        def __pow__(self, other: Any) -> Node: ...
        def __rpow__(self, other: Any) -> Node: ...
        def __matmul__(self, other: Any) -> Node: ...
        def __rmatmul__(self, other: Any) -> Node: ...
        def __neg__(self) -> Node: ...
        def __abs__(self) -> Node: ...
        def __lt__(self, other: Any) -> Node: ...
        def __le__(self, other: Any) -> Node: ...
        def __gt__(self, other: Any) -> Node: ...
        def __ge__(self, other: Any) -> Node: ...
        def __getitem__(self, key: Any) -> Node: ...
        @property
        def T(self) -> Node: ...
        def reshape(self, *shape: Any) -> Node: ...
        def sum(self, axis: Any = None, keepdims: bool = False) -> Node: ...
        def mean(self, axis: Any = None, keepdims: bool = False) -> Node: ...


class Leaf(Node):
    """A node with no inputs whose value is held, not computed. Leaves are never merged."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def grad(self, g: Node) -> Sequence[Node | None]:
        return ()


class Variable(Leaf):
    """A leaf whose value may change: ``x.value = new`` is seen by every graph.

    The shape and dtype are fixed when the Variable is made; a new value must have the
    same shape and is cast to the dtype.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]), name="x")
    >>> y = ad.sum(x * x)
    >>> y()
    array(5.)
    >>> x.value = np.array([3.0, 0.0])
    >>> y()
    array(9.)
    """

    def __init__(self, value: Any, name: str | None = None):
        array = np.array(value)
        self._setup((), array.shape, array.dtype, name or "Variable", ())
        object.__setattr__(self, "_value", array)

    @property
    def value(self) -> np.ndarray:
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        object.__setattr__(self, "_value", self.check_value(new))

    def check_value(self, new: Any) -> np.ndarray:
        """`new` as an array of this Variable's dtype; ValueError if its shape differs."""
        array = np.asarray(new)
        if self.dtype.kind in "iub" and array.dtype.kind in "fc":
            raise TypeError(
                f"Variable {self.name!r}: a {array.dtype} value would be truncated to {self.dtype}"
            )
        array = array.astype(self.dtype, copy=False)
        if array.shape != self.shape:
            raise ValueError(
                f"Variable {self.name!r}: value of shape {array.shape} does not fit shape {self.shape}"
            )
        return array

    def eval(self) -> np.ndarray:
        return self._value

    def __repr__(self) -> str:
        return f"Variable(name={self.name!r}, shape={self.shape}, dtype={self.dtype})"


class Constant(Leaf):
    """An immutable value. Small constants with equal values are the same node.

    >>> import autodiff as ad
    >>> ad.Constant(2.0) is ad.Constant(2.0)
    True
    """

    _SMALL = 64
    constant = True

    def __new__(cls, value: Any, name: str | None = None):
        array = np.array(value)
        array.flags.writeable = False
        key = None
        if array.size <= cls._SMALL:
            key = (cls, array.dtype.str, array.shape, array.tobytes())
            node = _cache.get(key)
            if node is not None:
                return node
        node = object.__new__(cls)
        node._setup((), array.shape, array.dtype, name or "Constant", ())
        object.__setattr__(node, "value", array)
        if key is not None:
            _cache[key] = node
        return node

    def eval(self) -> np.ndarray:
        return self.value

    @property
    def nonnegative(self) -> bool:  # type: ignore[override]
        return self.dtype.kind in "biuf" and bool(np.all(self.value >= 0))

    def __repr__(self) -> str:
        if self.size <= 6:
            return f"Constant({self.value!r})"
        return f"Constant(shape={self.shape}, dtype={self.dtype})"


def as_node(value: Any, like: Node | None = None) -> Node:
    """`value` as a Node: Nodes pass through; numbers and arrays become Constants.

    A Python number takes the dtype of `like` where NumPy's promotion allows it, so
    ``float32_node * 2`` stays float32.
    """
    if isinstance(value, Node):
        return value
    if isinstance(value, (bool, int, float, complex)) and like is not None:
        return Constant(np.asarray(value, dtype=np.result_type(like.dtype, value)))
    if isinstance(value, (np.ndarray, np.generic, bool, int, float, complex, list, tuple)):
        return Constant(value)
    raise TypeError(f"expected a Node, a number or an array, got {type(value).__name__}")


class _Frozen:
    """A hashable stand-in for a NumPy array in op parameters (compared by value)."""

    __slots__ = ("key",)

    def __init__(self, array: np.ndarray):
        self.key = (array.dtype.str, array.shape, array.tobytes())

    def __eq__(self, other):
        return isinstance(other, _Frozen) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def _freeze(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _Frozen(value)
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, (tuple, list)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.dtype):
        return value.str
    return value


@contextlib.contextmanager
def name_scope(name: str):
    """Nodes first built inside ``with name_scope("layer1"):`` record that scope.

    Plots draw scopes as nested clusters. A node that already existed keeps its scope.

    >>> import autodiff as ad
    >>> x = ad.Variable(1.0, name="x")
    >>> with ad.name_scope("block"):
    ...     y = ad.exp(x)
    >>> y.scope
    ('block',)
    """
    _scope.append(name)
    try:
        yield
    finally:
        _scope.pop()


@contextlib.contextmanager
def building_derivative():
    """Nodes first built inside this context are marked `is_derivative` (for plots)."""
    _derivative_depth[0] += 1
    try:
        yield
    finally:
        _derivative_depth[0] -= 1


def toposort(outputs: Iterable[Node]) -> list[Node]:
    """All nodes that `outputs` depend on, each after its inputs. Iterative.

    The order is the order in which the nodes were built: a node's inputs always exist before
    it, so that is topological, and it is the order eager code would run them in, which keeps
    few arrays alive at once (a backward pass runs step by step, each step's work together).

    >>> import autodiff as ad
    >>> x = ad.Variable(1.0, name="x")
    >>> [n.name for n in ad.toposort([ad.exp(x) * x])]
    ['x', 'Exp', 'Multiply']
    """
    seen: dict[int, Node] = {}
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.inputs)
    return sorted(seen.values(), key=_creation)


def _creation(node: Node) -> int:
    return node._id


def substitute(outputs: Sequence[Node], mapping: dict[Node, Node]) -> list[Node]:
    """`outputs` rebuilt with each key of `mapping` replaced by its value. Iterative."""
    new: dict[int, Node] = {id(k): v for k, v in mapping.items()}
    for node in toposort(outputs):
        if id(node) not in new:
            new[id(node)] = node.with_inputs([new[id(x)] for x in node.inputs]) if node.inputs else node
    return [new[id(y)] for y in outputs]


def count_nodes(outputs: Node | Iterable[Node]) -> int:
    """The number of distinct nodes a graph is made of (its size).

    >>> import autodiff as ad
    >>> x = ad.Variable(1.0)
    >>> ad.count_nodes(ad.exp(x) * ad.exp(x))   # x, exp(x) shared, the product
    3
    """
    if isinstance(outputs, Node):
        outputs = [outputs]
    return len(toposort(outputs))
