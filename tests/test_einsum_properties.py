"""Property tests over random valid einsum equations: values against np.einsum and
gradients (to second order) against finite differences. Equations include repeated labels
in one operand, labels summed inside one operand, the same node used as several operands,
'...' and size-1 broadcasting."""

import numpy as np
import opt_einsum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.ops.einsum_plan import _path

LABELS = "abcd"


@st.composite
def equations(draw):
    sizes = dict(zip(LABELS, draw(st.lists(st.integers(1, 3), min_size=4, max_size=4))))
    dots = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n = draw(st.integers(1, 3))
    terms, shapes, sources = [], [], []
    for k in range(n):
        if k and draw(st.booleans()) and draw(st.booleans()):
            j = draw(st.integers(0, k - 1))  # the same node again, as another operand
            terms.append(terms[j]), shapes.append(shapes[j]), sources.append(sources[j])
            continue
        term = draw(st.lists(st.sampled_from(LABELS), max_size=3))
        shape = [sizes[l] for l in term]
        if draw(st.booleans()):  # broadcast one axis of size 1 against the others
            for i, l in enumerate(term):
                if term.count(l) == 1 and draw(st.booleans()):
                    shape[i] = 1
                    break
        text = "".join(term)
        if dots and draw(st.booleans()):
            k_dots = draw(st.integers(0, len(dots)))
            own = [1 if draw(st.booleans()) else n_ for n_ in dots[len(dots) - k_dots:]]
            text, shape = "..." + text, own + shape
        terms.append(text), shapes.append(tuple(shape)), sources.append(len(set(sources)))
    used = [l for t in terms for l in t if l in LABELS]
    explicit = draw(st.booleans())
    if explicit:
        out = draw(st.permutations(sorted(set(used))))
        out = "".join(out[: draw(st.integers(0, len(out)))])
        if any("..." in t for t in terms):
            out = "..." + out
        equation = ",".join(terms) + "->" + out
    else:
        equation = ",".join(terms)
    return equation, shapes, sources


def _arrays(shapes, sources, seed):
    rng = np.random.default_rng(seed)
    distinct = {}
    for shape, src in zip(shapes, sources):
        distinct.setdefault(src, rng.normal(size=shape))
    return [distinct[s] for s in sorted(distinct)]


def _build(equation, sources):
    return lambda *nodes: ad.einsum(equation, *[nodes[s] for s in sources])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(equations(), st.integers(0, 2**16))
def test_einsum_value_matches_numpy(problem, seed):
    equation, shapes, sources = problem
    arrays = _arrays(shapes, sources, seed)
    node = _build(equation, sources)(*[ad.Variable(a) for a in arrays])
    expected = np.einsum(equation, *[arrays[s] for s in sources])
    assert node.shape == expected.shape
    np.testing.assert_allclose(node(), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(equations(), st.integers(0, 2**16))
def test_einsum_gradients_match_finite_differences(problem, seed):
    equation, shapes, sources = problem
    ad.check_grads(_build(equation, sources), _arrays(shapes, sources, seed), order=2, seed=seed)


def _cost(equation, shapes, optimize):
    _, info = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=optimize)
    return float(info.opt_cost)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["ab", "a", "ac", "b", "bc", "ca"]), min_size=3, max_size=5),
    st.integers(1, 10**6),
    st.integers(1, 50),
    st.integers(1, 50),
)
def test_the_contraction_order_is_the_cheapest_of_auto_and_dp(terms, a, b, c):
    """opt_einsum 3.4's "optimal" (its "auto" up to four operands) misses cheaper orders;
    plans take the cheaper of it and "dp" (`einsum_plan._path`)."""
    sizes = {"a": a, "b": b, "c": c}
    shapes = tuple(tuple(sizes[label] for label in term) for term in terms)
    equation = ",".join(terms) + "->bc"
    if not all(label in "".join(terms) for label in "bc"):
        equation = ",".join(terms) + "->"
    path = _path(equation, shapes)
    chosen = _cost(equation, shapes, path)
    assert chosen <= min(_cost(equation, shapes, "auto"), _cost(equation, shapes, "dp"))


def test_a_logistic_hessian_is_contracted_without_an_outer_product_of_the_rows():
    n, d = 10**6, 20
    shapes = ((n, d), (n,), (n,), (n, d))  # X, w, w', X: what the softplus form's Hessian is
    _, info = opt_einsum.contract_path(
        "ab,a,a,ac->bc", *shapes, shapes=True, optimize=_path("ab,a,a,ac->bc", shapes)
    )
    assert info.largest_intermediate <= n * d  # not the (n, d, d) outer product
