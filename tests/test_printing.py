"""Formulas (str, ad.pretty), LaTeX, debugprint and repr: pinned texts, and the round trip
(the printed NumPy formula, run with NumPy, gives the node's value)."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.printing import evaluate, namespace


def roundtrip(node, simplify=False):
    """The value of the printed formula of `node`, run in its namespace."""
    text = ad.pretty(node, simplify=simplify)
    return evaluate(text, namespace(node, simplify=simplify))


def assert_roundtrip(node, simplify=False):
    got = roundtrip(node, simplify)
    want = node() if isinstance(node, ad.Node) else ad.eval(node)
    if isinstance(node, ad.Node):
        got, want = [got], [want]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        assert np.shape(g) == np.shape(w)


# -- the table: formulas pinned exactly ---------------------------------------------------------
def tanh_derivative(order):
    x = ad.Variable(np.array(0.5), name="x")
    d = ad.tanh(x)
    for _ in range(order):
        d = ad.grad(d, x)
    return d


TANH = {
    1: ("1 - tanh(x)**2", "1 - tanh(x)**2"),
    2: ("t0 = tanh(x)\n-1 * (2 * t0) * (1 - t0**2)", "t0 = tanh(x)\n(-1 + t0**2) * t0 * 2"),
    3: (
        "t0 = tanh(x)\nt1 = 1 - t0**2\nt2 = 2 * t0\n(t1 * -1 * 2 + -(-1 * t2) * t2) * t1",
        "t0 = tanh(x)**2\n(8 - 6 * t0) * t0 - 2",
    ),
    4: (
        "t0 = tanh(x)\nt1 = 1 - t0**2\nt2 = 2 * t0\nt3 = -(-1 * t2)\n"
        "((t1 * t3 + -(t1 * t2) * -1) * 2 + -(t1 * -1 * 2 + t3 * t2 + t1 * 2 * -1) * t2) * t1",
        "t0 = tanh(x)\n((-40 + 24 * t0**2) * t0**2 + 16) * t0",
    ),
}


@pytest.mark.parametrize("order", sorted(TANH))
def test_the_derivatives_of_tanh_print_as_formulas(order):
    d = tanh_derivative(order)
    plain, simplified = TANH[order]
    assert ad.pretty(d) == plain == str(d)
    assert ad.pretty(d, simplify=True) == simplified
    assert_roundtrip(d)
    assert_roundtrip(d, simplify=True)


def softmax_cross_entropy():
    rng = np.random.default_rng(0)
    z = ad.Variable(rng.normal(size=(4, 3)), name="z")
    y = ad.Variable(np.eye(3)[[0, 2, 1, 1]], name="y")
    return z, -ad.sum(y * ad.log_softmax(z)) / 4


def test_softmax_cross_entropy_and_its_gradient():
    z, loss = softmax_cross_entropy()
    shift = "t0 = z - finite_shift(max(z, axis=1, keepdims=True))"
    assert (
        ad.pretty(loss)
        == shift + "\n-sum(y * (t0 - log(reshape(sum(exp(t0), axis=1), (4, 1))))) / 4"
    )
    g = ad.grad(loss, z)
    assert ad.pretty(g) == (
        "t0 = exp(z - finite_shift(max(z, axis=1, keepdims=True)))\n"
        "t1 = broadcast_to(-(1 / 4), (4, 3)) * y\n"
        "t1 + broadcast_to(reshape(reshape(sum(-t1, axis=1), (4, 1)) / "
        "reshape(sum(t0, axis=1), (4, 1)), (4,))[:, None], (4, 3)) * t0"
    )
    assert ad.pretty(g, simplify=True) == (
        "t0 = exp(z - finite_shift(max(z, axis=1, keepdims=True)))\n"
        "-0.25 * y + reshape(0.25 * sum(y, axis=1), (4, 1)) * t0 / reshape(sum(t0, axis=1), (4, 1))"
    )
    for node in (loss, g):
        assert_roundtrip(node)
        assert_roundtrip(node, simplify=True)


def mlp():
    rng = np.random.default_rng(1)
    X = ad.Variable(rng.normal(size=(5, 4)), name="X")
    W1 = ad.Variable(rng.normal(size=(4, 8)), name="W1")
    b1 = ad.Variable(rng.normal(size=8), name="b1")
    W2 = ad.Variable(rng.normal(size=(8, 1)), name="W2")
    t = ad.Variable(rng.normal(size=(5, 1)), name="t")
    loss = ad.mean(ad.square(ad.tanh(X @ W1 + b1) @ W2 - t))
    return loss, [W1, b1, W2]


def test_an_mlps_gradient():
    loss, params = mlp()
    assert ad.pretty(loss) == "sum((tanh(X @ W1 + b1) @ W2 - t)**2) * 0.2"
    grads = ad.grad(loss, params)
    assert ad.pretty(grads) == (
        "t0 = tanh(X @ W1 + b1)\n"
        "t1 = broadcast_to(0.2, (5, 1)) * (2 * (t0 @ W2 - t))\n"
        "t2 = t1 @ W2.T * (1 - t0**2)\n"
        "X.T @ t2, sum(t2, axis=0), t0.T @ t1"
    )
    assert ad.pretty(grads, simplify=True) == (
        "t0 = tanh(b1 + X @ W1)\n"
        "t1 = (-t + t0 @ W2) * 0.4\n"
        "t2 = t1 @ W2.T * (1 - t0**2)\n"
        "X.T @ t2, sum(t2, axis=0), t0.T @ t1"
    )
    assert_roundtrip(grads)
    assert_roundtrip(grads, simplify=True)


def test_the_hessian_of_softplus_reads_as_matrix_products():
    rng = np.random.default_rng(3)
    A = ad.Variable(rng.normal(size=(5, 3)), name="A")
    x = ad.Variable(rng.normal(size=3), name="x")
    H = ad.hessian(ad.sum(ad.softplus(A @ x)) + x @ x / 2, x)
    assert ad.pretty(H, simplify=True) == (
        "t0 = sigmoid(A @ x)\neye(3) + (A * (1 - t0)[:, None] * t0[:, None]).T @ A"
    )
    assert_roundtrip(H, simplify=True)


def test_the_hessian_of_a_quadratic_form():
    rng = np.random.default_rng(2)
    A = ad.Variable(rng.normal(size=(3, 3)), name="A")
    v = ad.Variable(rng.normal(size=3), name="v")
    H = ad.hessian(v @ A @ v, v)
    assert ad.pretty(H) == "eye(3) @ A * 1 + eye(3) * 1 @ A.T"
    assert ad.pretty(H, simplify=True) == "A + A.T"
    assert ad.to_latex(H, simplify=True) == "A + A^{\\top}"
    assert_roundtrip(H)
    assert_roundtrip(H, simplify=True)


# -- einsums as what they are --------------------------------------------------------------------
A = ad.Variable(np.arange(6.0).reshape(2, 3) / 7, name="A")
B = ad.Variable(np.arange(12.0).reshape(3, 4) / 5, name="B")
S = ad.Variable(np.arange(9.0).reshape(3, 3) / 3 - 1, name="S")
u = ad.Variable(np.array([0.5, -1.0]), name="u")
w = ad.Variable(np.array([1.0, 2.0, -3.0]), name="w")
T = ad.Variable(np.arange(24.0).reshape(2, 3, 4) / 10, name="T")
P = ad.Variable(np.arange(24.0).reshape(2, 4, 3) / 9, name="P")
Q = ad.Variable(np.arange(12.0).reshape(1, 3, 4) / 9, name="Q")
U = ad.Variable(np.arange(4.0).reshape(2, 2) - 1, name="U")

CONTRACTIONS = [
    (lambda: A @ B, "A @ B"),
    (lambda: A @ w, "A @ w"),
    (lambda: u @ A, "u @ A"),
    (lambda: w @ w, "w @ w"),
    (lambda: A.T, "A.T"),
    (lambda: A.T @ u, "A.T @ u"),
    (lambda: ad.einsum("ij,i->j", A, u), "u @ A"),
    (lambda: ad.matmul(A.T, A), "A.T @ A"),
    (lambda: ad.einsum("ij,jk->ki", A, B), "(A @ B).T"),
    (lambda: ad.einsum("ij,kj->ik", A, A), "A @ A.T"),
    (lambda: T @ P, "T @ P"),
    (lambda: P @ Q, "P @ Q"),
    (lambda: ad.sum(A, axis=0), "sum(A, axis=0)"),
    (lambda: ad.sum(T, axis=(0, 2)), "sum(T, axis=(0, 2))"),
    (lambda: ad.sum(A), "sum(A)"),
    (lambda: ad.transpose(T, (1, 0, 2)), "transpose(T, (1, 0, 2))"),
    (lambda: ad.outer(u, w), "outer(u, w)"),
    (lambda: ad.trace(S), "sum(diagonal(S))"),
    (lambda: ad.einsum("ii->", S), "trace(S)"),
    (lambda: ad.diagonal(S), "diagonal(S)"),
    (lambda: ad.einsum("ij,j->ij", A, w), "A * w"),
    (lambda: ad.einsum("ij,i->ij", A, u), "A * u[:, None]"),
    (lambda: ad.einsum("ij,ij->", A, A), "sum(A * A)"),
    (lambda: ad.einsum("ijk,j->ik", T, w), "w @ T"),
    (lambda: ad.einsum("ijk,j->ij", T, w), "sum(T * w[:, None], axis=2)"),
    (lambda: ad.einsum("ijk,j->i", T, w), "sum(T * w[:, None], axis=(1, 2))"),
    (lambda: ad.einsum("ij,jk,kl->il", A, S, B), "einsum('ab,bc,cd->ad', A, S, B)"),
    (lambda: ad.einsum("ij,kj,ik->ik", A, A, U), "A @ A.T * U"),
    (lambda: ad.einsum("ij,i,ik->jk", A, u, A), "(A * u[:, None]).T @ A"),
    (lambda: ad.broadcast_to(w, (2, 3)), "broadcast_to(w, (2, 3))"),
    (lambda: ad.mean(A, axis=1), "sum(A, axis=1) * (1/3)"),
]


@pytest.mark.parametrize("build, text", CONTRACTIONS, ids=[t for _, t in CONTRACTIONS])
def test_einsums_print_as_the_products_they_are(build, text):
    node = build()
    if text == "sum(A, axis=1) * (1/3)":
        text = f"sum(A, axis=1) * {1 / 3!r}"
    assert ad.pretty(node) == text
    assert_roundtrip(node)


# -- precedence, constants, names -------------------------------------------------------------
x = ad.Variable(np.array([0.5, 1.5, 2.5]), name="x")
y = ad.Variable(np.array([2.0, -1.0, 0.25]), name="y")
z = ad.Variable(np.array([1.0, 3.0, -2.0]), name="z")

EXPRESSIONS = [
    (lambda: (x + y) * z, "(x + y) * z"),
    (lambda: x + y * z, "x + y * z"),
    (lambda: x - (y - z), "x - (y - z)"),
    (lambda: x - y - z, "x - y - z"),
    (lambda: x + (y + z), "x + (y + z)"),
    (lambda: x / (y * z), "x / (y * z)"),
    (lambda: -(x**2), "-x**2"),
    (lambda: (-x) ** 2, "(-x)**2"),
    (lambda: x ** (y**2), "x**y**2"),
    (lambda: (x**y) ** z, "(x**y)**z"),
    (lambda: x**-1.5, "x**-1.5"),
    (lambda: 2 ** (-x), "2**-x"),
    (lambda: ad.where(x < y, x, -y), "where(x < y, x, -y)"),
    (lambda: ad.astype((x < y) < (y < z), np.float64), "astype((x < y) < (y < z), float64)"),
    (lambda: ad.tanh(x).T * 2, "tanh(x) * 2"),
    (lambda: (x + y)[1:], "(x + y)[1:]"),
    (lambda: x[::-1][0], "x[::-1][0]"),
    (lambda: ad.max(x) + ad.min(y), "max(x, axis=0) + min(y, axis=0)"),
    (lambda: ad.maximum(x, y) - ad.minimum(y, z), "maximum(x, y) - minimum(y, z)"),
    (lambda: ad.abs(x - 1) * ad.sqrt(x), "abs(x - 1) * sqrt(x)"),
    (lambda: ad.clip(y, -0.5, 1.0), "clip(y, -0.5, 1)"),
    (lambda: ad.concatenate([x, y]), "concatenate([x, y], axis=0)"),
    (
        lambda: ad.stack([x, y]).sum(axis=0),
        "sum(concatenate([reshape(x, (1, 3)), reshape(y, (1, 3))], axis=0), axis=0)",
    ),
    (lambda: ad.pad(x, 1), "pad(x, ((1, 1),))"),
    (lambda: ad.relu(y) + ad.sigmoid(y), "relu(y) + sigmoid(y)"),
    (lambda: ad.leaky_relu(y, 0.1) * ad.softplus(z), "leaky_relu(y, alpha=0.1) * softplus(z)"),
    (lambda: ad.log1p(x) + ad.expm1(y) + ad.arctan(z), "log1p(x) + expm1(y) + arctan(z)"),
    (lambda: x * 2.5 + 1e-8, "x * 2.5 + 1e-08"),
    (lambda: x * np.array([1.0, 2.0, 3.0]), "x * array([1.0, 2.0, 3.0])"),
    (lambda: x + np.arange(12.0).reshape(4, 3), "x + const((4, 3))"),
    (lambda: x @ np.eye(3), "x @ eye(3)"),
    (lambda: x * np.full(3, 0.5), "x * array([0.5, 0.5, 0.5])"),
    (lambda: x + np.full((3, 3), 0.5), "x + full((3, 3), 0.5)"),
    (
        lambda: x + ad.zeros((2, 3)) + ad.ones(3, np.float32),
        "x + zeros((2, 3)) + ones(3, dtype=float32)",
    ),
    (lambda: ad.astype(x, np.float32) * 2, "astype(x, float32) * 2"),
]


@pytest.mark.parametrize("build, text", EXPRESSIONS, ids=[t for _, t in EXPRESSIONS])
def test_minimal_parentheses_and_short_constants(build, text):
    node = build()
    assert ad.pretty(node) == text
    assert_roundtrip(node)


def test_several_large_constants_are_told_apart():
    M = ad.Variable(np.ones((3, 4)), name="M")
    node = (ad.Constant(np.arange(12.0).reshape(3, 4)) + M) @ np.arange(8.0).reshape(4, 2)
    assert ad.pretty(node) == "(const((3, 4), 0) + M) @ const((4, 2), 1)"
    assert_roundtrip(node)


def test_names_are_valid_unique_python_names():
    a = ad.Variable(np.ones(2))
    b = ad.Variable(np.full(2, 2.0))
    c = ad.Variable(np.full(2, 3.0), name="x")
    d = ad.Variable(np.full(2, 4.0), name="x")
    e = ad.Variable(np.full(2, 5.0), name="layers.0.weight")
    f = ad.Variable(np.full(2, 6.0), name="tanh")
    g = ad.Variable(np.full(2, 7.0), name="x0")
    node = a * b + c * d + e * ad.tanh(f) + g
    assert ad.pretty(node) == "x1 * x2 + x * x_1 + layers_0_weight * tanh(tanh_1) + x0"
    assert_roundtrip(node)


def test_shared_subexpressions_are_named_once_and_the_size_is_capped():
    h = ad.tanh(x * y)
    node = h * h + ad.exp(h)
    assert ad.pretty(node) == "t0 = tanh(x * y)\nt0 * t0 + exp(t0)"
    assert_roundtrip(node)
    big = x
    for _ in range(200):
        big = ad.sin(big) + y
    text = ad.pretty(big, max_chars=80)
    assert len(text) <= 80 and "..." in text
    assert ad.pretty(big, max_chars=None).count("sin(") == 200


def test_deep_graphs_print_without_recursion():
    node = x
    for _ in range(5000):
        node = ad.sin(node)
    assert ad.pretty(node, max_chars=50).startswith("sin(sin(")
    assert len(repr(node)) < 120
    tree = ad.debugprint(node, as_text=True, max_lines=10)
    assert tree.endswith("... (cut at 10 lines)")


def test_an_op_that_declares_nothing_prints_in_function_form():
    class ScaleBy(ad.Node):
        @classmethod
        def infer(cls, x, *, factor):
            return x.shape, x.dtype

        def eval(self, x):
            return x * self.factor

        def grad(self, g):
            return (g * self.factor,)

    node = ScaleBy(ad.tanh(x), factor=3) + 1
    assert ad.pretty(node) == "scale_by(tanh(x), factor=3) + 1"
    assert ad.to_latex(node) == (
        "\\operatorname{scale\\_by}\\left(\\tanh\\left(x\\right), \\mathrm{factor}=3\\right) + 1"
    )
    assert_roundtrip(node)


def test_an_op_with_a_ufunc_prints_by_the_ufuncs_name():
    from autodiff.ops.elementwise import Elementwise

    class Tangent(Elementwise):
        ufunc = np.tan

        def grad(self, g):
            return (g / ad.square(ad.cos(self.inputs[0])),)

    node = Tangent(x) * 2
    assert ad.pretty(node) == "tan(x) * 2"
    assert ad.to_latex(node) == "\\tan\\left(x\\right) \\cdot 2"
    assert_roundtrip(node)


def test_printing_something_else_than_nodes_is_refused():
    with pytest.raises(TypeError, match="pretty: expected a Node or a list of Nodes, got int"):
        ad.pretty(3)
    with pytest.raises(TypeError, match="to_latex: item 1 is not a Node"):
        ad.to_latex([x, 2.0])
    with pytest.raises(TypeError, match="debugprint: expected a Node"):
        ad.debugprint("x")
    with pytest.raises(ValueError, match="max_chars must be a positive integer"):
        ad.pretty(x, max_chars=0)
    assert ad.pretty(n for n in (x, y)) == "x, y"


def test_repr_is_one_line_with_op_shape_dtype_and_formula():
    W = ad.Variable(np.ones((3, 4)), name="W")
    v = ad.Variable(np.ones(4), name="v")
    assert repr(ad.tanh(W @ v)) == "<Tanh (3,) float64: tanh(W @ v)>"
    assert repr(ad.sum(ad.tanh(W @ v))) == "<Einsum () float64: sum(tanh(W @ v))>"
    long = ad.tanh(W @ v)
    for _ in range(30):
        long = ad.exp(long) * long
    assert "\n" not in repr(long) and "..." in repr(long) and len(repr(long)) < 120
    assert str(W) == "W" and repr(W) == "Variable(name='W', shape=(3, 4), dtype=float64)"


# -- LaTeX ---------------------------------------------------------------------------------------
LATEX = [
    (lambda: tanh_derivative(1), "1 - \\tanh\\left(x\\right)^{2}"),
    (
        lambda: tanh_derivative(2),
        "\\begin{aligned}\nt_{0} &= \\tanh\\left(x\\right) \\\\\n"
        "& -1 \\cdot \\left(2 t_{0}\\right) \\cdot \\left(1 - t_{0}^{2}\\right)\n\\end{aligned}",
    ),
    (lambda: x / (y + 1), "\\frac{x}{y + 1}"),
    (lambda: x * y, "x \\odot y"),
    (lambda: ad.sum(x) * y, "\\left(\\sum x\\right) \\cdot y"),
    (lambda: ad.sum(x * y), "\\sum \\left(x \\odot y\\right)"),
    (
        lambda: ad.sqrt(x) + ad.abs(y) + ad.exp(z),
        "\\sqrt{x} + \\left|y\\right| + \\exp\\left(z\\right)",
    ),
    (lambda: A @ B + 1, "A B + 1"),
    (lambda: ad.einsum("ij,i->j", A, u), "u^{\\top} A"),
    (lambda: w @ w, "w^{\\top} w"),
    (lambda: ad.outer(u, w), "u w^{\\top}"),
    (lambda: ad.einsum("ii->", S), "\\operatorname{tr}\\left(S\\right)"),
    (lambda: ad.sum(T, axis=(0, 2)), "\\sum_{\\text{axis } 0, 2} T"),
    (
        lambda: ad.einsum("ij,jk,kl->il", ad.eye(3), S, S),
        "\\sum_{bc} \\delta_{ab} S_{bc} S_{cd}",
    ),
    (
        lambda: ad.einsum("ij,jk,kl->il", ad.Variable(np.ones((2, 2)), name="W1"), U, U),
        "\\sum_{bc} {W_{1}}_{ab} U_{bc} U_{cd}",
    ),
    (lambda: ad.einsum("ij,i,ik->jk", A, u, A), "\\left(A \\odot u\\right)^{\\top} A"),
    (lambda: x**3 - ad.sigmoid(y), "x^{3} - \\sigma\\left(y\\right)"),
    (lambda: ad.Variable(1.0, name="alpha") * x, "\\alpha \\cdot x"),
    (
        lambda: ad.where(x <= y, 1.0, 0.0),
        "\\operatorname{where}\\left(x \\leq y, 1, 0\\right)",
    ),
    (lambda: x * 1e-20, "x \\cdot 10^{-20}"),
    (lambda: S @ np.eye(3) + ad.ones((3, 3)), "S I_{3} + \\mathbf{1}"),
]


@pytest.mark.parametrize("build, text", LATEX, ids=[t for _, t in LATEX])
def test_latex(build, text):
    assert ad.to_latex(build()) == text


def test_latex_of_the_table():
    z, loss = softmax_cross_entropy()
    shift = (
        "t_{0} &= z - \\operatorname{finite\\_shift}\\left(\\max\\left(z, \\mathrm{axis}=1, "
        "\\mathrm{keepdims}=True\\right)\\right)"
    )
    assert ad.to_latex(loss) == (
        f"\\begin{{aligned}}\n{shift} \\\\\n"
        "& \\frac{-\\left(\\sum \\left(y \\odot \\left(t_{0} - "
        "\\log\\left(\\sum_{\\text{axis } 1} \\exp\\left(t_{0}\\right)\\right)\\right)\\right)"
        "\\right)}{4}\n\\end{aligned}"
    )
    loss, params = mlp()
    assert ad.to_latex(ad.grad(loss, params), simplify=True) == (
        "\\begin{aligned}\n"
        "t_{0} &= \\tanh\\left(b_{1} + X W_{1}\\right) \\\\\n"
        "t_{1} &= \\left(-t + t_{0} W_{2}\\right) \\cdot 0.4 \\\\\n"
        "t_{2} &= t_{1} W_{2}^{\\top} \\odot \\left(1 - t_{0}^{2}\\right) \\\\\n"
        "& X^{\\top} t_{2}, \\sum_{\\text{axis } 0} t_{2}, t_{0}^{\\top} t_{1}\n"
        "\\end{aligned}"
    )


def test_jupyter_renders_nodes_as_math():
    node = ad.tanh(x)
    assert node._repr_latex_() == "$\\tanh\\left(x\\right)$"
    assert tanh_derivative(2)._repr_latex_().startswith("$$\\begin{aligned}")
    html = node._repr_html_()
    assert html.startswith("<div><code>Tanh (3,) float64</code>") and "\\tanh" in html


# -- debugprint ---------------------------------------------------------------------------------
def test_debugprint_shows_shared_nodes_once():
    W = ad.Variable(np.ones((3, 4)), name="W")
    v = ad.Variable(np.ones(4), name="v")
    h = ad.tanh(W @ v)
    out = io.StringIO()
    ad.debugprint([h * h, ad.sum(h)], file=out)
    assert out.getvalue() == (
        "Multiply (3,) float64\n"
        "├─ Tanh [id A] (3,) float64\n"
        "│  └─ Einsum{ab,b->a} (3,) float64\n"
        "│     ├─ Variable 'W' (3, 4) float64\n"
        "│     └─ Variable 'v' (4,) float64\n"
        "└─ Tanh [id A] ...\n"
        "Einsum{a->} () float64\n"
        "└─ Tanh [id A] ...\n"
    )


def test_debugprint_shows_parameters_and_constants(capsys):
    ad.debugprint(ad.max(x, axis=0) ** 2 + 0.5)
    assert capsys.readouterr().out == (
        "Add () float64\n"
        "├─ Pow{p=2} () float64\n"
        "│  └─ Max{axes=(0,), keepdims=False, least=False} () float64\n"
        "│     └─ Variable 'x' (3,) float64\n"
        "└─ Constant 0.5 () float64\n"
    )


# -- the round trip, over random graphs -----------------------------------------------------------
LEAVES = {
    (): ad.Variable(np.array(0.7), name="s"),
    (3,): ad.Variable(np.array([0.3, -1.2, 2.0]), name="a"),
    (2, 3): ad.Variable(np.array([[0.5, -0.1, 1.1], [-2.0, 0.4, 0.9]]), name="M"),
}
UNARY = [ad.tanh, ad.sin, ad.cos, ad.sigmoid, ad.relu, ad.negative, ad.square, ad.abs, ad.arctan]
UNARY += [lambda t: ad.exp(ad.tanh(t)), lambda t: ad.log1p(ad.square(t)), lambda t: t * 2.5]
UNARY += [lambda t: 1 - t, lambda t: t / (1 + ad.square(t)), lambda t: ad.sqrt(ad.abs(t) + 1)]
BINARY = [ad.add, ad.subtract, ad.multiply, ad.maximum, lambda p, q: ad.where(p < q, p, q)]
BINARY += [lambda p, q: p * ad.sigmoid(q)]


BIG = np.linspace(-1.0, 1.0, 21).reshape(7, 3)  # printed as const((7, 3))
SIX = np.linspace(-1.0, 1.0, 6).reshape(2, 3)  # printed as a literal


def _reshapes(node):
    shapes = {(): [], (3,): [], (2, 3): []}
    if node.shape == (2, 3):
        shapes[(3,)] = [lambda t: ad.sum(t, axis=0), lambda t: t[1], lambda t: ad.max(t, axis=0)]
        shapes[(2, 3)] = [lambda t: ad.transpose(t).T, lambda t: t[::-1], lambda t: t - SIX]
        shapes[()] = [ad.sum, lambda t: ad.trace(t[:, :2])]
    if node.shape == (3,):
        shapes[(2, 3)] = [lambda t: ad.outer(ad.ones(2), t), lambda t: ad.stack([t, -t])]
        shapes[()] = [lambda t: t @ t, ad.sum, lambda t: ad.max(t), lambda t: ad.sum(BIG @ t)]
        shapes[(3,)] = [lambda t: t * np.array([1.5, -0.5, 2.0])]  # a short literal
    if node.shape == ():
        shapes[(3,)] = [lambda t: ad.broadcast_to(t, (3,)), lambda t: t * LEAVES[(3,)]]
    return shapes


@st.composite
def graphs(draw):
    pool = list(LEAVES.values())
    for _ in range(draw(st.integers(1, 16))):
        kind = draw(st.sampled_from(["unary", "binary", "shape", "matmul"]))
        node = draw(st.sampled_from(pool))
        if kind == "unary":
            pool.append(draw(st.sampled_from(UNARY))(node))
        elif kind == "binary":
            other = draw(st.sampled_from([p for p in pool if p.shape in ((), node.shape)]))
            pool.append(draw(st.sampled_from(BINARY))(node, other))
        elif kind == "shape":
            options = [f for fs in _reshapes(node).values() for f in fs]
            if options:
                pool.append(draw(st.sampled_from(options))(node))
        else:
            matrices = [p for p in pool if p.shape == (2, 3)]
            vectors = [p for p in pool if p.shape == (3,)]
            pool.append(draw(st.sampled_from(matrices)) @ draw(st.sampled_from(vectors)))
    return draw(st.sampled_from(pool[3:] or pool))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.booleans())
def test_the_printed_formula_computes_the_value(node, simplify):
    with np.errstate(all="ignore"):
        got = roundtrip(node, simplify)
        want = node()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    gradient = ad.grad(ad.sum(node), LEAVES[(3,)])  # a derivative graph prints as well
    with np.errstate(all="ignore"):
        got, want = roundtrip(gradient, simplify), gradient()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
