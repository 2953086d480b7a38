"""Modules: objects that hold parameters and build graphs when called.

A `Module` finds its parameters and sub-modules in its own attributes: every `ad.Variable`
attribute is a parameter, every `Module` attribute a sub-module, and lists or tuples of
either are walked too (``layers.0.weight``). Attributes whose names start with ``_`` are
private and not walked. Calling a module runs `forward` inside a name scope (the attribute
name it was assigned to, or its class name at the top), so a plot draws it as a cluster.
Parameters are read and written as NumPy arrays through `state_dict` / `load_state_dict`,
and `save` / `load` store them in an ``.npz`` file, atomically.
"""

from __future__ import annotations

import os
import secrets
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from ..node import Node, Variable, name_scope


class Module:
    """Base class of layers and models: subclasses set attributes in `__init__` and define `forward`.

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
        with name_scope(self._scope or type(self).__name__):
            return self.forward(*args, **kwargs)

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
                    f"{type(self).__name__}.load_state_dict: {name!r} has shape {np.shape(state[name])}, "
                    f"the parameter has shape {p.shape}"
                )
            try:  # the same casts as `p.value = ...`: none that loses information
                values[name] = p.check_value(state[name])
            except (TypeError, ValueError) as error:
                raise type(error)(f"{type(self).__name__}.load_state_dict: {name!r}: {error}") from None
        for name, p in params.items():
            p.value = values[name]

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to an ``.npz`` file, atomically (see `autodiff.nn.save`)."""
        save(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> None:
        """Read the parameters from an ``.npz`` file written by `save`."""
        self.load_state_dict(load(path))

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
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a module or a function")
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

    The data goes to a new temporary file beside `path`, is flushed to disk, and then
    replaces `path` in one step (`os.replace`).

    >>> import numpy as np, os, tempfile
    >>> from autodiff import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
    >>> nn.save(path, {"w": np.arange(3.0)})
    >>> nn.load(path)["w"]
    array([0., 1., 2.])
    """
    path = os.fspath(path)
    temporary = f"{path}.{secrets.token_hex(4)}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **{name: np.asarray(value) for name, value in arrays.items()})
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz`` file written by `save` (see there for an example)."""
    with np.load(os.fspath(path), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
