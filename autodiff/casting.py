"""Values going into a graph: dtypes a Variable may hold and casts that lose nothing.

`Variable` (in `node.py`) checks every value set, fed to a plan or loaded with these: a cast
that would lose information raises, naming the Variable, the dtypes and a value. This module
imports nothing of autodiff, so `node.py` can import it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _frozen(array: np.ndarray) -> bool:
    """Whether nothing can write into `array`: it and every array it views are read-only."""
    while isinstance(array, np.ndarray):
        if array.flags.writeable:
            return False
        if array.base is None:
            return True
        array = array.base
    return False  # memory of another object (a buffer, a memory map)


_FOREIGN = ("dask", "cupy")  # libraries whose arrays a plan takes on a backend of their own


def foreign_library(value: Any) -> str | None:
    """The library of `value` where it is an array a NumPy plan must not convert itself
    (converting a dask array computes it, a CuPy array copies it off the GPU), else None."""
    if isinstance(value, (np.ndarray, np.generic)):
        return None
    library = type(value).__module__.partition(".")[0]
    return library if library in _FOREIGN else None


class ForeignArray(TypeError):
    """A dask or CuPy array where a NumPy value is taken (a Variable's value).

    `library` names the array's library: a plan fed such an array runs on that backend.
    """

    def __init__(self, what: str, library: str) -> None:
        super().__init__(
            f"{what}: the value is a {library} array; a Variable holds NumPy values. Declare "
            f"it with ad.Variable.like(array) and feed {library} arrays to a plan: "
            f"ad.function(outputs, inputs=[...]) runs on {library} when fed them"
        )
        self.library = library


def refuse_nodes(what: str, value: Any) -> None:
    """TypeError where `value` is a node or a list or tuple holding one: NumPy would evaluate
    it (``Node.__array__``), cutting the graph without a word. A node is what declares
    ``is_graph_node`` (`autodiff.node.Node`), so this module need not import it."""
    items = [value]
    while items:
        item = items.pop()
        if getattr(type(item), "is_graph_node", False):
            raise TypeError(f"{what}: the value holds a node ({type(item).__name__}); use ad.stack")
        if isinstance(item, (list, tuple)):
            items.extend(item)


def numeric_dtype(what: str, dtype: Any) -> np.dtype:
    """`dtype` as a NumPy dtype if it is bool or a number type; TypeError naming `what`
    otherwise (Variables and casts hold numbers only).

    >>> from autodiff.node import numeric_dtype
    >>> numeric_dtype("Cast", "float32")
    dtype('float32')
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{what}: {dtype!r} is not a dtype") from None
    if dtype.kind not in "biufc":
        raise TypeError(
            f"{what}: dtype {dtype} is not a number type (bool, int, uint, float, complex)"
        )
    return dtype


def _as_array(what: str, value: Any) -> np.ndarray:
    """`value` as an array of numbers (Python ints too large for int64 stay exact objects)."""
    refuse_nodes(what, value)
    library = foreign_library(value)
    if library is not None:
        raise ForeignArray(what, library)
    try:
        array = np.asarray(value)
        if array.dtype.kind == "f" and isinstance(value, (list, tuple)):
            exact = np.array(value, dtype=object)  # NumPy makes floats of ints beyond int64
            if all(isinstance(v, int) for v in exact.flat):
                array = exact
    except (ValueError, TypeError) as error:
        raise ValueError(f"{what}: the value is not an array of numbers ({error})") from None
    if array.dtype.kind == "O":
        if not all(isinstance(v, (int, float, complex)) for v in array.flat):
            kinds = sorted(
                {type(v).__name__ for v in array.flat} - {"int", "float", "complex", "bool"}
            )
            raise TypeError(f"{what}: the value holds {', '.join(kinds) or 'objects'}, not numbers")
    elif array.dtype.kind in "US":
        example = array.flat[0] if array.size else ""
        raise TypeError(
            f"{what}: strings are not numbers (got {str(example)!r}, dtype {array.dtype})"
        )
    elif array.dtype.kind not in "biufc":
        raise TypeError(f"{what}: a {array.dtype} value is not a number")
    return array


_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integers < floats < complex


def _cast(what: str, value: Any, dtype: np.dtype) -> np.ndarray:
    """`value` as an array of `dtype`; raises where the cast would lose information.

    Rounding to a float of fewer bits is fine. A fraction into an integer or bool, an
    imaginary part into a real type (TypeError), a value outside an integer type's range or
    a finite value that becomes inf (ValueError) are not.
    """
    array = _as_array(what, value)
    if array.dtype == dtype:
        return array
    if array.dtype.kind == "O":  # holds Python ints beyond int64
        if all(isinstance(v, int) for v in array.flat):
            return _cast_python_ints(what, array, dtype)
        kind = complex if any(isinstance(v, complex) for v in array.flat) else float
        try:
            array = array.astype(kind)
        except OverflowError:
            raise ValueError(
                f"{what}: a Python int of the value is too large for {dtype}"
            ) from None
    source = array.dtype
    if _RANK[source.kind] > _RANK[dtype.kind] and source.kind in "fc":
        lost = "lose its imaginary part in" if source.kind == "c" else "be truncated to"
        fix = "complex" if source.kind == "c" else "float"
        raise TypeError(
            f"{what}: a {source} value would {lost} {dtype} "
            f"(give the Variable a {fix} dtype, or convert the value first)"
        )
    if dtype.kind in "biu":
        if np.can_cast(source, dtype):  # every value fits (bool into any integer type)
            return array.astype(dtype)
        low, high = _limits(dtype)
        if array.size and (array.min() < low or array.max() > high):
            example = array[(array < low) | (array > high)].flat[0].item()
            raise ValueError(
                f"{what}: the {source} value {example!r} does not fit {dtype} ({low} to {high})"
            )
        return array.astype(dtype)
    with np.errstate(over="ignore"):  # overflow is found below, with an example
        result = array.astype(dtype)
    new_parts = (result.real, result.imag) if dtype.kind == "c" else (result,)
    old_parts = (array.real, array.imag) if source.kind == "c" else (array,)
    # a real value cast to complex has one part: zero imaginary parts cannot overflow
    for new, old in zip(new_parts, old_parts, strict=False):
        overflow = np.isinf(new)
        if overflow.any():
            overflow &= np.isfinite(old)
            if overflow.any():
                example = old[overflow].flat[0].item()
                raise ValueError(
                    f"{what}: the {source} value {example!r} overflows to inf in {dtype}"
                )
    return result


def _limits(dtype: np.dtype) -> tuple[int, int]:
    if dtype.kind == "b":
        return 0, 1
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _cast_python_ints(what: str, array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """An object array of Python ints (some beyond int64) as `dtype`, checked exactly."""
    if dtype.kind in "biu":
        low, high = _limits(dtype)
        outside = [v for v in array.flat if not low <= v <= high]
        if outside:
            raise ValueError(
                f"{what}: the Python int {outside[0]} does not fit {dtype} ({low} to {high})"
            )
        return array.astype(dtype)
    try:
        with np.errstate(over="ignore"):
            result = array.astype(dtype)
    except OverflowError:
        result = None
    if result is None or np.isinf(result.real).any():
        raise ValueError(f"{what}: a Python int of the value is too large for {dtype}")
    return result
