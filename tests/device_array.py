"""A stand-in for a GPU array library (as CuPy behaves), so that the array-module backend is
tested where no GPU is: its arrays keep their data to themselves, refuse to become NumPy arrays
implicitly (``np.asarray`` raises, as CuPy's do), refuse NumPy arrays mixed into their
functions, and implement NumPy's functions and ufuncs through NumPy's dispatch protocols. A
plan that runs on it moved every constant and fed value to it and never copied one back behind
the caller's back. It says nothing about which functions CuPy implements.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin


class DeviceArray(NDArrayOperatorsMixin):
    def __init__(self, data: Any) -> None:
        self._data = np.asarray(data)

    # what a plan and the ops read without computing
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    T = property(lambda self: _wrap(self._data.T))
    mT = property(lambda self: _wrap(np.swapaxes(self._data, -1, -2)))

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed (use asnumpy)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(x) for x in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*map(_unwrap, inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def __getitem__(self, key):
        return _wrap(self._data[_unwrap(key, indices=True)])

    def __setitem__(self, key, value):
        self._data[_unwrap(key, indices=True)] = _unwrap(value)

    def __len__(self) -> int:
        return len(self._data)

    def __float__(self) -> float:
        return float(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __getattr__(self, name: str) -> Any:  # ndarray's methods: .astype, .reshape, .sum ...
        attribute = getattr(self._data, name)
        if not callable(attribute):
            return _wrap(attribute)
        return lambda *args, **kwargs: _wrap(attribute(*_unwrap(args), **_unwrap(kwargs)))

    def __repr__(self) -> str:
        return f"DeviceArray({self._data!r})"


def _unwrap(value: Any, indices: bool = False) -> Any:
    """Device arrays as their data; a NumPy array (but an index) is refused, as CuPy does."""
    if isinstance(value, DeviceArray):
        return value._data
    if isinstance(value, np.ndarray) and value.ndim and not indices:
        raise TypeError(f"Unsupported type {type(value)} (a NumPy array among device arrays)")
    if isinstance(value, tuple):
        return tuple(_unwrap(x, indices) for x in value)
    if isinstance(value, list):
        return [_unwrap(x, indices) for x in value]
    if isinstance(value, dict):
        return {k: _unwrap(x, indices) for k, x in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, tuple):
        return tuple(_wrap(x) for x in value)
    if isinstance(value, list):
        return [_wrap(x) for x in value]
    return value


def asarray(value: Any, dtype: Any = None) -> DeviceArray:
    """A copy of `value` on the device."""
    if isinstance(value, DeviceArray):
        return value if dtype is None else value.astype(dtype)
    return DeviceArray(np.array(value, dtype=dtype))


def asnumpy(value: Any) -> np.ndarray:
    """A NumPy copy of a device array."""
    return value._data.copy() if isinstance(value, DeviceArray) else np.asarray(value)
