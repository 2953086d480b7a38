"""Plans reuse memory (results written over dead inputs, buffers kept between calls, scatters
added in place, views): on random graphs their values are those of the ops' own evals run one
by one on fresh arrays, call after call, and what they return is never changed by a later call.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.node import Leaf, kernel_of, toposort


def reference(outputs):
    """Each node's eval on its inputs' values, in order, every value a fresh array."""
    values: dict[int, np.ndarray] = {}
    for node in toposort(outputs):
        if isinstance(node, Leaf):
            values[id(node)] = np.array(node.value)
        else:
            arrays = [np.array(values[id(x)]) for x in node.inputs]  # copies: nothing shared
            values[id(node)] = np.asarray(kernel_of(node)(*arrays))
    return [values[id(n)] for n in outputs]


def _ops(n):
    """Ops on (n,) and (n, n) nodes that keep or change their shapes, views among them."""
    return [
        ("neg", 1, lambda a: -a),
        ("tanh", 1, ad.tanh),
        ("square", 1, ad.square),
        ("reverse", 1, lambda a: a[::-1]),
        ("flip and subtract", 1, lambda a: a[::-1] - a),  # its gradient: -g + scatter(g)
        ("tail", 1, lambda a: ad.concatenate([a[1:], a[:1]])),
        ("T", 1, lambda a: a.T),
        ("rowsum", 1, lambda a: ad.sum(a, axis=-1, keepdims=True) * a),
        ("add", 2, lambda a, b: a + b),
        ("sub", 2, lambda a, b: a - b),
        ("mul", 2, lambda a, b: a * b),
        ("where", 2, lambda a, b: ad.where(a > b, a, b)),
        ("matmul", 2, lambda a, b: a @ b if a.ndim == 2 else a * ad.sum(b)),
    ]


@st.composite
def graphs(draw):
    n = draw(st.sampled_from([3, 96]))  # (96, 96) float64 arrays go to kept buffers
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    leaves = [
        ad.Variable(rng.standard_normal(n) * 0.5),
        ad.Variable(rng.standard_normal((n, n)) * 0.5),
    ]
    pool = list(leaves)
    ops = _ops(n)
    for _ in range(draw(st.integers(2, 10))):
        _, arity, fn = draw(st.sampled_from(ops))
        try:
            pool.append(fn(*[draw(st.sampled_from(pool)) for _ in range(arity)]))
        except (ValueError, IndexError, TypeError):
            pass
    wrt = draw(st.sampled_from(leaves))
    loss = ad.sum(ad.tanh(pool[-1]))
    outputs = [pool[-1], loss, ad.grad(loss, wrt)]
    if draw(st.booleans()):
        outputs.append(draw(st.sampled_from(pool)))  # an intermediate as an output too
    return outputs


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(graphs(), st.booleans())
def test_plans_give_the_ops_values_call_after_call(outputs, simplify):
    with np.errstate(all="ignore"):
        want = reference(outputs)
        plan = ad.function(outputs, inputs=[], simplify=simplify)
        first = plan()
        kept = [np.array(a) for a in first]
        second = plan()
    for got, again, copy, expected in zip(first, second, kept, want, strict=True):
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(got, copy)  # the second call changed no earlier result
        np.testing.assert_allclose(again, expected, rtol=1e-9, atol=1e-12)
    for i, j in [(i, j) for i in range(len(outputs)) for j in range(i)]:
        if outputs[i] is not outputs[j]:  # a caller writing into one result changes no other
            assert not np.shares_memory(second[i], second[j])
