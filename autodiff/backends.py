"""Where a plan's arrays live: NumPy (the default), Dask (chunked, lazy, multi-core or on a
cluster) or another array library that speaks NumPy's protocols, such as CuPy (GPU arrays).

A graph and its derivatives know shapes and dtypes only; the backend is chosen when a plan is
made, ``ad.function(outputs, inputs, backend="dask")``, or found from the arrays a NumPy plan is
fed (a dask array fed to a plan runs the plan's Dask form). Every op keeps ONE implementation,
its `eval` written with NumPy's functions; on another backend the same code runs on that
library's arrays through NumPy's dispatch protocols (``__array_ufunc__``, ``__array_function__``),
so `np.exp`, `np.einsum` (via opt_einsum's backends), `np.sum` of a dask array build dask
tasks, and of a CuPy array run on the GPU. A backend plan is one line per node, without the
NumPy plan's buffers, in-place writes and fused loops (`autodiff.compile`).

What dispatch cannot do is handled per backend, never silently: on Dask, an op that dask has no
chunked form of runs its NumPy code block by block where it is `elementwise` (erf), else as one
task on its whole inputs (a sort; `OneBlockWarning` says so where an input was in several
chunks), and a plan call never
computes anything itself (dask's scheduler is refused while the graph is built, so an op that
would quietly turn a dask array into a NumPy one falls back instead). On an array module, an
op whose NumPy code the library cannot run raises `NotImplementedError` naming the op and the
library when the plan is called; an op that declares it does not dispatch (`Node.dispatches`)
runs on NumPy copies of its inputs (there, as one task on Dask).

The Python Array API standard: an ``array_api_compat`` namespace (``array_namespace(x)``) names
its library, and is taken as that library; a library that implements the standard only (no
NumPy protocols) cannot run the ops' NumPy code and is refused with a clear error.
"""

from __future__ import annotations

import contextlib
import importlib
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import blas
from .casting import ForeignArray
from .node import Node, Variable, kernel_of

__all__ = ["Backend", "ForeignArray", "OneBlockWarning", "backend_for"]


class OneBlockWarning(UserWarning):
    """An op ran on the Dask backend as one task on its whole inputs, one of which was in
    several chunks: that array was gathered on one worker."""


class Backend:
    """How a plan's lines run on one array library: its inputs checked, its constants moved
    to it, each op's kernel called on its arrays, and its results handed back."""

    name = "numpy"

    def owns(self, value: Any) -> bool:
        """Whether `value` is an array of this backend's library."""
        return isinstance(value, np.ndarray)

    def check(self, variable: Variable) -> Callable[[Any], Any]:
        """The check of a value fed for `variable`: this library's array (or a NumPy value,
        moved to it) of the Variable's shape and dtype."""
        check_value = variable.check_value

        def check(value: Any) -> Any:
            if not self.owns(value):
                return self.constant(check_value(value))
            shape = tuple(value.shape)
            if shape != variable.shape:
                raise ValueError(
                    f"Variable {variable.name!r}: value of shape {shape} does not fit shape "
                    f"{variable.shape}"
                )
            if value.dtype != variable.dtype:
                if not np.can_cast(value.dtype, variable.dtype, casting="same_kind"):
                    raise TypeError(
                        f"Variable {variable.name!r}: a {value.dtype} {self.name} array does not "
                        f"cast to {variable.dtype} without losing information"
                    )
                value = value.astype(variable.dtype)
            return value

        return check

    def constant(self, value: Any) -> Any:
        """A value known when the plan is made (or a Variable's NumPy value), on this library."""
        return value

    def kernel(self, node: Node) -> Callable[..., Any]:
        """The function a plan's line calls for `node`: its `eval` on this library's arrays."""
        return kernel_of(node)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """The context a plan's call runs in."""
        yield

    def results(self, values: list[Any], compute: bool) -> list[Any]:
        """The values a call returns: this library's arrays, or NumPy arrays with `compute`."""
        return values

    def __repr__(self) -> str:
        return f"<autodiff backend {self.name!r}>"


class Dask(Backend):
    """Dask arrays: each op builds dask tasks (lazily; a call computes nothing itself).

    While a call builds the graph (a few milliseconds), dask's ``scheduler`` setting is one
    that refuses to compute, which is how an op that would compute a dask array is caught;
    the setting is process-wide, so a dask computation another thread starts in that moment
    fails too.
    """

    name = "dask"

    def __init__(self) -> None:
        self.dask = importlib.import_module("dask")
        self.da = importlib.import_module("dask.array")

    def owns(self, value: Any) -> bool:
        return isinstance(value, self.da.Array)

    def check(self, variable: Variable) -> Callable[[Any], Any]:
        check = super().check(variable)

        def check_chunks(value: Any) -> Any:
            if self.owns(value) and any(np.isnan(size) for size in value.shape):
                raise ValueError(
                    f"Variable {variable.name!r}: the dask array's shape {value.shape} has "
                    "unknown sizes (call compute_chunk_sizes() on it first)"
                )
            return check(value)

        return check_chunks

    def kernel(self, node: Node) -> Callable[..., Any]:
        return _DaskKernel(self, node)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self.dask.config.set(scheduler=_refuse):
            yield

    def results(self, values: list[Any], compute: bool) -> list[Any]:
        if not compute:
            return values
        # dask's threads each call BLAS: on one BLAS thread each, as distributed's workers
        # are, else their BLAS threads outnumber the cores (and OpenBLAS's spin, waiting)
        return [np.asarray(v) for v in blas.on_one_thread(self.dask.compute)(*values)]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    """The scheduler while a Dask plan's graph is built: nothing may compute then."""
    raise _Computed


class _Computed(Exception):
    """An op's NumPy code tried to compute a dask array while the plan's graph was built."""


class _DaskKernel:
    """An op's kernel on dask arrays: through NumPy's dispatch where dask implements it, else
    (found at the first call that fails, then kept) its NumPy code per block or on the whole
    inputs (`whole`)."""

    def __init__(self, backend: Dask, node: Node) -> None:
        self.backend = backend
        self.node = node
        self.dispatch = kernel_of(node)
        self.one_block = False

    def __call__(self, *arrays: Any) -> Any:
        node = self.node
        if not self.one_block and node.dispatches:
            try:
                with warnings.catch_warnings():  # "not implemented by Dask array": it computes
                    warnings.simplefilter("ignore", FutureWarning)
                    value = self.dispatch(*arrays)
                if value.shape == node.shape and value.dtype == node.dtype:
                    return value
            except Exception:  # dask has no such function, or not for these chunks
                pass
            self.one_block = True  # or dask's result is not NumPy's (an index's axes' order)
        return self.whole(arrays)

    def whole(self, arrays: Sequence[Any]) -> Any:
        """The node's value as one dask task: its NumPy code on the whole input arrays; for
        an elementwise op, one task per block of its inputs broadcast to its shape."""
        da, node = self.backend.da, self.node
        if not any(isinstance(x, da.Array) for x in arrays):
            return self.dispatch(*arrays)
        meta = np.empty((0,) * node.ndim, node.dtype)
        if node.elementwise:  # element j from element j of each input: block by block
            blocks = da.broadcast_arrays(*[da.broadcast_to(x, node.shape) for x in arrays])
            return da.map_blocks(_Detached(node), *blocks, dtype=node.dtype, meta=meta)
        scattered = [x for x in arrays if isinstance(x, da.Array) and x.npartitions > 1]
        if scattered:
            warnings.warn(
                f"{node.name} has no chunked form on the dask backend: it runs as one task, "
                f"with its input of shape {scattered[0].shape} in {scattered[0].npartitions} "
                "chunks gathered on one worker",
                OneBlockWarning,
                stacklevel=6,  # the line that called the plan
            )
        task = self.backend.dask.delayed(_Detached(node), pure=False)(*arrays)
        return da.from_delayed(task, shape=node.shape, dtype=node.dtype, meta=meta)


class _Detached:
    """A node's kernel that pickles small (for a cluster's workers): its op, parameters and
    input shapes, rebuilt on shape-only Variables where it runs."""

    def __init__(self, node: Node) -> None:
        self.op = type(node)
        self.params = {key: getattr(node, key) for key, _ in node.params}
        self.specs = [(x.shape, x.dtype) for x in node.inputs]
        self.run: Callable[..., Any] | None = kernel_of(node)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "run": None}

    def __call__(self, *arrays: Any) -> Any:
        if self.run is None:
            inputs = [
                Variable.like(types.SimpleNamespace(shape=shape, dtype=dtype))
                for shape, dtype in self.specs
            ]
            self.run = kernel_of(self.op.unfolded(*inputs, **self.params))
        return np.asarray(self.run(*arrays))


class ArrayModule(Backend):
    """The arrays of a library that implements NumPy's dispatch protocols (CuPy, ...)."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.name = module.__name__

    def owns(self, value: Any) -> bool:
        return type(value).__module__.partition(".")[0] == self.name.partition(".")[0]

    def constant(self, value: Any) -> Any:
        return self.module.asarray(value) if isinstance(value, np.ndarray) else value

    def kernel(self, node: Node) -> Callable[..., Any]:
        kernel = kernel_of(node)
        name = self.name

        def on_module(*arrays: Any) -> Any:
            if not node.dispatches:
                return self.on_host(node, kernel, arrays)
            try:
                value = kernel(*arrays)
            except (TypeError, NotImplementedError, AttributeError) as error:
                raise NotImplementedError(
                    f"{node.name}: the {name} backend cannot run it "
                    f"({type(error).__name__}: {error})"
                ) from error
            # a NumPy array made from shapes alone (zeros, an eye): moved to the library
            return self.module.asarray(value) if isinstance(value, np.ndarray) else value

        return on_module

    def on_host(self, node: Node, kernel: Callable[..., Any], arrays: Sequence[Any]) -> Any:
        """`kernel` on NumPy copies of `arrays`, its result moved back to the library."""
        to_host = getattr(self.module, "asnumpy", None)
        if to_host is None:
            raise NotImplementedError(
                f"{node.name}: the {self.name} backend cannot run it (its code runs on NumPy "
                f"arrays only, and {self.name} has no asnumpy to copy them to)"
            )
        return self.module.asarray(kernel(*[to_host(x) if self.owns(x) else x for x in arrays]))

    def results(self, values: list[Any], compute: bool) -> list[Any]:
        if not compute:
            return values
        to_host = getattr(self.module, "asnumpy", None)
        return [to_host(v) if to_host and self.owns(v) else np.asarray(v) for v in values]


_LOADED: dict[str, Backend] = {}


def backend_for(spec: Any) -> Backend:
    """The backend `spec` names: "numpy", "dask", "cupy", an array module (``dask.array``,
    ``cupy``, an ``array_api_compat`` namespace) or a `Backend`.

    >>> import autodiff as ad
    >>> ad.backends.backend_for("numpy")
    <autodiff backend 'numpy'>
    """
    if isinstance(spec, Backend):
        return spec
    if isinstance(spec, types.ModuleType):
        name = spec.__name__
        if name.startswith("array_api_compat."):  # its wrapper of a library: that library
            name = name.split(".")[1]
        elif name not in ("numpy", "dask", "dask.array", "cupy"):
            return _array_module(spec)
        name = {"dask.array": "dask"}.get(name, name)
    elif isinstance(spec, str):
        name = spec
    else:
        raise TypeError(
            f"function: backend must be 'numpy', 'dask', 'cupy' or an array module, "
            f"got {type(spec).__name__}"
        )
    if name not in _LOADED:
        _LOADED[name] = _load(name)
    return _LOADED[name]


def _load(name: str) -> Backend:
    if name == "numpy":
        return Backend()
    try:
        if name == "dask":
            return Dask()
        module = importlib.import_module(name)
    except ImportError as error:
        hint = {"dask": "pip install 'dask[array]'", "cupy": "pip install cupy-cuda12x"}
        raise ImportError(
            f"function: backend {name!r} needs {name} installed"
            + (f" ({hint[name]})" if name in hint else "")
            + f": {error}"
        ) from error
    return _array_module(module)


def _array_module(module: types.ModuleType) -> ArrayModule:
    """The backend of `module`'s arrays, which must implement NumPy's dispatch protocols."""
    if not _speaks_numpy(module):
        raise TypeError(
            f"function: backend {module.__name__!r}: its arrays do not implement NumPy's "
            "dispatch protocols (__array_ufunc__, __array_function__), which the ops' code "
            "runs through"
        )
    return ArrayModule(module)


def _speaks_numpy(module: types.ModuleType) -> bool:
    """Whether `module`'s arrays implement NumPy's dispatch protocols."""
    try:
        array = module.asarray([0.0])
    except Exception:
        return False
    kind = type(array)
    return hasattr(kind, "__array_function__") and hasattr(kind, "__array_ufunc__")
