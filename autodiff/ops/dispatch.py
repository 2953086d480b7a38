"""NumPy dispatch (NEP 13 and 18) and NumPy's ndarray methods on nodes.

``np.sin(x)``, ``np.sum(x, axis=0)``, ``array * x``, ``np.add.reduce(x)`` or
``np.linalg.solve(A, x)`` on a node build nodes: `array_ufunc` and `array_function` (installed
onto `Node` by `autodiff.ops`) hand the call to the autodiff factory of the same name, looked
up when it is called (``np.<name>`` -> ``autodiff.<name>``, ``np.linalg.<name>`` ->
``autodiff.linalg.<name>``, a ufunc -> the factory named ``ufunc.__name__``), so a factory added
anywhere works through NumPy with no edit here. `RENAMED` lists the few NumPy names whose
factory has another name. NumPy's arguments are bound to the NumPy function's own signature,
then passed to the factory by name; a NumPy argument the factory lacks is dropped where it has
NumPy's default value (``out=None``, ``casting="same_kind"``), ``dtype=`` casts the array inputs
first (NumPy's accumulator dtype), and anything else raises a TypeError naming it, as does a
NumPy function with no factory: nothing ever returns an object array. `METHODS` are ndarray's
methods (``x.max(axis=0, keepdims=True)``, ``x.cumsum()``, ``x.transpose(1, 0)``) forwarding
to the same machinery with NumPy's signatures; `CONVERSIONS` (``np.asarray(x)``, ``float(x)``,
``bool(x)``, ...) evaluate the node with the current values.

NumPy converts a list that holds nodes (``np.sum([x, y])``, ``np.array([x, y])``) with
``__array__`` before any dispatch, so such a call gives an evaluated array (autodiff's own
functions refuse such a list: build it with ``ad.stack``). ``==`` between nodes stays identity
(nodes are dict keys); between a node and a NumPy array or scalar, NumPy hands it to
``np.equal``, which builds an elementwise boolean node.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..node import Node
from .elementwise import astype

# NumPy names (functions and ufuncs) whose autodiff factory has another name
RENAMED = {
    "amax": "max",
    "amin": "min",
    "around": "round",
    "round_": "round",
    "true_divide": "divide",
    "fabs": "absolute",
    "product": "prod",
    "cumproduct": "cumprod",
    "row_stack": "vstack",
    "concat": "concatenate",
}
# ufuncs that are Python's operators on boolean nodes: `mask_array & node` reaches them
_BITWISE: dict[str, Callable[..., Any]] = {
    "bitwise_and": lambda x, y: _ops().as_node(x) & y,
    "bitwise_or": lambda x, y: _ops().as_node(x) | y,
    "bitwise_xor": lambda x, y: _ops().as_node(x) ^ y,
    "invert": lambda x: ~_ops().as_node(x),
}
REDUCE = {  # ufunc.reduce -> the reduction of that name
    "add": "sum",
    "multiply": "prod",
    "maximum": "max",
    "minimum": "min",
    "logical_and": "all",
    "logical_or": "any",
    "logaddexp": "logsumexp",
}
ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}  # ufunc.accumulate -> the scan
# NumPy arguments that only tune how NumPy computes, not what: ignored whatever their value
_HINTS = {"einsum": {"optimize"}, "reshape": {"copy"}, "astype": {"copy"}}
_ALIASES = {"clip": {"min": "a_min", "max": "a_max"}}  # NumPy 2's second names
# ufunc keyword arguments and the one value of each that changes nothing
_UFUNC_DEFAULTS: dict[str, Any] = {
    "casting": "same_kind",
    "order": "K",
    "subok": True,
    "signature": None,
}


def _namespace(module: str) -> Any:
    """The autodiff module that mirrors the NumPy module `module`, or None."""
    package = __name__.rsplit(".", 2)[0]  # "autodiff"
    if module == "numpy":
        return sys.modules[__name__.rpartition(".")[0]]  # autodiff.ops: every factory
    if module == "numpy.linalg":
        return getattr(sys.modules[package], "linalg", None)
    return None


def factory(module: str, name: str) -> Callable[..., Any] | None:
    """The autodiff factory for NumPy's ``module.name``, looked up now, or None.

    >>> from autodiff.ops.dispatch import factory
    >>> factory("numpy", "amax").__name__, factory("numpy", "gradient")
    ('max', None)
    """
    namespace = _namespace(module)
    name = RENAMED.get(name, name)
    if namespace is None or name.startswith("_"):
        return None
    public = getattr(namespace, "__all__", None)
    if public is not None and name not in public:
        return None
    found = getattr(namespace, name, None)
    return found if callable(found) and not isinstance(found, type) else None


def _label(module: str, name: str) -> str:
    return "np." + ".".join([*module.split(".")[1:], name])


def missing(label: str) -> TypeError:
    """The error for a NumPy function that autodiff has no factory for."""
    return TypeError(
        f"autodiff has no differentiable {label}; build the expression from autodiff's "
        "functions, or evaluate the node first (np.asarray(node): its current value, not "
        "differentiated)"
    )


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature
        return None


def _cast(value: Any, dtype: Any) -> Any:
    """`value`'s arrays and nodes as `dtype` (each of a list's), for NumPy's ``dtype=``."""
    if isinstance(value, (Node, np.ndarray, np.generic)):
        return astype(value, dtype)
    if isinstance(value, (list, tuple)):
        return [_cast(v, dtype) for v in value]
    return value


def _unset(value: Any, default: Any) -> bool:
    """Whether an argument the factory lacks has the value that changes nothing."""
    if value is default or value is np._NoValue:
        return True
    if isinstance(value, (str, bool, type(None))) and isinstance(default, type(value)):
        return bool(value == default)
    return False


def call(label: str, numpy_function: Any, target: Callable[..., Any], args, kwargs) -> Any:
    """`target` (a factory) called with NumPy's arguments ``numpy_function(*args, **kwargs)``.

    The arguments are bound to the NumPy function's signature; each is passed to the factory
    parameter of the same name, the leading data arguments (NumPy's ``a``, ``arrays``) to the
    factory's by position.
    """
    signature = _signature(numpy_function)
    own = _signature(target)
    if signature is None or own is None:
        return target(*args, **kwargs)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{label}: {error}") from None
    mine = own.parameters
    theirs = signature.parameters
    # the leading parameters named apart (np.sum's `a`, autodiff's `x`) correspond by place
    renamed: dict[str, str] = {}
    for p, q in zip(theirs.values(), mine.values(), strict=False):
        variadic = inspect.Parameter.VAR_POSITIONAL
        if p.name == q.name or p.name in mine or q.name in theirs or variadic in (p.kind, q.kind):
            break
        renamed[p.name] = q.name
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    dtype = None
    hints = _HINTS.get(numpy_function.__name__, set())
    aliases = _ALIASES.get(numpy_function.__name__, {})
    for name, value in bound.arguments.items():
        parameter = theirs[name]
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            positional.extend(value)
            continue
        pairs = (
            value.items() if parameter.kind is inspect.Parameter.VAR_KEYWORD else [(name, value)]
        )
        for key, item in pairs:
            own_name = aliases.get(key, renamed.get(key, key))
            if own_name in mine and mine[own_name].kind in _NAMED:
                keywords[own_name] = item
            elif key == "dtype" and item is not None:
                dtype = item
            elif key == "out" and item is not None:
                raise TypeError(f"{label}: out= is not supported (nodes are immutable)")
            elif key in hints or _unset(item, theirs[key].default if key in theirs else None):
                continue
            elif any(q.kind is inspect.Parameter.VAR_KEYWORD for q in mine.values()):
                keywords[own_name] = item  # the factory's **kwargs judge it
            else:
                raise TypeError(
                    f"{label}: autodiff's {target.__name__} does not support {key}={item!r}"
                )
    if dtype is not None:  # NumPy's accumulator dtype: the inputs cast first
        data = next(iter(theirs.values())).name
        data = renamed.get(data, data)
        if positional:
            positional = _cast(positional, dtype)
        elif data in keywords:
            keywords[data] = _cast(keywords[data], dtype)
    if not positional:  # the factory's leading parameters by position (they may be so only)
        for q in mine.values():
            if q.kind not in _BY_POSITION or q.name not in keywords:
                break
            positional.append(keywords.pop(q.name))
    return target(*positional, **keywords)


_BY_POSITION = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_NAMED = (*_BY_POSITION, inspect.Parameter.KEYWORD_ONLY)  # not *args nor **kwargs


def _ops() -> Any:
    return sys.modules[__name__.rpartition(".")[0]]


def _shape_of(value: Any) -> tuple[int, ...]:
    return value.shape if isinstance(value, Node) else np.shape(value)


def array_ufunc(self: Node, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """`Node.__array_ufunc__`: a ufunc (or its reduce, accumulate, outer) on nodes as a node.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0, 3.0]))
    >>> np.sin(x) is ad.sin(x), np.maximum.reduce(x)(), (np.ones(3) * x)()
    (True, array(3.), array([1., 2., 3.]))
    """
    name = ufunc.__name__
    label = f"np.{name}" if method == "__call__" else f"np.{name}.{method}"
    if getattr(np, name, None) is not ufunc:  # another library's ufunc (SciPy's): its own
        raise TypeError(  # meanings, which a factory of the same name need not share
            f"autodiff has no differentiable {ufunc!r} (not NumPy's); build the expression "
            "from autodiff's functions"
        )
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in out):  # NumPy passes out= as a tuple
        raise TypeError(f"{label}: out= is not supported (nodes are immutable)")
    if kwargs.pop("where", True) is not True:
        raise TypeError(f"{label}: where= is not supported; use ad.where(condition, x, y)")
    dtype = kwargs.pop("dtype", None)
    if dtype is not None:  # computed in `dtype`: the inputs cast first
        inputs = tuple(_cast(list(inputs), dtype))
    for key, default in _UFUNC_DEFAULTS.items():
        if key in kwargs and _unset(kwargs[key], default):
            del kwargs[key]
    if method == "__call__":
        target = _BITWISE.get(name) or factory("numpy", name)
    elif method == "reduce":
        target = factory("numpy", REDUCE.get(name, f"{name}.reduce"))
        axis = kwargs.pop("axis", 0)
        keepdims = kwargs.pop("keepdims", False)
        if "initial" in kwargs:
            raise TypeError(f"{label}: initial= is not supported")
        if target is not None and not kwargs:
            return target(inputs[0], axis=axis, keepdims=keepdims)
    elif method == "accumulate":
        target = factory("numpy", ACCUMULATE.get(name, f"{name}.accumulate"))
        axis = kwargs.pop("axis", 0)
        if target is not None and not kwargs:
            return target(inputs[0], axis=axis)
    elif method == "outer":
        target = factory("numpy", name)
        if target is not None and not kwargs and len(inputs) == 2:
            x, y = inputs
            spread = _shape_of(x) + (1,) * len(_shape_of(y))
            x = _ops().reshape(x, spread) if isinstance(x, Node) else np.reshape(x, spread)
            return target(x, y)
    else:  # at writes in place, reduceat: neither has a factory
        raise TypeError(f"{label} is not supported on nodes (nodes are immutable)")
    if target is None:
        raise missing(label)
    if kwargs:
        raise TypeError(f"{label}: {', '.join(f'{k}=' for k in kwargs)} not supported")
    return target(*inputs)


def _result_type(*arrays_and_dtypes: Any) -> np.dtype:
    return np.result_type(*(a.dtype if isinstance(a, Node) else a for a in arrays_and_dtypes))


def _size(a: Any, axis: int | None = None) -> int:
    return a.size if axis is None else a.shape[axis]


# NumPy functions that read only a node's static facts: no factory, no evaluation
INTROSPECTION: dict[str, Callable[..., Any]] = {
    "shape": lambda a: a.shape,
    "ndim": lambda a: a.ndim,
    "size": _size,
    "result_type": _result_type,
}


def array_function(self: Node, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """`Node.__array_function__`: a NumPy function called on nodes as the autodiff factory
    of its name; a TypeError naming it where there is none.

    >>> import numpy as np, autodiff as ad
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> x = ad.Variable(np.array([1.0, -1.0]))
    >>> np.einsum("ij,j", A, x)(), np.concatenate([x, A[0]])()
    (array([-1., -1.]), array([ 1., -1.,  1.,  2.]))
    >>> np.gradient(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: autodiff has no differentiable np.gradient; build the expression ...
    """
    if not all(issubclass(t, (Node, np.ndarray)) for t in types):
        return NotImplemented  # another library's arrays: let it (or NumPy) say
    module, name = func.__module__, func.__name__
    if module == "numpy" and name in INTROSPECTION:
        return INTROSPECTION[name](*args, **kwargs)
    label = _label(module, name)
    target = factory(module, name)
    if target is None:
        raise missing(label)
    return call(label, func, target, args, kwargs)


def named(name: str) -> Callable[..., Any]:
    """The factory `name` of autodiff.ops, looked up now; a TypeError naming np.<name> where
    there is none (yet)."""
    target = factory("numpy", name)
    if target is None:
        raise missing(f"np.{name}")
    return target


# methods whose first argument is `axis` in NumPy and in the factory: called directly
_AXIS_FIRST = {"sum", "mean", "max", "min", "prod", "var", "std", "any", "all", "argmax",
               "argmin", "cumsum", "cumprod", "squeeze"}  # fmt: skip


def _method(name: str, numpy_name: str | None = None) -> Callable[..., Any]:
    """ndarray's method `name` on nodes: ``np.<numpy_name>(node, ...)`` with its signature."""
    numpy_name = numpy_name or name
    numpy_function = getattr(np, numpy_name)
    fast = name in _AXIS_FIRST

    def method(self: Node, *args: Any, **kwargs: Any) -> Any:
        target = factory("numpy", numpy_name)
        if target is None:
            raise missing(f"np.{numpy_name} (Node.{name})")
        if fast and len(args) <= 1 and kwargs.keys() <= {"axis", "keepdims"}:
            if args:
                kwargs["axis"] = args[0]
            return target(self, **kwargs)
        return call(f"Node.{name}", numpy_function, target, (self, *args), kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"As ndarray.{name}: np.{numpy_name}(node, ...) as a node."
    return method


def _transpose(self: Node, *axes: Any) -> Node:
    """The axes reversed or permuted, as ndarray.transpose: ``x.transpose()``,
    ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
    order: Any = axes
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        order = axes[0]
    return named("transpose")(self, order or None)


def _astype(self: Node, dtype: Any, order: str = "K", casting: str = "unsafe",
            subok: bool = True, copy: bool = True) -> Node:  # fmt: skip
    """x converted to `dtype`, as ndarray.astype (`copy` changes nothing: nodes are immutable)."""
    for key, value, default in (("order", order, "K"), ("casting", casting, "unsafe"),
                                ("subok", subok, True)):  # fmt: skip
        if value != default:
            raise TypeError(f"Node.astype: {key}={value!r} is not supported")
    return named("astype")(self, dtype)


# -- conversions: each evaluates the node with the current values (see Node's docstring) --
def _array(self: Node, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
    """`Node.__array__`: the current value as an array, for ``np.asarray(node)`` (NumPy 2's
    `copy`: True gives a new writable array, False refuses a cast to another dtype)."""
    value = np.asarray(self())
    if copy is False:
        if dtype is not None and np.dtype(dtype) != value.dtype:
            raise ValueError(
                f"{self.name} node: its {value.dtype} value as {np.dtype(dtype)} needs a copy "
                "(copy=False)"
            )
        return value
    return np.array(value, dtype=dtype, copy=True) if copy else np.asarray(value, dtype)


def _conversion(convert: Callable[[np.ndarray], Any]) -> Callable[[Node], Any]:
    """``convert(node)`` (float, int, bool, complex) of the current value; NumPy's error,
    without evaluating, where NumPy converts no array of the node's shape and dtype."""

    def conversion(self: Node) -> Any:
        try:
            convert(np.broadcast_to(np.zeros((), self.dtype), self.shape))
        except (TypeError, ValueError) as error:
            raise type(error)(f"{self.name} node of shape {self.shape}: {error}") from None
        return convert(np.asarray(self()))

    conversion.__name__ = conversion.__qualname__ = f"__{convert.__name__}__"
    return conversion


def _item(self: Node, *args: Any) -> Any:
    """The element `args` (or the one element) of the node's current value, a Python number,
    as ndarray.item."""
    return np.asarray(self()).item(*args)


def _format(self: Node, spec: str) -> str:
    """`Node.__format__`: with no spec the formula (``f"{node}"`` is ``str(node)``); with one,
    the current value formatted as NumPy formats it (``f"{loss:.3f}"`` for a 0-d node; NumPy
    refuses a spec for an array of more elements)."""
    if not spec:
        return str(self)
    value = np.asarray(self())
    return format(value[()] if value.ndim == 0 else value, spec)


CONVERSIONS: dict[str, Callable[..., Any]] = {
    "__array__": _array,
    "__format__": _format,
    "__bool__": _conversion(bool),
    "__float__": _conversion(float),
    "__int__": _conversion(int),
    "__complex__": _conversion(complex),
    "item": _item,
}


METHODS: dict[str, Callable[..., Any]] = {
    name: _method(name)
    for name in (
        "sum",
        "mean",
        "max",
        "min",
        "prod",
        "var",
        "std",
        "any",
        "all",
        "argmax",
        "argmin",
        "argsort",
        "cumsum",
        "cumprod",
        "squeeze",
        "ravel",
        "dot",
        "swapaxes",
        "clip",
        "round",
        "trace",
        "diagonal",
        "repeat",
        "take",
    )  # fmt: skip
}
METHODS.update(transpose=_transpose, astype=_astype, flatten=_method("flatten", "ravel"))
