"""Cases ported from HIPS autograd's tests/test_numpy.py and tests/test_systematic.py.

Each case keeps the source test's function, argument shapes and values, keyword arguments,
input domain (`lims`) and derivative order (autograd's `check_grads` checks to order 2, in
forward and reverse mode). The harness is ours: build the graph from Variables with
`ad.<name>` (NumPy's name) or a Node method, compare the value with NumPy's on the same
arrays, then check derivatives against finite differences in float64: `ad.check_grads`
(reverse mode) and `check_jvps` here (forward mode, `ad.jvp`). autograd's `combo_check` takes
the product of every argument and keyword list; each combination is one case, and the cases
of one source test are one pytest item (`source[number of cases]`): their values in one
`ad.eval`, their derivatives in one packed check (case by case when that fails, naming the
case).

A case whose function lands with issue 10's other parts is a strict xfail until it exists
(`_pending`); one for a function no one is adding (complex numbers, `np.r_`, `np.append`,
`np.linspace`, ...) is a skip that names it (`_unsupported`); a known gap in what exists is a
strict xfail that names it (`Port.known`). test_linalg.py and test_wrappers.py are ported
elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pytest

import autodiff as ad

# ---------------------------------------------------------------------------------------------
# the harness (test_ported_jax.py imports it)


def _dispatches() -> bool:
    """NumPy dispatch: np.sin(node) builds a Node."""
    try:
        return isinstance(np.sin(ad.Variable(np.ones(2))), ad.Node)
    except TypeError:
        return False


CAPABILITIES: dict[str, Callable[[], bool]] = {"np-dispatch": _dispatches}


def _has(name: str) -> bool:
    """Whether this branch has `name`: `ad.<name>` (dotted), `Node.<method>` or a capability."""
    if name in CAPABILITIES:
        return CAPABILITIES[name]()
    if name.startswith("Node."):
        return hasattr(ad.Node, name[5:])
    obj: object = ad
    for part in name.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


@dataclass
class Port:
    """One ported case: `fn` on Nodes, `ref` the same on NumPy arrays, `args` the inputs."""

    source: str  # the source test, e.g. "test_systematic.py::test_sin"
    fn: Callable  # Nodes in, a Node (or a list of Nodes) out
    ref: Callable | None  # the same on NumPy arrays; None: `check` does the whole test
    args: Sequence = ()
    order: int = 2  # gradient checks up to this order; 0: value only
    needs: Sequence[str] = ()  # names that land with issue 10's other parts
    unsupported: str | None = None  # why no one adds it: the row is a skip
    check: Callable[[], None] | None = None  # a test of its own instead of value and grads
    known: str | None = None  # a known gap in what exists (reported): a strict xfail
    id: str = field(default="")


def _bind(fn, *args, **kw):
    """fn with the trailing positional and the keyword arguments bound: fn(*xs, *args, **kw)."""
    return lambda *xs: fn(*xs, *args, **kw)


def _pending(names: Sequence[str]):
    missing = [n for n in names if not _has(n)]
    return pytest.mark.xfail(
        bool(missing), reason=f"lands with issue 10's other parts ({missing})", strict=True
    )


def _unsupported(reason: str):
    return pytest.mark.skip(reason=f"not supported: {reason}")


def params(ports: Sequence[Port]) -> list:
    """One pytest param per source test (its combos together, a skipped part apart), with the
    xfail/skip marks; the id is the source test."""
    groups: dict[tuple[str, str | None], list[Port]] = {}
    for p in ports:
        groups.setdefault((p.source, p.unsupported), []).append(p)
    sources = [source for source, _ in groups]
    out = []
    for (source, unsupported), group in groups.items():
        marks = []
        known = sorted({p.known for p in group if p.known})
        if unsupported:
            marks.append(_unsupported(unsupported))
        elif known:
            marks.append(pytest.mark.xfail(reason=f"known gap: {known[0]}", strict=True))
        else:
            needs = sorted({n for p in group for n in p.needs})
            if needs:
                marks.append(_pending(needs))
        name = source if sources.count(source) == 1 or not unsupported else f"{source}[skip]"
        out.append(pytest.param(group, id=f"{name}[{len(group)}]", marks=marks))
    return out


def _joined(out):
    """A list of Nodes (np.split and friends) as one Node: the pieces raveled, end to end."""
    if isinstance(out, (list, tuple)):
        return ad.concatenate([ad.reshape(piece, (-1,)) for piece in out])
    return out


def _joined_ref(out):
    if isinstance(out, (list, tuple)):
        return np.concatenate([np.ravel(piece) for piece in out])
    return np.asarray(out)


def _packed(cases: Sequence[tuple[Port, list[np.ndarray]]]):
    """All the cases as one function of one flat vector (each case's arguments are slices of
    it, its output raveled into the result): one `check_grads` call checks every case along
    random directions, compiling a few plans instead of several per case."""

    def fn(z):
        outputs, start = [], 0
        for p, args in cases:
            parts = []
            for a in args:
                parts.append(ad.reshape(z[start : start + a.size], a.shape))
                start += a.size
            outputs.append(ad.reshape(_joined(p.fn(*parts)), (-1,)))
        return ad.concatenate(outputs)

    return fn


def run_ports(ports: Sequence[Port]) -> None:
    """Each case's value against NumPy's, then its derivatives against finite differences in
    reverse (`check_grads`) and forward (`check_jvps`) mode: all the cases of one order
    together; on a failure, case by case to name the one that fails."""
    built = []
    for k, p in enumerate(ports):
        if p.check is not None:
            p.check()
            continue
        assert p.ref is not None
        args = [np.array(a, dtype=np.float64) for a in p.args]
        variables = [ad.Variable(a, name=f"arg{i}") for i, a in enumerate(args)]
        out = _joined(p.fn(*variables))
        assert isinstance(out, ad.Node), f"{p.source}[{k}]: built {type(out).__name__}"
        built.append((k, p, args, out))
    values = ad.eval([out for _, _, _, out in built]) if built else []
    for (k, p, args, _), value in zip(built, values, strict=True):
        assert p.ref is not None
        expected = _joined_ref(p.ref(*[a.copy() for a in args]))
        value = np.asarray(value)
        where = f"{p.source}[{k}] on shapes {[a.shape for a in args]}"
        assert value.shape == expected.shape, f"{where}: shape {value.shape} != {expected.shape}"
        if value.dtype == bool or expected.dtype == bool:
            np.testing.assert_array_equal(value, expected, err_msg=where)
        else:
            np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12, err_msg=where)
    for order in sorted({p.order for _, p, _, _ in built if p.order}):
        cases = [
            (k, p, args)
            for k, p, args, out in built
            if p.order == order and args and np.issubdtype(out.dtype, np.floating)
        ]
        if not cases:
            continue
        flat = np.concatenate([np.ravel(a) for _, _, args in cases for a in args])
        packed = _packed([(p, args) for _, p, args in cases])
        try:
            ad.check_grads(packed, [flat], order=order)
            check_jvps(packed, [flat], order=order)
        except ad.GradientError:
            for k, p, args in cases:
                try:
                    ad.check_grads(_bind(_joined_fn, p.fn), args, order=order)
                    check_jvps(_bind(_joined_fn, p.fn), args, order=order)
                except ad.GradientError as e:
                    shapes = [a.shape for a in args]
                    raise ad.GradientError(f"{p.source}[{k}] on shapes {shapes}: {e}") from e
            raise


def check_jvps(f, args, order=2, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0) -> None:
    """Forward mode, as autograd's `check_grads(modes=["fwd"])`: the k-th derivative of `f`
    along a random direction (`ad.jvp`, k times) against a central difference of the
    (k-1)-th, every output element, for k up to `order`. Raises `GradientError`."""
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in args]
    variables = [ad.Variable(a, name=f"arg{i}") for i, a in enumerate(arrays)]
    directions = [rng.normal(size=a.shape) for a in arrays]
    y = f(*variables)
    for k in range(1, order + 1):
        d = functools.reduce(
            operator.add, [ad.jvp(y, x, u) for x, u in zip(variables, directions, strict=True)]
        )
        analytic = np.asarray(ad.eval(d))
        up, down = (
            np.asarray(
                ad.eval(
                    y,
                    feed={
                        x: a + s * u for x, a, u in zip(variables, arrays, directions, strict=True)
                    },
                )
            )
            for s in (eps, -eps)
        )
        numeric = (up - down) / (2 * eps)
        error = np.abs(analytic - numeric)
        if np.any(error > atol + rtol * np.abs(numeric)):
            raise ad.GradientError(
                f"forward mode, order {k}: max abs error {error.max():.3g} "
                f"(analytic {analytic.ravel()[error.argmax()]:.10g}, "
                f"numeric {numeric.ravel()[error.argmax()]:.10g})"
            )
        y = d


def _joined_fn(*xs_and_fn):
    *xs, fn = xs_and_fn
    return _joined(fn(*xs))


# ---------------------------------------------------------------------------------------------
# inputs, drawn as the sources draw them (normal, or uniform on `lims`)

_RNG = np.random.default_rng(0)


def R(*shape: int) -> np.ndarray:
    """npr.randn(*shape)."""
    return _RNG.normal(size=shape)


def _uniform(lims: Sequence[float], *shape: int) -> np.ndarray:
    """numpy_utils.transform(lims, npr.rand(*shape))."""
    return _RNG.uniform(size=shape) * (lims[1] - lims[0]) + lims[0]


def _combos(source, fn, ref, arg_lists, order=2, needs=(), unsupported=None, **kwarg_lists):
    """combo_check: one Port per element of the product of the argument and keyword lists;
    `fn(*nodes, **kwargs)` and `ref(*arrays, **kwargs)`."""
    names = list(kwarg_lists)
    ports = []
    for args in itertools.product(*arg_lists):
        for values in itertools.product(*(kwarg_lists[n] for n in names)):
            kw = dict(zip(names, values, strict=True))
            ports.append(
                Port(
                    source,
                    _bind(fn, **kw),
                    _bind(ref, **kw),
                    args,
                    order=order,
                    needs=needs,
                    unsupported=unsupported,
                )
            )
    return ports


def _array(nested):
    """np.array([...]) of Nodes and numbers: stacked level by level."""
    if isinstance(nested, (list, tuple)):
        return ad.stack([_array(item) for item in nested])
    return nested


COMPLEX = "complex numbers (no complex dtypes in autodiff)"

# ---------------------------------------------------------------------------------------------
# tests/test_systematic.py

SYS = "test_systematic.py::"
SYSTEMATIC: list[Port] = []


def _stat_check(name, fn, ref, order=2, needs=()):
    """numpy_utils.stat_check: scalars, then (3,), (2, 3), (1, 3) over axis and keepdims;
    the complex half is a skip."""
    x, a = np.array(3.5), R()
    b, c, d = R(3), R(2, 3), R(1, 3)
    src = SYS + f"test_{name}"
    SYSTEMATIC.extend(_combos(src, fn, ref, [[x, a]], order, needs))
    axis_kw = dict(axis=[None, 0], keepdims=[True, False])
    SYSTEMATIC.extend(_combos(src, fn, ref, [[b, c, d]], order, needs, **axis_kw))
    axis_kw = dict(axis=[None, 0, 1], keepdims=[True, False])
    SYSTEMATIC.extend(_combos(src, fn, ref, [[c, d]], order, needs, **axis_kw))
    # complex: [x, c, A] (one complex scalar) and [B, C, D, E] with E complex (2 x 2 kwargs)
    SYSTEMATIC.extend(Port(src, fn, ref, unsupported=COMPLEX) for _ in range(5))


_stat_check("max", ad.max, np.max)
_stat_check("all", ad.all, np.all, order=0)
_stat_check("any", ad.any, np.any, order=0)
_stat_check("mean", ad.mean, np.mean)
_stat_check("min", ad.min, np.min)
_stat_check("sum", ad.sum, np.sum)
_stat_check("prod", ad.prod, np.prod)
_stat_check("var", ad.var, np.var)
_stat_check("std", ad.std, np.std)


def _unary(name, fn, ref, lims=(-2.0, 2.0), test_complex=True, needs=(), unsupported=None):
    """numpy_utils.unary_ufunc_check: a scalar, (2,), (3, 2) and (1, 2) drawn on `lims`."""
    src = SYS + f"test_{name}"
    args = [
        np.array(0.4 * (lims[1] - lims[0]) + lims[0]),
        _uniform(lims, 2),
        _uniform(lims, 3, 2),
        _uniform(lims, 1, 2),
    ]
    SYSTEMATIC.extend(_combos(src, fn, ref, [args], 2, needs, unsupported))
    if test_complex:
        SYSTEMATIC.extend(Port(src, fn, ref, unsupported=COMPLEX) for _ in range(2))


def _ad(name):
    """ad.<name>, looked up when the row runs (it may land later)."""
    return lambda *xs, **kw: getattr(ad, name)(*xs, **kw)


def _named(name, lims=(-2.0, 2.0), test_complex=True, pending=False, scale=1.0):
    ref = getattr(np, name)
    _unary(
        name,
        (lambda x: _ad(name)(x) / scale) if scale != 1.0 else _ad(name),
        (lambda x: ref(x) / scale) if scale != 1.0 else ref,
        lims,
        test_complex,
        needs=(name,) if pending else (),
    )


_named("sin")
_named("abs", lims=(0.1, 4.0))
_named("absolute", lims=(0.1, 4.0))
_named("arccosh", lims=(1.1, 4.0), pending=True)
_named("arcsinh", lims=(-0.9, 0.9), pending=True)
_named("arctanh", lims=(-0.9, 0.9), pending=True)
_named("ceil", lims=(-1.5, 1.5), test_complex=False, pending=True)
_named("cos")
_named("cosh", pending=True)
_named("deg2rad", test_complex=False, pending=True)
_named("degrees", test_complex=False, pending=True, scale=50.0)
_named("exp")
_named("exp2", pending=True)
_named("expm1")
_unary("fabs", None, np.fabs, test_complex=False, unsupported="np.fabs (no one adds it)")
_named("floor", lims=(-1.5, 1.5), test_complex=False, pending=True)
_named("log", lims=(0.2, 2.0))
_named("log10", lims=(0.2, 2.0), pending=True)
_named("log1p", lims=(0.2, 2.0))
_named("log2", lims=(0.2, 2.0), pending=True)
_named("rad2deg", test_complex=False, pending=True, scale=50.0)
_named("radians", test_complex=False, pending=True)
_named("sign")
_named("sinh", pending=True)
_named("sqrt", lims=(1.0, 3.0))
_named("square", test_complex=False)
_named("tan", lims=(-1.1, 1.1), pending=True)
_named("tanh")
for _name in ("real", "real_if_close", "imag", "conj", "angle"):
    _unary(_name, None, getattr(np, _name), unsupported=f"np.{_name}: {COMPLEX}")


def _binary(
    name,
    fn,
    ref,
    lims_a=(-2.0, 2.0),
    lims_b=(-2.0, 2.0),
    test_complex=True,
    needs=(),
    same_args=True,
    unsupported=None,
):
    """numpy_utils.binary_ufunc_check(_no_same_args): a scalar, (2,), (3, 2), (1, 2) for
    each argument (the same draws for both unless `same_args` is False)."""
    src = SYS + f"test_{name}"
    if same_args:
        base = [np.array(0.6), _RNG.uniform(size=2), _RNG.uniform(size=(3, 2))]
        base.append(_RNG.uniform(size=(1, 2)))
        base_a = base_b = base
    else:
        base_a = [np.array(0.6), _RNG.uniform(size=2), _RNG.uniform(size=(3, 2))]
        base_a.append(_RNG.uniform(size=(1, 2)))
        base_b = [np.array(0.7), _RNG.uniform(size=2), _RNG.uniform(size=(3, 2))]
        base_b.append(_RNG.uniform(size=(1, 2)))
    a = [v * (lims_a[1] - lims_a[0]) + lims_a[0] for v in base_a]
    b = [v * (lims_b[1] - lims_b[0]) + lims_b[0] for v in base_b]
    SYSTEMATIC.extend(_combos(src, fn, ref, [a, b], 2, needs, unsupported))
    if test_complex:  # the 5 x 5 grid with a complex scalar and a complex (3, 2): 16 combos
        SYSTEMATIC.extend(Port(src, fn, ref, unsupported=COMPLEX) for _ in range(16))


_binary("add", ad.add, np.add)
_binary("logaddexp", _ad("logaddexp"), np.logaddexp, test_complex=False, needs=("logaddexp",))
_binary("logaddexp2", _ad("logaddexp2"), np.logaddexp2, test_complex=False, needs=("logaddexp2",))
_binary(
    "remainder",
    _ad("remainder"),
    np.remainder,
    (-0.9, 0.9),
    (0.7, 1.9),
    False,
    ("remainder",),
    same_args=False,
)
_binary("true_divide", ad.divide, np.true_divide, lims_b=(0.8, 1.2), test_complex=False)
_binary(
    "mod",
    _ad("mod"),
    np.mod,
    lims_b=(0.8, 2.1),
    test_complex=False,
    needs=("mod",),
    same_args=False,
)
_binary("true_divide_neg", ad.divide, np.true_divide, lims_b=(-0.3, -2.0), test_complex=False)
_binary(
    "mod_neg",
    _ad("mod"),
    np.mod,
    lims_b=(-0.3, -2.0),
    test_complex=False,
    needs=("mod",),
    same_args=False,
)
_binary("op_mul", operator.mul, operator.mul)
_binary("op_add", operator.add, operator.add)
_binary("op_sub", operator.sub, operator.sub)
_binary(
    "op_mod",
    operator.mod,
    operator.mod,
    lims_b=(0.3, 2.0),
    test_complex=False,
    needs=("Node.__mod__",),
    same_args=False,
)
_binary(
    "op_mod_neg",
    operator.mod,
    operator.mod,
    lims_b=(-0.3, -2.0),
    test_complex=False,
    needs=("Node.__mod__",),
    same_args=False,
)


def _sys(name, fn, ref, arg_lists, needs=(), unsupported=None, **kwarg_lists):
    SYSTEMATIC.extend(
        _combos(SYS + f"test_{name}", fn, ref, arg_lists, 2, needs, unsupported, **kwarg_lists)
    )


_sys(
    "transpose",
    ad.transpose,
    np.transpose,
    [[R(2, 3, 4)]],
    axes=[None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]],
)
_sys(
    "repeat",
    _ad("repeat"),
    np.repeat,
    [[R(2, 3, 4), R(3, 1)]],
    needs=("repeat",),
    repeats=[0, 1, 2],
    axis=[None, 0, 1],
)
_sys("diff", ad.diff, np.diff, [[R(5, 5), R(5, 5, 5)]], n=[1, 2], axis=[0, 1])
_sys("diff", ad.diff, np.diff, [[R(1), R(1, 1)]], axis=[0])
_sys("diff", ad.diff, np.diff, [[R(1, 1), R(3, 1)]], axis=[1])
_sys("tile", _ad("tile"), np.tile, [[R(2, 1, 3, 1)]], needs=("tile",), reps=[(1, 4, 1, 2)])
_sys("tile", _ad("tile"), np.tile, [[R(1, 2)]], needs=("tile",), reps=[(1, 2), (2, 3), (3, 2, 1)])
_sys("tile", _ad("tile"), np.tile, [[R(1)]], needs=("tile",), reps=[(2,), 2])
_sys("kron", _ad("kron"), np.kron, [[R(5, 5), R(4, 4)], [R(3, 3), R(2, 2)]], needs=("kron",))
_sys("inner", ad.inner, np.inner, [[np.array(1.5), R(3), R(2, 3)], [np.array(0.3), R(3), R(4, 3)]])
_sys(
    "dot",
    ad.dot,
    np.dot,
    [[np.array(1.5), R(3), R(2, 3), R(2, 2, 3)], [np.array(0.3), R(3), R(3, 4), R(2, 3, 4)]],
)
_sys("matmul", ad.matmul, np.matmul, [[R(3), R(2, 3), R(2, 2, 3)], [R(3), R(3, 4), R(2, 3, 4)]])
_sys(
    "tensordot_1",
    ad.tensordot,
    np.tensordot,
    [[R(1, 3), R(2, 3, 2)], [R(3), R(3, 1), R(3, 4, 2)]],
    axes=[[(1,), (0,)]],
)
_sys(
    "tensordot_2",
    ad.tensordot,
    np.tensordot,
    [[R(3), R(3, 1), R(3, 4, 2)], [R(1, 3), R(2, 3, 2)]],
    axes=[[(0,), (1,)]],
)
_sys(
    "tensordot_3",
    ad.tensordot,
    np.tensordot,
    [[R(2, 3), R(2, 3, 4)], [R(1, 2, 3), R(2, 2, 3, 4)]],
    axes=[[(0, 1), (1, 2)], [(1, 0), (2, 1)]],
)
_sys(
    "tensordot_4",
    ad.tensordot,
    np.tensordot,
    [[R(2, 2), R(4, 2, 2)], [R(2, 2), R(2, 2, 4)]],
    axes=[1, 2],
)
_sys("tensordot_5", ad.tensordot, np.tensordot, [[R(4)], [R()]], axes=[0])
_sys("tensordot_6", ad.tensordot, np.tensordot, [[R(2, 6)], [R(6, 3)]], axes=[[[-1], [0]]])
_MAXMIN_ARGS = [[R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)]]
_sys("maximum", ad.maximum, np.maximum, _MAXMIN_ARGS)
_sys("fmax", None, np.fmax, _MAXMIN_ARGS, unsupported="np.fmax (no one adds it)")
_sys("minimum", ad.minimum, np.minimum, _MAXMIN_ARGS)
_sys("fmin", None, np.fmin, _MAXMIN_ARGS, unsupported="np.fmin (no one adds it)")
_sys("sort", ad.sort, np.sort, [[R(1), R(7)]])
# np.msort (removed in NumPy 2) is sort along axis 0
_sys("msort", lambda x: ad.sort(x, axis=0), lambda x: np.sort(x, axis=0), [[R(1), R(7)]])
_sys(
    "partition",
    None,
    np.partition,
    [[R(7), R(14)]],
    unsupported="np.partition (no one adds it)",
    kth=[0, 3, 6],
)
_ATLEAST = [np.array(1.2), R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)]
_sys("atleast_1d", _ad("atleast_1d"), np.atleast_1d, [_ATLEAST], needs=("atleast_1d",))
_sys("atleast_2d", _ad("atleast_2d"), np.atleast_2d, [_ATLEAST], needs=("atleast_2d",))
_sys(
    "atleast_3d",
    _ad("atleast_3d"),
    np.atleast_3d,
    [[*_ATLEAST, R(2, 4, 3, 5)]],
    needs=("atleast_3d",),
)


def _einsum(name, equations, arg_lists):
    for eq in equations:
        _sys(
            name,
            functools.partial(ad.einsum, eq),
            functools.partial(np.einsum, eq),
            arg_lists,
        )


_einsum("einsum_transpose", ["ij->ji"], [[R(1, 1), R(4, 4), R(3, 4)]])
_einsum("einsum_matmult", ["ij,jk->ik"], [[R(2, 3)], [R(3, 4)]])
_einsum(
    "einsum_matmult_broadcast",
    ["...ij,...jk->...ik"],
    [[R(2, 3), R(2, 2, 3)], [R(3, 4), R(2, 3, 4)]],
)
_einsum("einsum_covsum", ["ijk,lji->lki"], [[R(3, 4, 4)], [R(4, 4, 3)]])
_einsum(
    "einsum_ellipses",
    ["...jk,...lj->...lk", "...,...->..."],
    [[R(4, 4), R(3, 4, 4)], [R(4, 4), R(3, 4, 4)]],
)
_einsum(
    "einsum_ellipses_tail", ["jk...,lj...->lk..."], [[R(3, 2), R(3, 2, 4)], [R(2, 3), R(2, 3, 4)]]
)
_einsum(
    "einsum_ellipses_center", ["j...k,lj...->lk..."], [[R(2, 2), R(2, 2, 2)], [R(2, 2), R(2, 2, 2)]]
)
_einsum("einsum_three_args", ["ijk,lji,lli->lki"], [[R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)]])
# (the source's test_einsum2_* cases, in np.einsum's sublist form, are ported in
# tests/test_audit_found.py)

_sys("trace", ad.trace, np.trace, [[R(5, 5), R(4, 5), R(5, 4), R(3, 4, 5)]], offset=[-1, 0, 1])
_sys("diag", _ad("diag"), np.diag, [[R(5, 5)]], needs=("diag",), k=[-1, 0, 1])
_sys("diag_flat", _ad("diag"), np.diag, [[R(5)]], needs=("diag",), k=[-1, 0, 1])
_sys("tril", _ad("tril"), np.tril, [[R(5, 5)]], needs=("tril",), k=[-1, 0, 1])
# (the source's test_triu and test_triu_3d call np.tril: ported as the triu they name)
_sys("triu", _ad("triu"), np.triu, [[R(5, 5)]], needs=("triu",), k=[-1, 0, 1])
_sys("tril_3d", _ad("tril"), np.tril, [[R(5, 5, 4)]], needs=("tril",), k=[-1, 0, 1])
_sys("triu_3d", _ad("triu"), np.triu, [[R(5, 5, 4)]], needs=("triu",), k=[-1, 0, 1])
_sys(
    "swapaxes",
    _ad("swapaxes"),
    np.swapaxes,
    [[R(3, 4, 5)]],
    needs=("swapaxes",),
    axis1=[0, 1, 2],
    axis2=[0, 1, 2],
)
_sys(
    "rollaxis",
    None,
    np.rollaxis,
    [[R(2, 3, 4)]],
    unsupported="np.rollaxis (superseded by moveaxis; no one adds it)",
    axis=[0, 1, 2],
    start=[0, 1, 2, 3],
)
# test_cross: 3 x 3 x 3 x 4 = 108 combos; `axis` overrides axisa/axisb/axisc, so the 81 with
# an axis are 3 distinct cases: 27 + 3 rows
_sys(
    "cross",
    _ad("cross"),
    np.cross,
    [[R(3, 3)], [R(3, 3)]],
    needs=("cross",),
    axisa=[-1, 0, 1],
    axisb=[-1, 0, 1],
    axisc=[-1, 0, 1],
)
_sys("cross", _ad("cross"), np.cross, [[R(3, 3)], [R(3, 3)]], needs=("cross",), axis=[-1, 0, 1])
for _name in ("vsplit_2d", "vsplit_3d", "hsplit_2d", "hsplit_3d", "dsplit_3d"):
    SYSTEMATIC.extend(  # two sections arguments each: an int and [1, 2]
        Port(
            SYS + f"test_{_name}",
            None,
            None,
            unsupported=f"np.{_name[:6]} (no one adds it; split(axis=) and array_split exist)",
        )
        for _ in range(2)
    )


def _split(name, fn, ref, x_list, sections, axes, needs=()):
    for x, s, axis in itertools.product(x_list, sections, axes):
        SYSTEMATIC.append(
            Port(
                SYS + f"test_{name}",
                _bind(fn, s, axis=axis),
                _bind(ref, s, axis=axis),
                [x],
                needs=needs,
            )
        )


_split("split_1d", ad.split, np.split, [R(1), R(7)], [1], [0])
_split("split_2d", ad.split, np.split, [R(4, 8)], [4, [1, 2]], [0, 1])
_split("split_3d", ad.split, np.split, [R(4, 4, 4)], [2, [1, 2]], [0, 1, 2])
_split(
    "array_split_1d",
    _ad("array_split"),
    np.array_split,
    [R(1), R(7)],
    [1, 3],
    [0],
    needs=("array_split",),
)
_split(
    "array_split_2d",
    _ad("array_split"),
    np.array_split,
    [R(7, 7)],
    [4, [3, 5]],
    [0, 1],
    needs=("array_split",),
)
_split(
    "array_split_3d",
    _ad("array_split"),
    np.array_split,
    [R(7, 7, 7)],
    [4, [3, 5]],
    [0, 1, 2],
    needs=("array_split",),
)


def _listed(fn, **kw):
    """fn taking its arrays as one list: fn([*xs], **kw)."""
    return lambda *xs: fn(list(xs), **kw)


def _joining(name, fn, ref, groups, needs=(), **kwarg_lists):
    """combo_check over one argument that is an array or a tuple of arrays (all
    differentiated)."""
    names = list(kwarg_lists)
    for group in groups:
        for values in itertools.product(*(kwarg_lists[n] for n in names)):
            kw = dict(zip(names, values, strict=True))
            if isinstance(group, tuple):
                f = _listed(fn, **kw)
                r = _listed(ref, **kw)
                args = list(group)
            else:
                f = _bind(fn, **kw)
                r = _bind(ref, **kw)
                args = [group]
            # one array, not a tuple: NumPy iterates over it (its own row, to tell it apart)
            source = SYS + f"test_{name}" + ("" if isinstance(group, tuple) else "[one array]")
            SYSTEMATIC.append(Port(source, f, r, args, needs=needs))


_joining("concatenate_1ist", ad.concatenate, np.concatenate, [(R(1), R(3))], axis=[0])
_joining("concatenate_tuple", ad.concatenate, np.concatenate, [(R(1), R(3))], axis=[0])
_joining("concatenate_2d", ad.concatenate, np.concatenate, [(R(2, 2), R(2, 2))], axis=[0, 1])
_joining(
    "concatenate_3d", ad.concatenate, np.concatenate, [(R(2, 2, 2), R(2, 2, 2))], axis=[0, 1, 2]
)
for _fname, _cases in [
    (
        "vstack",
        {
            "1d": [R(2), (R(2), R(2))],
            "2d": [R(2, 3), (R(2, 4), R(1, 4))],
            "3d": [R(2, 3, 4), (R(2, 3, 4), R(5, 3, 4))],
        },
    ),
    (
        "hstack",
        {
            "1d": [R(2), (R(2), R(2))],
            "2d": [R(3, 2), (R(3, 4), R(3, 5))],
            "3d": [R(2, 3, 4), (R(2, 1, 4), R(2, 5, 4))],
        },
    ),
    ("column_stack", {"1d": [R(2), (R(2), R(2))], "2d": [R(2, 2), (R(2, 2), R(2, 2))]}),
]:
    for _dim, _groups in _cases.items():
        _joining(f"{_fname}_{_dim}", _ad(_fname), getattr(np, _fname), _groups, needs=(_fname,))
# np.row_stack (removed in NumPy 2) is vstack
_joining("row_stack_1d", _ad("vstack"), np.vstack, [R(2), (R(2), R(2))], needs=("vstack",))
_joining("row_stack_2d", _ad("vstack"), np.vstack, [R(2, 3), (R(2, 4), R(1, 4))], needs=("vstack",))
_joining("stack_1d", ad.stack, np.stack, [(R(2),), (R(2), R(2))], axis=[0, 1])
SYSTEMATIC.extend(
    Port(SYS + "test_select", None, None, unsupported="np.select (no one adds it; where covers it)")
    for _ in range(2)
)

# ---------------------------------------------------------------------------------------------
# tests/test_numpy.py (its checks are check_grads(fun)(args): to order 2)

NUM = "test_numpy.py::"
NUMPY: list[Port] = []
_RS = np.random.RandomState(42)  # the source draws its trace offsets from RandomState(42)


def _num(name, fn, ref, *args, needs=(), unsupported=None, order=2, check=None):
    NUMPY.append(Port(NUM + f"test_{name}", fn, ref, args, order, needs, unsupported, check))


_mat1, _mat2, _v1, _v2, _v3 = R(10, 11), R(10, 11), R(10), R(11), R(11)
for _a, _b in [(_mat1, _v2), (_mat1, _mat2.T), (_v1, _mat1), (_v2, _v3)]:
    _num("dot", ad.dot, np.dot, _a, _b)
_f1 = np.array(R())
for _a, _b in [(_mat1, _f1), (_f1, _mat1), (_v1, _f1), (_f1, _v1)]:
    _num("dot_with_floats", ad.dot, np.dot, _a, _b)
for _a, _b in [(_v2, _v3), (_v2.T, _v3), (_v2.T, _v3.T)]:
    _num("outer", ad.outer, np.outer, _a, _b)
for _name in ("max", "min"):
    _num(_name, getattr(ad, _name), getattr(np, _name), R(10, 11))
    _num(
        f"{_name}_axis",
        (lambda n: lambda x: getattr(ad, n)(x, axis=1))(_name),
        (lambda n: lambda x: getattr(np, n)(x, axis=1))(_name),
        R(3, 4, 5),
    )
    _num(
        f"{_name}_axis_keepdims",
        (lambda n: lambda x: getattr(ad, n)(x, axis=1, keepdims=True))(_name),
        (lambda n: lambda x: getattr(np, n)(x, axis=1, keepdims=True))(_name),
        R(3, 4, 5),
    )
_num("sum_1", ad.sum, np.sum, R(10, 11))
_num("sum_2", lambda x: ad.sum(x, axis=0), lambda x: np.sum(x, axis=0), R(10, 11))
_num(
    "sum_3",
    lambda x: ad.sum(x, axis=0, keepdims=True),
    lambda x: np.sum(x, axis=0, keepdims=True),
    R(10, 11),
)
_num(
    "sum_with_axis_tuple",
    lambda x: ad.sum(x, axis=(1, 2)),
    lambda x: np.sum(x, axis=(1, 2)),
    R(10, 11, 7),
)
_num("flipud", _ad("flipud"), np.flipud, R(10, 11), needs=("flipud",))
_num("fliplr", _ad("fliplr"), np.fliplr, R(10, 11), needs=("fliplr",))
_num("rot90", None, np.rot90, R(10, 11), unsupported="np.rot90 (no one adds it)")
_num("cumsum_axis0", lambda x: ad.cumsum(x, axis=0), lambda x: np.cumsum(x, axis=0), R(10, 11))
_num("cumsum_axis1", lambda x: ad.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), R(10, 11))
_num("cumsum_1d", ad.cumsum, np.cumsum, R(10))
_num("cumsum_no_axis", ad.cumsum, np.cumsum, R(10, 11))
_num("non_numpy_sum", lambda x, y: sum([x, y]), lambda x, y: sum([x, y]), R(10, 11), R(10, 11))
_num("mean_1", ad.mean, np.mean, R(10, 11))
_num("mean_2", lambda x: ad.mean(x, axis=0), lambda x: np.mean(x, axis=0), R(10, 11))
_num(
    "mean_3",
    lambda x: ad.mean(x, axis=0, keepdims=True),
    lambda x: np.mean(x, axis=0, keepdims=True),
    R(10, 11),
)


def _list_of_boxes(name, expected):
    """np.<name>([x, x + 2]) and of a tuple, through NumPy dispatch: grad at 0 is `expected`."""

    def check():
        x = ad.Variable(np.array(0.0))
        for seq in ([x, x + 2], (x, x + 2)):
            assert float(ad.grad(getattr(np, name)(seq), x)()) == expected

    NUMPY.append(
        Port(
            NUM + f"test_{name}_list_of_boxes",
            None,
            None,
            needs=("np-dispatch",),
            check=check,
            known=_LIST_OF_NODES,
        )
    )


_LIST_OF_NODES = (
    "np.mean/std/var/sum of a list of Nodes evaluate them to a float64 (NumPy converts the "
    "list with np.asarray) instead of building a Node: no gradient"
)


_list_of_boxes("mean", 1.0)
_list_of_boxes("std", 0.0)
_list_of_boxes("var", 0.0)
_A564 = R(5, 6, 4)
_num("index_ints", lambda x: x[3, 0, 1], lambda x: x[3, 0, 1], _A564)
_num("index_slice", lambda x: x[::-1, 2:4, :], lambda x: x[::-1, 2:4, :], _A564)
_num("index_lists", lambda x: x[[0, 1, 2], :, :], lambda x: x[[0, 1, 2], :, :], _A564)
_num("index_mixed", lambda x: x[3, 2:, [1, 3]], lambda x: x[3, 2:, [1, 3]], _A564)
_num("vector_slice", lambda x: x[2:4], lambda x: x[2:4], R(5))
_num(
    "index_slice_fanout",
    lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :],
    lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :],
    _A564,
)
_num("index_multiple_slices", lambda x: x[2:6][1:3], lambda x: x[2:6][1:3], R(7))
_num("reshape_method", lambda x: x.reshape((5 * 4, 6)), lambda x: x.reshape((5 * 4, 6)), _A564)
_num(
    "reshape_call", lambda x: ad.reshape(x, (5 * 4, 6)), lambda x: np.reshape(x, (5 * 4, 6)), _A564
)
_num("reshape_method_nolist", lambda x: x.reshape(5 * 4, 6), lambda x: x.reshape(5 * 4, 6), _A564)
_num("ravel_method", lambda x: x.ravel(), lambda x: x.ravel(), _A564, needs=("Node.ravel",))
_num("ravel_call", ad.ravel, np.ravel, _A564)
_num("flatten_method", lambda x: x.flatten(), lambda x: x.flatten(), _A564, needs=("Node.flatten",))
for _name in ("simple_append_list", "simple_append_arr", "simple_append_list_2D"):
    _num(_name, None, None, unsupported="np.append (no one adds it; concatenate covers it)")
_A, _B = R(5, 6, 4), R(4, 6, 4)
_num("simple_concatenate", lambda x: ad.concatenate((_A, x)), lambda x: np.concatenate((_A, x)), _B)
_A, _B = R(5, 6, 4), R(5, 6, 4)
_num(
    "concatenate_axis_0",
    lambda x: ad.concatenate((_B, x, _B)),
    lambda x: np.concatenate((_B, x, _B)),
    _A,
)
_num(
    "concatenate_axis_1",
    lambda x: ad.concatenate((_B, x, _B), axis=1),
    lambda x: np.concatenate((_B, x, _B), axis=1),
    _A,
)
_num(
    "concatenate_axis_1_unnamed",
    lambda x: ad.concatenate((_B, x, _B), 1),
    lambda x: np.concatenate((_B, x, _B), 1),
    _A,
)
for _name, _shape, _lo, _hi in [
    ("trace", (10, 11), -9, 11),
    ("trace2", (11, 10), -9, 11),
    ("trace_extradims", (5, 6, 4, 3), -5, 6),
]:
    _off = int(_RS.randint(_lo, _hi))
    _num(
        _name,
        (lambda o: lambda x: ad.trace(x, offset=o))(_off),
        (lambda o: lambda x: np.trace(x, offset=o))(_off),
        R(*_shape),
    )
_num("diag", _ad("diag"), np.diag, R(10, 10), needs=("diag",))
_num("transpose", lambda x: x.T, lambda x: x.T, R(8, 8))
_num(
    "roll",
    lambda x: ad.roll(x, 2, axis=1),
    lambda x: np.roll(x, 2, axis=1),
    R(4, 5),
    needs=("roll",),
)
_num(
    "roll_no_axis",
    lambda x: ad.roll(x, 2, axis=1),
    lambda x: np.roll(x, 2, axis=1),
    R(4, 5),
    needs=("roll",),
)
_num("triu", lambda x: ad.triu(x, k=2), lambda x: np.triu(x, k=2), R(5, 5), needs=("triu",))
_num("tril", lambda x: ad.tril(x, k=2), lambda x: np.tril(x, k=2), R(5, 5), needs=("tril",))
_num(
    "clip",
    lambda x: ad.clip(x, a_min=0.1, a_max=1.1),
    lambda x: np.clip(x, a_min=0.1, a_max=1.1),
    R(5, 5),
)
_num("prod_1", ad.prod, np.prod, R(2, 3) ** 2 / 10.0 + 0.1)
_num("prod_2", lambda x: ad.prod(x, axis=0), lambda x: np.prod(x, axis=0), R(2, 3) ** 2 + 0.1)
_num(
    "prod_3",
    lambda x: ad.prod(x, axis=0, keepdims=True),
    lambda x: np.prod(x, axis=0, keepdims=True),
    R(2, 3) ** 2 + 0.1,
)
_num("prod_4", ad.prod, np.prod, R(7) ** 2 + 0.1)
# np.array([...]) of Nodes: built with ad.stack, level by level
_num(
    "1d_array",
    lambda x: _array([x, x * 1.0, x + 2.5]),
    lambda x: np.array([x, x * 1.0, x + 2.5]),
    3.0,
)
_num(
    "2d_array",
    lambda x: _array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]]),
    lambda x: np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]]),
    3.0,
)
_num(
    "1d_array_fanout",
    lambda x: (lambda a: a + a)(_array([x, x * 1.0, x + 2.5])),
    lambda x: (lambda a: a + a)(np.array([x, x * 1.0, x + 2.5])),
    3.0,
)
_num(
    "2d_array_fanout",
    lambda x: (lambda a: a + a)(_array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])),
    lambda x: (lambda a: a + a)(np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])),
    3.0,
)
_num("array_from_scalar", lambda x: x, np.array, 3.0)
_num("array_from_arrays", lambda x: _array([x, x]), lambda x: np.array([x, x]), R(3, 2))
_num(
    "array_from_arrays_2",
    lambda x: _array([[2 * x, x + 1], [x, x]]),
    lambda x: np.array([[2 * x, x + 1], [x, x]]),
    R(3, 2),
)


def _attributes_check():
    x = ad.Variable(3.0)
    assert (x.shape, x.ndim, x.size, x.dtype) == ((), 0, 1, np.float64)
    assert float(ad.grad(x**2, x)()) == 6.0


_num("scalar_array_box_attributes", None, None, check=_attributes_check)


def _len_fn(x):
    assert len(x) == 3
    return x


_num("len", _len_fn, lambda x: x, R(3, 2))
_NP_R = "np.r_ / np.c_ index tricks (no one adds them; concatenate covers them)"
for _name in (
    "r_basic",
    "r_double",
    "r_no_relation",
    "r_node_and_const",
    "r_mixed",
    "r_slicing",
    "c_",
    "c_mixed",
):
    _num(_name, None, None, unsupported=_NP_R)
_C32 = R(3, 2)
_num("no_relation", lambda x: ad.Constant(_C32), lambda x: _C32, R(3, 2))


def _ddof(name):
    b, c, d = R(3), R(3, 4), R(1, 3)
    fn, ref = getattr(ad, name), getattr(np, name)
    NUMPY.extend(
        _combos(
            NUM + f"test_{name}_ddof",
            fn,
            ref,
            [[b, c, d]],
            axis=[None],
            keepdims=[True, False],
            ddof=[0, 1],
        )
    )
    NUMPY.extend(
        _combos(
            NUM + f"test_{name}_ddof",
            fn,
            ref,
            [[c, d]],
            axis=[None, 1],
            keepdims=[True, False],
            ddof=[2],
        )
    )


_ddof("var")
_ddof("std")
_C45 = R(4, 5) > 0
_num(
    "where", lambda x, y: ad.where(_C45, x, y), lambda x, y: np.where(_C45, x, y), R(4, 5), R(4, 5)
)
_A514 = R(5, 1, 4)
_num("squeeze_func", ad.squeeze, np.squeeze, _A514)
_num("squeeze_method", lambda x: x.squeeze(), lambda x: x.squeeze(), _A514, needs=("Node.squeeze",))
for _name, _shape, _rep, _axis in [
    ("repeat", (5, 3, 4), 2, 1),
    ("repeat_axis1_rep1", (5, 3, 4), 1, 1),
    ("repeat_axis0", (5, 3), 2, 0),
    ("repeat_1d_axis0", (5,), 2, 0),
    ("repeat_axis0_rep1", (5, 1), 1, 0),
]:
    _num(
        _name,
        (lambda r, a: lambda x: ad.repeat(x, r, axis=a))(_rep, _axis),
        (lambda r, a: lambda x: np.repeat(x, r, axis=a))(_rep, _axis),
        R(*_shape),
        needs=("repeat",),
    )
_num("expand_dims", lambda x: ad.expand_dims(x, 2), lambda x: np.expand_dims(x, 2), _A514)
_num(
    "tensordot_kwargs_by_position",
    lambda x: ad.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2),
    lambda x: np.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2),
    1.0,
)
_num("multi_index", lambda x: ad.sum(x[[0, 0]]), lambda x: np.sum(x[[0, 0]]), R(3))
_num("multi_index2", lambda x: ad.sum(x[[0, 1, 0]]), lambda x: np.sum(x[[0, 1, 0]]), R(3))
_num("index_dot_slices", lambda x: ad.dot(x[:2], x[2:]), lambda x: np.dot(x[:2], x[2:]), R(4))


def _cast_to_int(w, take=ad.take, astype=ad.astype):
    """W[:, :-1][int64(W[:, -1])].sum(): indices computed from W itself (no gradient)."""
    return take(w[:, :-1], astype(w[:, -1], np.int64), axis=0).sum()


_num("cast_to_int", _cast_to_int, lambda w: w[:, :-1][w[:, -1].astype(np.int64)].sum(), R(5, 10))
for _ in range(2):
    _num("make_diagonal", None, None, unsupported="np.make_diagonal is autograd's own, not NumPy")
_num(
    "diagonal",
    lambda d: ad.diagonal(d, axis1=-1, axis2=-2),
    lambda d: np.diagonal(d, axis1=-1, axis2=-2),
    R(4, 4),
)
_num(
    "diagonal",
    lambda d: ad.diagonal(d, axis1=-1, axis2=-2),
    lambda d: np.diagonal(d, axis1=-1, axis2=-2),
    R(3, 4, 4),
)
_Y4 = np.array([0.0, np.nan, np.inf, -np.inf])
_num(
    "nan_to_num",
    lambda x: ad.sum(ad.sin(ad.nan_to_num(x + _Y4))),
    lambda x: np.sum(np.sin(np.nan_to_num(x + _Y4))),
    R(4),
    needs=("nan_to_num",),
)
# ties: the subgradient splits evenly, as finite differences see it
_num("max_equal_values", lambda x: ad.max(_array([x, x])), lambda x: np.max(np.array([x, x])), 1.0)
for _x in (1.0, -1.0):
    _num(
        "max_equal_values_2d",
        lambda x: ad.max(_array([[x, x], [x, 0.5]]), axis=1),
        lambda x: np.max(np.array([[x, x], [x, 0.5]]), axis=1),
        _x,
    )
for _x in (1.0, -1.0):
    _num(
        "min_3_way_equality",
        lambda x: ad.min(_array([[x, x, x], [x, 0.5, 0.5], [0.5, 0.5, 0.5], [x, x, 0.5]]), axis=0),
        lambda x: np.min(
            np.array([[x, x, x], [x, 0.5, 0.5], [0.5, 0.5, 0.5], [x, x, 0.5]]), axis=0
        ),
        _x,
    )
_num("maximum_equal_values", lambda x: ad.maximum(x, x), lambda x: np.maximum(x, x), 1.0)
for _x in (1.0, -1.0, 2.0):
    _num(
        "maximum_equal_values_2d",
        lambda x: ad.maximum(_array([x, x, 0.5]), _array([[x, 0.5, x], [x, x, 0.5]])),
        lambda x: np.maximum(np.array([x, x, 0.5]), np.array([[x, 0.5, x], [x, x, 0.5]])),
        _x,
    )
for _ in range(9):  # num in [0, 1, 5] x three (start, stop) pairs
    _num("linspace", None, None, unsupported="np.linspace of Nodes (no one adds it)")


def _astype_check():
    x = ad.Variable(np.arange(3, dtype="float32"))
    g = ad.grad(ad.sum(ad.sin(ad.astype(x, "float64"))), x)
    assert g.dtype == np.dtype("float32")
    np.testing.assert_allclose(g(), np.cos(np.arange(3.0)), rtol=1e-6)


_num("astype", None, None, check=_astype_check)
for _ in range(9):  # three shapes, then six axis arguments
    _num("gradient", None, None, unsupported="np.gradient (no one adds it)")


@pytest.mark.parametrize("port", params(SYSTEMATIC))
def test_systematic(port: list[Port]) -> None:
    run_ports(port)


@pytest.mark.parametrize("port", params(NUMPY))
def test_numpy(port: list[Port]) -> None:
    run_ports(port)
