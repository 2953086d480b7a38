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
import contextvars
import functools
import itertools
import math
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .casting import _as_array, _cast, _frozen, numeric_dtype, refuse_nodes

_cache: weakref.WeakValueDictionary[tuple[Any, ...], Node] = weakref.WeakValueDictionary()
# context-local (each thread and asyncio task has its own): the open name scopes, and how many
# `grad` calls are building a derivative graph
_scope: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "autodiff_scope", default=()
)
_derivative_depth: contextvars.ContextVar[int] = contextvars.ContextVar(
    "autodiff_derivative", default=0
)
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

    **NumPy on nodes** (`autodiff.ops.dispatch`): ``np.sin(x)``, ``x.max()`` build nodes;
    ``np.asarray(x)``, ``float(x)``, ``bool(x)``, ``x.item()`` *evaluate* x with the current
    values: ``if x > 0:`` decides once, when built (``ad.where`` decides at each evaluation).
    """

    __array_ufunc__: Any = None  # autodiff.ops installs NumPy's dispatch (NEP 13 and 18)
    inputs: tuple[Node, ...] = ()
    params: tuple = ()

    is_graph_node = True  # what `casting.refuse_nodes` looks for (it cannot import Node)

    # -- facts an op declares (class attributes, or properties where they depend on params) --
    differentiable = True  # False: grad gives no gradient through it
    fresh = False  # eval always returns a new array, sharing no memory with its inputs
    identity = False  # eval returns its first input unchanged: a plan gives it no line
    view = False  # eval returns its first input rearranged, computing nothing (reshape)
    elementwise = False  # element j of the result depends on element j of each input only
    adds_into = False  # its value can be added into another array in place (see add_into)
    ufunc: Any = None  # the NumPy ufunc that is its eval; a plan calls it, with out= if it can
    template: str | None = None  # a plan's expression for it, as "{0} + {1}"; default: the ufunc
    constant = False  # a value known when the graph is built, without inputs (a fill, eye)
    linear: tuple[int, ...] = ()  # inputs it is linear in, each alone: zero there gives zeros
    jointly_linear = False  # linear in all its inputs at once: all zero gives zeros
    nonnegative = False  # every element is >= 0 (or nan), whatever the inputs
    keeps_nonnegative = False  # every element is >= 0 where all its inputs are
    caption: str | None = None  # a plot's label for it instead of its name and parameters
    bound = math.inf  # every element's |value| is at most this (or nan), whatever the inputs
    blas_work = 0  # multiply-adds its eval hands BLAS or LAPACK at most at once (autodiff.blas)
    # its eval gives NumPy's results on another library's arrays too, through NumPy's dispatch;
    # False: a backend runs its eval on NumPy arrays (Dask: as one task; autodiff.backends)
    dispatches = True
    # how it prints (`autodiff.printing`); the default is the function form `name(inputs, params)`
    symbol: str | None = None  # its Python operator: infix for two inputs ("+"), prefix for one
    precedence: int | None = None  # Python's binding strength of its form; None: its symbol's
    print_name: str | None = None  # the function form's name; None: its ufunc's, else snake_case
    print_form: str | None = None  # a form the printer knows ("einsum", "index", "fill", "list")
    latex: str | None = None  # LaTeX: a command ("\\tanh"), infix symbol, or template ("{0}")

    shape: tuple[int, ...]
    dtype: np.dtype
    name: str
    scope: tuple[str, ...]
    is_derivative: bool  # first built while `grad` was building a derivative graph
    _id: int  # the order of building, which toposort keeps

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kernel = cls.__dict__.get("eval")
        if isinstance(kernel, types.FunctionType):  # a plain method (not a static one)
            # the op's own eval, wrapped once as the class is made
            cls.eval = _value_without_arrays(kernel)  # type: ignore[method-assign]

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
        key: tuple[Any, ...] = (cls, tuple(map(id, inputs)), frozen)
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
    def _create(
        cls,
        inputs: tuple[Node, ...],
        shape: tuple[int, ...],
        dtype: np.dtype,
        frozen: tuple[tuple[str, Any], ...],
        params: dict[str, Any],
    ) -> Node:
        node = object.__new__(cls)
        node._setup(inputs, shape, dtype, cls.__name__, frozen)
        for k, v in params.items():
            if hasattr(Node, k):
                raise TypeError(
                    f"{cls.__name__}: parameter name {k!r} is taken by a Node attribute"
                )
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

    def _setup(
        self,
        inputs: tuple[Node, ...],
        shape: tuple[int, ...],
        dtype: Any,
        name: str,
        params: tuple[tuple[str, Any], ...],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "inputs", inputs)
        set_(self, "shape", tuple(int(s) for s in shape))
        set_(self, "dtype", np.dtype(dtype))
        set_(self, "name", name)
        set_(self, "params", params)
        set_(self, "scope", _scope.get())
        set_(self, "is_derivative", _derivative_depth.get() > 0)
        set_(self, "_id", next(_counter))

    def __setattr__(self, key: str, value: Any) -> None:
        attribute = getattr(type(self), key, None)
        if isinstance(attribute, property) and attribute.fset is not None:
            attribute.fset(self, value)  # Variable.value is the one settable property
            return
        raise AttributeError(f"{type(self).__name__} nodes are immutable")

    def eval(self, *arrays: np.ndarray) -> np.ndarray:
        """The op on NumPy arrays, one per input; without arrays, the node's current value.

        >>> import numpy as np, autodiff as ad
        >>> y = ad.exp(ad.Variable(np.array(0.0)))
        >>> y.eval(np.array(1.0)), y.eval()
        (np.float64(2.718281828459045), array(1.))
        """
        raise NotImplementedError(f"{type(self).__name__} does not define eval")

    def grad(self, g: Node) -> Sequence[Node | None]:
        """Vector-Jacobian product: one Node (or None for no gradient) per input.

        `g` has shape ``(*batch, *self.shape)``; each result has ``(*batch, *input.shape)``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def uniform_value(self, values: Sequence[Any]) -> Any:
        """The one value of every element when input i holds `values[i]` everywhere, or None
        where the op cannot say (then constant folding evaluates it in full)."""
        return None

    def value_bound(self, bounds: Sequence[float]) -> float:
        """A bound on every element's |value| (or nan) when input i's are at most `bounds[i]`;
        inf where the op cannot say."""
        return math.inf

    def print_args(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The parameters its function form shows after its inputs: positional ones, then
        keywords, as NumPy names them (default: every parameter by its own name)."""
        return (), {key: getattr(self, key) for key, _ in self.params}

    def plan_reads(self) -> Sequence[Node] | None:
        """The nodes a plan's line for this node reads instead of its inputs, or None.

        An input that no line reads gets no line of its own (a stack reads the arrays its
        reshapes add an axis to).
        """
        return None

    def add_into(self, w: Any, into: str, operands: list[str]) -> None:
        """Write the plan's lines that add this node's value, in place, into the array named
        `into` (of this node's shape and dtype), reading `operands` (its inputs' names); only
        for ops that declare `adds_into`. A plan then writes a sum of scatters as one array
        with each part added in, not as one array of zeros per part.
        """
        raise NotImplementedError(f"{type(self).__name__} declares no add_into")

    def lower(self, w: Any, operands: list[str], target: str) -> bool:
        """Write the plan's lines that compute this node into the name `target`; False to
        leave it to the planner (its ufunc or template, else a call of `eval`).

        `operands` are the names of the values it reads; `w` is the planner's writer
        (``w.lines``, ``w.bind(value, prefix)``, ``w.temp()``, ``w.buffer()``, ...).
        """
        return False

    def with_inputs(self, inputs: Sequence[Node]) -> Node:
        """The same op with the same parameters on other inputs (hash-consed as usual)."""
        same = len(inputs) == len(self.inputs)  # a concatenate may be rebuilt on fewer inputs
        if same and all(a is b for a, b in zip(inputs, self.inputs, strict=True)):
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
        return cast(np.ndarray, plan())  # the plan of one node gives one array

    def __pos__(self) -> Node:
        return self

    # `==` between two nodes keeps Python's identity meaning so nodes work in sets, dicts and
    # `in`; with a number or an array autodiff.ops makes it elementwise (ad.equal), as NumPy's.
    # The other operators (+, -, *,
    # /, **, @, %, //, <, <=, >, >=, unary -, abs, [], .T), ndarray's methods (.reshape, .sum,
    # .max, ...) and NumPy's dispatch are installed by autodiff.ops, which builds on this module.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    if TYPE_CHECKING:  # what autodiff.ops installs, as type checkers should see it

        def _binary(self, other: Any) -> Node: ...  # an operator: + - * / ** @ % // < <= > >=
        def _method(self, *args: Any, **kwargs: Any) -> Node: ...  # ndarray's, NumPy's arguments
        def _evaluated(self, *args: Any, **kwargs: Any) -> Any: ...  # an array, a number
        def __getitem__(self, key: Any) -> Node: ...
        @property
        def T(self) -> Node: ...
        @property
        def mT(self) -> Node: ...

        __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _binary
        __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __mod__ = __rmod__ = _binary
        __floordiv__ = __rfloordiv__ = __lt__ = __le__ = __gt__ = __ge__ = _binary
        __neg__ = __abs__ = reshape = transpose = sum = mean = max = min = _method
        prod = var = std = any = all = argmax = argmin = argsort = cumsum = cumprod = _method
        squeeze = ravel = flatten = dot = swapaxes = clip = round = trace = diagonal = _method
        repeat = take = astype = _method
        __array__ = __float__ = __int__ = __complex__ = item = _evaluated


def _value_without_arrays(kernel: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """`kernel` (an op's eval), giving the node's value when called with no arrays.

    Plans call the kernel itself (`kernel_of`), so this check costs them nothing.
    """

    @functools.wraps(kernel)
    def eval(self: Node, *arrays: np.ndarray) -> np.ndarray:
        if arrays or not self.inputs:
            return kernel(self, *arrays)
        return self()

    eval.__dict__["kernel"] = kernel  # what kernel_of finds (a function's attribute)
    return eval


def kernel_of(node: Node) -> Callable[..., np.ndarray]:
    """`node.eval` as the op defines it (bound to `node`): the arrays in, the result out.

    >>> import numpy as np, autodiff as ad
    >>> ad.node.kernel_of(ad.exp(ad.Variable(np.zeros(2))))(np.array([0.0, 1.0]))
    array([1.        , 2.71828183])
    """
    method = type(node).eval
    return getattr(method, "kernel", method).__get__(node)


class Leaf(Node):
    """A node with no inputs whose value is held, not computed. Leaves are never merged."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Leaf:
        return object.__new__(cls)

    def grad(self, g: Node) -> Sequence[Node | None]:
        return ()


_NUMBERS = (float, np.float64, int)  # values a float64 0-d Variable takes as they are
_EXACT = 2**53  # Python ints up to this size are exact in float64
_FLOAT64 = np.dtype(np.float64)
_SAFE_CASTS: dict[tuple[np.dtype, np.dtype], bool] = {}  # (from, to) -> np.can_cast(safe)


class Variable(Leaf):
    """A leaf whose value may change: ``x.value = new`` is seen by every graph.

    Python numbers and (nested) lists of them become float64, as ``np.asarray(value, float)``
    does; NumPy arrays and scalars keep their dtype (integer Variables hold token ids and
    labels), and `dtype` overrides both. The shape and dtype are fixed when the Variable is
    made. A new value must have the same shape; it is cast to the dtype, and a cast that would
    lose information (out of range, a fraction, an imaginary part, a finite value becoming
    inf, a string) raises. The Variable keeps its own copy of the value, and `value` is a
    read-only view of it: writing into an array after setting it changes nothing here. An
    array that is read-only all the way down (``a.flags.writeable = False``, or another
    Variable's value) is kept as it is, without a copy: a way to hand an array over.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]), name="x")
    >>> y = ad.sum(x * x)
    >>> y()
    array(5.)
    >>> x.value = np.array([3.0, 0.0])
    >>> y()
    array(9.)
    >>> ad.Variable([1, 2]).dtype, ad.Variable(np.array([1, 2])).dtype
    (dtype('float64'), dtype('int64'))
    """

    _value: np.ndarray  # read-only; `value` gives views of it

    def __init__(self, value: Any, name: str | None = None, dtype: Any = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Variable: the name must be a string, got {type(name).__name__}")
        name = name or "Variable"
        if isinstance(value, Node):
            raise TypeError(
                f"Variable {name!r}: the value is a {value.name} node, not an array; "
                "evaluate it first (node()) or use the node itself"
            )
        if dtype is not None:
            target = numeric_dtype(f"Variable {name!r}", dtype)
        elif isinstance(value, (np.ndarray, np.generic)):
            target = value.dtype
        else:  # Python numbers and lists of them: float64 (complex128 when any is complex)
            array = _as_array(f"Variable {name!r}", value)
            complex_ = array.dtype.kind == "c" or (
                array.dtype.kind == "O" and any(isinstance(v, complex) for v in array.flat)
            )
            target = np.dtype(np.complex128 if complex_ else np.float64)
        array = np.array(_cast(f"Variable {name!r}", value, target))
        numeric_dtype(f"Variable {name!r}", array.dtype)
        array.flags.writeable = False
        self._setup((), array.shape, array.dtype, name, ())
        object.__setattr__(self, "_value", array)

    @classmethod
    def like(cls, array: Any, name: str | None = None) -> Variable:
        """A Variable of `array`'s shape and dtype, for inputs fed to a plan at each call:
        `array` is any object with ``shape`` and ``dtype`` (a NumPy, dask or CuPy array), and
        the Variable's own value is zeros that take no memory (one zero, broadcast).

        >>> import numpy as np, autodiff as ad
        >>> X = ad.Variable.like(np.broadcast_to(np.float32(0), (10**9, 20)), name="X")
        >>> X.shape, X.dtype, X.value.strides
        ((1000000000, 20), dtype('float32'), (0, 0))
        """
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Variable: the name must be a string, got {type(name).__name__}")
        try:
            shape = tuple(int(n) for n in array.shape)
        except (AttributeError, TypeError, ValueError):
            raise TypeError(
                f"Variable.like: needs an object with a shape and a dtype, got "
                f"{type(array).__name__}"
            ) from None
        dtype = numeric_dtype(f"Variable {name or 'Variable'!r}", array.dtype)
        zero = np.zeros((), dtype)
        zero.flags.writeable = False
        variable = object.__new__(cls)
        variable._setup((), shape, dtype, name or "Variable", ())
        object.__setattr__(variable, "_value", np.broadcast_to(zero, shape))
        return variable

    @property
    def value(self) -> np.ndarray:
        """The current value: a read-only view of the Variable's own array."""
        return self._value.view()

    @value.setter
    def value(self, new: Any) -> None:
        array = self.check_value(new)
        shared = array is new or (isinstance(new, np.ndarray) and np.may_share_memory(array, new))
        if shared and not _frozen(array):
            array = array.copy()  # the caller's array stays the caller's
        array.flags.writeable = False
        object.__setattr__(self, "_value", array)

    def check_value(self, new: Any) -> np.ndarray:
        """`new` as an array of this Variable's shape and dtype (`new` itself where it is one).

        Raises ValueError for another shape or a value the dtype cannot hold (out of range,
        or a finite value that would become inf), TypeError for a cast between kinds that
        loses information (a fraction into an integer, an imaginary part into a real) or a
        value that is not a number.

        >>> import numpy as np, autodiff as ad
        >>> ad.Variable(np.zeros(2, np.uint8), name="pixels").check_value([7, 300])
        Traceback (most recent call last):
        ValueError: Variable 'pixels': the int64 value 300 does not fit uint8 (0 to 255)
        """
        if type(new) is np.ndarray and new.shape == self.shape:
            if new.dtype == self.dtype:
                return new  # the common case, on every call of a plan: nothing to convert
            key = (new.dtype, self.dtype)
            safe = _SAFE_CASTS.get(key)
            if safe is None:  # np.can_cast costs more than the cast of a small array
                safe = _SAFE_CASTS[key] = bool(np.can_cast(*key, casting="safe"))
            if safe:  # float32 or ints into float64, ...: nothing can be lost, nothing to check
                return new.astype(self.dtype)  # what `_cast` gives
        elif type(new) in _NUMBERS and self.dtype == _FLOAT64 and not self.shape:
            if type(new) is not int or -_EXACT <= new <= _EXACT:  # a Python int: exact in it
                return np.array(float(new))  # a number fed for a scalar input: the usual float
        what = f"Variable {self.name!r}"
        if isinstance(new, Node):
            raise TypeError(
                f"{what}: the value is a {new.name} node, not an array; evaluate it first (node())"
            )
        array = _cast(what, new, self.dtype)
        if array.shape != self.shape:
            raise ValueError(
                f"{what}: value of shape {array.shape} does not fit shape {self.shape}"
            )
        return array

    def eval(self, *arrays: np.ndarray) -> np.ndarray:  # a leaf reads no arrays
        return self.value

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
    value: np.ndarray  # read-only

    def __new__(cls, value: Any, name: str | None = None) -> Constant:
        refuse_nodes("Constant", value)
        array = np.array(value)
        array.flags.writeable = False
        key = None
        if array.size <= cls._SMALL:
            key = (cls, array.dtype.str, array.shape, array.tobytes())
            cached = _cache.get(key)
            if isinstance(cached, cls):  # always, when found: the key holds the class
                return cached
        node = object.__new__(cls)
        node._setup((), array.shape, array.dtype, name or "Constant", ())
        object.__setattr__(node, "value", array)
        if key is not None:
            _cache[key] = node
        return node

    def eval(self, *arrays: np.ndarray) -> np.ndarray:  # a leaf reads no arrays
        return self.value

    @property
    def nonnegative(self) -> bool:  # type: ignore[override]  # Node's flag, here from the value
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

    def __init__(self, array: np.ndarray) -> None:
        self.key = (array.dtype.str, array.shape, array.tobytes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and self.key == other.key

    def __hash__(self) -> int:
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
def name_scope(name: str) -> Iterator[None]:
    """Nodes first built inside ``with name_scope("layer1"):`` record that scope.

    Plots draw scopes as nested clusters. A node that already existed keeps its scope.

    >>> import autodiff as ad
    >>> x = ad.Variable(1.0, name="x")
    >>> with ad.name_scope("block"):
    ...     y = ad.exp(x)
    >>> y.scope
    ('block',)
    """
    if not isinstance(name, str):
        raise TypeError(f"name_scope: the name must be a string, got {type(name).__name__}")
    token = _scope.set(_scope.get() + (name,))
    try:
        yield
    finally:
        _scope.reset(token)


class Composition(str):
    """A scope name that marks a library composition (softmax, cross_entropy, layer norm):
    a function the library builds from several ops. Plots draw it as a cluster, collapsed
    unless asked. It compares and joins as the plain string it is."""

    __slots__ = ()


def composition(name: str) -> contextlib._GeneratorContextManager[None]:
    """A `name_scope` for a library composition; also a decorator of the function building it.

    >>> import autodiff as ad
    >>> @ad.node.composition("double_exp")
    ... def double_exp(x):
    ...     return ad.exp(x) * 2
    >>> y = double_exp(ad.Variable(1.0))
    >>> y.scope, isinstance(y.scope[0], ad.node.Composition)
    (('double_exp',), True)
    """
    return name_scope(Composition(name))


def current_scope() -> tuple[str, ...]:
    """The open name scopes, outermost first: the scope a node built now records."""
    return _scope.get()


@contextlib.contextmanager
def building_derivative() -> Iterator[None]:
    """Nodes first built inside this context are marked `is_derivative` (for plots)."""
    token = _derivative_depth.set(_derivative_depth.get() + 1)
    try:
        yield
    finally:
        _derivative_depth.reset(token)


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
            new[id(node)] = (
                node.with_inputs([new[id(x)] for x in node.inputs]) if node.inputs else node
            )
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
