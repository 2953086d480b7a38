"""Modules: objects that hold parameters and build graphs when called.

A `Module` finds its parameters and sub-modules in its own attributes: every `ad.Variable`
attribute is a parameter, every `Module` attribute a sub-module, and lists or tuples of
either are walked too (``layers.0.weight``). Attributes whose names start with ``_`` are
private and not walked. Calling a module runs `forward` inside a name scope (the attribute
name it was assigned to, or its class name at the top), so a plot draws it as a cluster.
Parameters are read and written as NumPy arrays through `state_dict` / `load_state_dict`,
and `save` / `load` store them in an ``.npz`` file, atomically. `register_backward_hook`
lets a function see and replace the cotangent arriving at a module's output.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import math
import numbers
import os
import re
import secrets
import stat
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..custom import with_gradient
from ..node import Node, Variable, current_scope, name_scope

MAX_BYTES = 4 * 2**30  # what `load` reads at most unless told otherwise: 4 GiB of arrays
_IMPORTED = time.time()  # temporary files older than this are no save of this process


class Module:
    """Base class of layers and models: subclasses set attributes in `__init__`, define `forward`.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         self.scale = ad.Variable(np.array(2.0), name="scale")
    ...         self.shift = nn.Linear(1, 1, rng=0)
    ...     def forward(self, x):
    ...         return self.shift(x * self.scale)
    >>> model = Affine()
    >>> [name for name, _ in model.named_parameters()]
    ['scale', 'shift.weight', 'shift.bias']
    >>> model(ad.Variable(np.ones((3, 1)))).shape
    (3, 1)
    """

    training: bool = True
    _scope: str | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            items = value if isinstance(value, (list, tuple)) else [value]
            for i, item in enumerate(items):
                if isinstance(item, Module) and item._scope is None:
                    item._scope = name if item is value else f"{name}.{i}"
        object.__setattr__(self, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with name_scope(self._scope or type(self).__name__), _owning(self):
            output = self.forward(*args, **kwargs)
            hooks = self.__dict__.get("_backward_hooks")
            if hooks:  # no hook, no node: a module without hooks builds the graph it always did
                output = self._hooked(output, list(hooks.values()))
            return output

    # -- hooks ----------------------------------------------------------------------------
    def register_backward_hook(self, hook: Callable[[Node], Node | None]) -> RemovableHandle:
        """Call ``hook(g)`` with the cotangent Node arriving at this module's output when a
        gradient graph is built; a Node it returns replaces g (same shape), None keeps it.

        The hook applies to the graphs built by calls of the module while it is registered
        (`handle.remove()` unregisters it; graphs built before keep it). Several hooks run in
        the order they were registered, each on the previous one's result. `g` may carry
        leading batch axes (`jacobian`, `hessian`), so write hooks with broadcasting. Where
        forward returns a tuple or list of Nodes, the hook sees each output's cotangent on
        its own. The hook is a `custom_gradient` node on the output, so it works in plans,
        Hessians and checkpointed segments.

        >>> import numpy as np, autodiff as ad
        >>> from autodiff import nn
        >>> layer = nn.Linear(2, 1, rng=0)
        >>> seen = []
        >>> handle = layer.register_backward_hook(lambda g: seen.append(g) or g * 0.0)
        >>> x = ad.Variable(np.ones((4, 2)))
        >>> ad.grad(ad.sum(layer(x)), layer.bias)(), seen[0].shape
        (array([0.]), (4, 1))
        >>> handle.remove()
        >>> ad.grad(ad.sum(layer(x)), layer.bias)()
        array([4.])
        """
        if not callable(hook):
            raise TypeError(
                f"{type(self).__name__}.register_backward_hook: expected a function, "
                f"got {type(hook).__name__}"
            )
        hooks = self.__dict__.setdefault("_backward_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle.key] = hook
        return handle

    def _hooked(self, output: Any, hooks: list[Callable[[Node], Node | None]]) -> Any:
        """`output` (a Node, or a tuple or list of them) with `hooks` on each cotangent."""
        where = f"{type(self).__name__} {self._scope or type(self).__name__!r}"

        def rule(g: Node) -> Node:
            for hook in hooks:
                new = hook(g)
                if new is None:
                    continue
                hook_name = getattr(hook, "__name__", type(hook).__name__)
                if not isinstance(new, Node):
                    raise TypeError(
                        f"{where}: backward hook {hook_name} returned a {type(new).__name__}, "
                        "not a Node or None"
                    )
                if new.shape != g.shape or new.dtype != g.dtype:
                    raise ValueError(
                        f"{where}: backward hook {hook_name} returned shape {new.shape} "
                        f"{new.dtype} for a cotangent of shape {g.shape} {g.dtype}"
                    )
                g = new
            return g

        def hooked(y: Any) -> Any:
            if isinstance(y, Node) and y.dtype.kind == "f":
                return with_gradient(y, rule, "backward_hook")
            return y

        if isinstance(output, (tuple, list)):
            return type(output)(hooked(y) for y in output)
        return hooked(output)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    # -- walking the tree -------------------------------------------------------------
    def _attributes(self) -> Iterator[tuple[str, Any]]:
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    yield f"{name}.{i}", item
            else:
                yield name, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their attribute names."""
        return ((name, value) for name, value in self._attributes() if isinstance(value, Module))

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`) and every sub-module below it, with dotted names."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> list[Module]:
        """This module and all its sub-modules."""
        return [module for _, module in self.named_modules()]

    def named_parameters(self) -> list[tuple[str, Variable]]:
        """Every parameter once, with its dotted name, in the order the attributes were set."""
        found: list[tuple[str, Variable]] = []
        seen: set[int] = set()

        def walk(module: Module, prefix: str) -> None:
            for name, value in module._attributes():
                if isinstance(value, Module):
                    walk(value, prefix + name + ".")
                elif isinstance(value, Variable) and id(value) not in seen:
                    seen.add(id(value))
                    found.append((prefix + name, value))

        walk(self, "")
        return found

    def parameters(self) -> list[Variable]:
        """Every parameter once (the Variables an optimizer updates).

        >>> from autodiff import nn
        >>> [p.shape for p in nn.Linear(3, 2, rng=0).parameters()]
        [(3, 2), (2,)]
        """
        return [p for _, p in self.named_parameters()]

    # -- modes --------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (True) or evaluation mode (False) here and below; returns self.

        The mode is read when a graph is built: build the training graph in training mode
        and the evaluation graph in evaluation mode (Dropout is the identity there).
        """
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    # -- values -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's value, by dotted name.

        >>> from autodiff import nn
        >>> sorted(nn.Linear(3, 2, rng=0).state_dict())
        ['bias', 'weight']
        """
        return {name: p.value.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from `state` (name -> array); all are checked before any is set.

        Raises ValueError naming the missing or unexpected names, or a shape that does not fit,
        and, as setting a Variable's value does, where a cast to the parameter's dtype would lose
        information. Each parameter keeps its own copy of the array it is given.

        >>> from autodiff import nn
        >>> a, b = nn.Linear(3, 2, rng=0), nn.Linear(3, 2, rng=1)
        >>> b.load_state_dict(a.state_dict())
        >>> bool((a.weight.value == b.weight.value).all())
        True
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a mapping of names to arrays, "
                f"got a {type(state).__name__}"
            )
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: missing {missing}, unexpected {unexpected}"
            )
        values = {}
        for name, p in params.items():
            if np.shape(state[name]) != p.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name!r} "
                    f"has shape {np.shape(state[name])}, "
                    f"the parameter has shape {p.shape}"
                )
            try:  # the same casts as `p.value = ...`: none that loses information
                values[name] = p.check_value(state[name])
            except (TypeError, ValueError) as error:
                raise type(error)(
                    f"{type(self).__name__}.load_state_dict: {name!r}: {error}"
                ) from None
        for name, p in params.items():
            p.value = values[name]

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to an ``.npz`` file, atomically (see `autodiff.nn.save`)."""
        save(path, self.state_dict())

    def load(self, path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> None:
        """Read the parameters from an ``.npz`` file written by `save` (`max_bytes`: `nn.load`)."""
        self.load_state_dict(load(path, max_bytes))

    # -- display -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The sizes and options shown in this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


# the dotted-name prefix of the module being called ("" at the outermost call), for `_owning`
_prefix: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "autodiff_module_prefix", default=None
)


@contextlib.contextmanager
def _owning(module: Module) -> Iterator[None]:
    """While `module` is called: its own parameters record its scope and their dotted names.

    A parameter is made in the constructor, outside the scope its module is called in; a plot
    reads `_owner` ({scope: dotted name}, the latest call last) to draw it inside its module's
    cluster, named as in `named_parameters` of the outermost module called
    (``layers.0.weight``): the cluster, among those it was called in, that the drawn graph uses.
    """
    outer = _prefix.get()
    prefix = "" if outer is None else f"{outer}{module._scope or type(module).__name__}."
    scope = current_scope()
    for name, value in module._attributes():
        if isinstance(value, Variable):
            owners = dict(value.__dict__.get("_owner", {}))
            owners.pop(scope, None)
            owners[scope] = prefix + name
            object.__setattr__(value, "_owner", owners)
    token = _prefix.set(prefix)
    try:
        yield
    finally:
        _prefix.reset(token)


class RemovableHandle:
    """What `Module.register_backward_hook` returns: ``handle.remove()`` unregisters the hook."""

    _keys = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks = hooks
        self.key = next(self._keys)

    def remove(self) -> None:
        """Unregister the hook (again: nothing happens)."""
        self.hooks.pop(self.key, None)


class Sequential(Module):
    """Layers applied one after another; plain functions such as `ad.relu` may stand between them.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> mlp = nn.Sequential(nn.Linear(4, 8, rng=0), ad.relu, nn.Linear(8, 3, rng=1))
    >>> mlp(ad.Variable(np.ones((5, 4)))).shape
    (5, 3)
    >>> len(mlp.parameters())
    4
    """

    def __init__(self, *layers: Callable[[Any], Any]):
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(
                    f"Sequential: layer {i} is a {type(layer).__name__}, not a module or a function"
                )
        self.layers = list(layers)

    def forward(self, x: Node) -> Node:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Callable[[Any], Any]:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Callable[[Any], Any]]:
        return iter(self.layers)


# -- files ------------------------------------------------------------------------------


def save(path: str | os.PathLike, arrays: Mapping[str, Any]) -> None:
    """Write named arrays to an ``.npz`` file atomically: a crash mid-write leaves the old file.

    The data goes to a new temporary file beside `path` (``path.<8 hex digits>.tmp``), is
    flushed to disk, and then replaces `path` in one step (`os.replace`), whose directory is
    flushed too. After that, such temporary files of `path` that a killed earlier save left
    behind (older than this process's import of autodiff) are removed. Every entry is
    checked first: names are non-empty strings, and arrays of Python objects, which `load`
    never reads, raise TypeError.

    >>> import numpy as np, os, tempfile
    >>> from autodiff import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
    >>> nn.save(path, {"w": np.arange(3.0), "file": np.array("any name works")})
    >>> nn.load(path)["w"]
    array([0., 1., 2.])
    """
    path = os.fspath(path)
    entries = _entries(arrays)
    temporary = f"{path}.{secrets.token_hex(4)}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(handle, "wb") as file:
            _write_npz(file, entries)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _sync_directory(path)
    _remove_stale_temporaries(path)


def _sync_directory(path: str) -> None:
    """Flush the directory entry of `path` too, so that the rename outlives a power cut (POSIX)."""
    try:
        handle = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:  # not possible on this system (Windows): the rename is as durable as it gets
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _entries(arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The arrays `save` is to write, checked: string names, no arrays of Python objects."""
    if not isinstance(arrays, Mapping):
        raise TypeError(
            f"nn.save: expected a mapping of names to arrays, got a {type(arrays).__name__}"
        )
    entries = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"nn.save: entry names must be non-empty strings, got {name!r}")
        if isinstance(value, Node):
            raise TypeError(
                f"nn.save: entry {name!r} is a {type(value).__name__} node; "
                "save its value (an array)"
            )
        try:
            array = np.asarray(value)
        except ValueError as error:
            raise ValueError(f"nn.save: entry {name!r} is not one array ({error})") from None
        if array.dtype.hasobject:
            raise TypeError(
                f"nn.save: entry {name!r} is an array of Python objects (dtype {array.dtype}), "
                "which nn.load never reads; save numbers, booleans or strings"
            )
        entries[name] = array
    return entries


def _write_npz(file: Any, entries: Mapping[str, np.ndarray]) -> None:
    """The ``.npz`` format of `np.savez`, uncompressed, taking any entry name (even ``file``)."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _remove_stale_temporaries(path: str) -> None:
    """Remove what killed saves of `path` left: regular files of this user named exactly like
    `save`'s temporaries and last written before this process imported autodiff."""
    directory, base = os.path.split(os.path.abspath(path))
    pattern = re.compile(re.escape(base) + r"\.[0-9a-f]{8}\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not pattern.fullmatch(name):
            continue
        candidate = os.path.join(directory, name)
        try:
            info = os.lstat(candidate)
            mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            if stat.S_ISREG(info.st_mode) and mine and info.st_mtime < _IMPORTED:
                os.remove(candidate)
        except OSError:  # gone already, or not ours to remove
            continue


def load(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz`` file written by `save` (see there for an example).

    Before any array is read, the sizes its zip and ``.npy`` headers declare are added up;
    past `max_bytes` (4 GiB unless told) the file is refused with ValueError, so a small file
    that would inflate to gigabytes costs nothing. Entries that are not ``.npy`` arrays, or
    hold Python objects, raise ValueError too.

    >>> import numpy as np, os, tempfile
    >>> from autodiff import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "big.npz")
    >>> nn.save(path, {"w": np.zeros(1000)})
    >>> nn.load(path, max_bytes=4000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: nn.load: ... declares 8128 bytes ... entry 'w' ... more than max_bytes=4000; ...
    """
    path = os.fspath(path)
    if isinstance(max_bytes, (bool, np.bool_)) or not isinstance(max_bytes, numbers.Integral):
        raise TypeError(f"nn.load: max_bytes must be an integer, got {max_bytes!r}")
    if max_bytes < 1:
        raise ValueError(f"nn.load: max_bytes must be positive, got {max_bytes}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"nn.load: {path!r} is not an .npz file ({error})") from None
    with archive:
        members = archive.infolist()
        total = 0
        for info in members:
            name = _entry_name(path, info)
            with archive.open(info) as member:
                shape, dtype = _read_header(path, name, member)
            total += max(math.prod(shape) * dtype.itemsize, info.file_size)
            if total > max_bytes:
                raise ValueError(
                    f"nn.load: {path!r} declares {total} bytes of arrays by entry {name!r} "
                    f"(shape {shape}, {dtype}), more than max_bytes={max_bytes}; "
                    "pass a larger max_bytes if the file is trusted"
                )
        arrays = {}
        for info in members:
            name = _entry_name(path, info)
            try:
                with archive.open(info) as member:
                    arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
            except (ValueError, EOFError, OSError, zipfile.BadZipFile) as error:
                raise ValueError(
                    f"nn.load: entry {name!r} of {path!r} is damaged ({error})"
                ) from None
        return arrays


def _entry_name(path: str, info: zipfile.ZipInfo) -> str:
    """The array name of a zip member (``w.npy`` -> ``w``); ValueError for anything else."""
    if not info.filename.endswith(".npy") or info.is_dir():
        raise ValueError(f"nn.load: {path!r} holds {info.filename!r}, which is not an .npy array")
    return info.filename[: -len(".npy")]


def _read_header(path: str, name: str, member: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an ``.npy`` header declares, read without the data."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"nn.load: entry {name!r} of {path!r} is not a valid .npy array ({error})"
        ) from None
    if dtype.hasobject:
        raise ValueError(
            f"nn.load: entry {name!r} of {path!r} holds Python objects (dtype {dtype}), "
            "which are never loaded"
        )
    return shape, dtype
