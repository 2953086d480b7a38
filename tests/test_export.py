"""Plans exported as plain NumPy: run in a fresh interpreter where autodiff cannot be
imported, they give the plan's results exactly."""

import ast
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_printing import LEAVES, graphs

import autodiff as ad

RUN = """
import sys
sys.modules["autodiff"] = None  # autodiff is not importable here
sys.path.insert(0, sys.argv[1])
import numpy as np
import {module}
arguments = np.load(sys.argv[2])
results = {module}.{name}(*(arguments[f"arr_{{i}}"] for i in range(len(arguments.files))))
if not isinstance(results, list):
    results = [results]
np.savez(sys.argv[3], *results)
"""


def run_exported(tmp_path, plan, arrays, name="plan", module="exported"):
    """Export `plan`, run it on `arrays` in a fresh isolated interpreter, return its results."""
    text = plan.export(tmp_path / f"{module}.py", name=name)
    np.savez(tmp_path / "arguments.npz", *arrays)
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            RUN.format(module=module, name=name),
            str(tmp_path),
            str(tmp_path / "arguments.npz"),
            str(tmp_path / "results.npz"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    results = np.load(tmp_path / "results.npz")
    return text, [results[f"arr_{i}"] for i in range(len(results.files))]


def assert_same(got, want):
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)  # the same operations: the same bits


def test_a_hessian_exported_runs_without_autodiff(tmp_path):
    rng = np.random.default_rng(0)
    A = ad.Variable(rng.normal(size=(6, 4)), name="A")
    x = ad.Variable(np.zeros(4), name="x")
    f = ad.sum(ad.softplus(A @ x)) + x @ x / 2
    plan = ad.function([f, ad.grad(f, x), ad.hessian(f, x)], inputs=[x])
    x0 = rng.normal(size=4)
    text, got = run_exported(tmp_path, plan, [x0, A.value], name="hessian")
    assert_same(got, plan(x0))
    assert "def hessian(x, A):" in text
    assert "    t0 = sigmoid(A @ x)" in text  # the formula in the header


def test_an_mlp_training_step_exported(tmp_path):
    rng = np.random.default_rng(1)
    model = ad.nn.Sequential(ad.nn.Linear(4, 8), ad.tanh, ad.nn.Linear(8, 3))
    X = ad.Variable(np.zeros((5, 4)), name="X")
    labels = ad.Variable(np.zeros((5, 3)), name="labels")
    loss = -ad.sum(labels * ad.log_softmax(model(X))) / 5
    params = list(model.parameters())
    plan = ad.function([loss, *ad.grad(loss, params)], inputs=[X, labels])
    X0, y0 = rng.normal(size=(5, 4)), np.eye(3)[[0, 1, 2, 1, 0]]
    _, got = run_exported(tmp_path, plan, [X0, y0, *(p.value for p in params)])
    assert_same(got, plan(X0, y0))


def test_float32_indexing_and_their_adjoints(tmp_path):
    rng = np.random.default_rng(2)
    x = ad.Variable(np.zeros((3, 4), np.float32), name="x")
    y = ad.sum(ad.tanh(x[1:, ::2]) * x[0, [0, 2]]) + ad.max(x, axis=1)[0] * 0.1
    plan = ad.function([y, ad.grad(y, x)], inputs=[x])
    x0 = rng.normal(size=(3, 4)).astype(np.float32)
    _, got = run_exported(tmp_path, plan, [x0])
    assert_same(got, plan(x0))


def test_integer_and_boolean_contractions_exported(tmp_path):
    # integer einsums are NumPy's einsum in the plan (they were opt_einsum's, not exportable)
    k = ad.Variable(np.arange(12).reshape(3, 4), name="k")
    mask = ad.Variable(np.array([True, False, True]), name="mask")
    small = ad.einsum("i,ij->j", mask.astype(np.int8), k.astype(np.int8))
    plan = ad.function([ad.sum(k, axis=0), k @ k.T, small, ad.einsum("i,i->", mask, mask)], inputs=[k])
    k0 = np.arange(12).reshape(3, 4) * 50
    _, got = run_exported(tmp_path, plan, [k0, mask.value])
    assert_same(got, plan(k0))
    m = mask.value
    want = [k0.sum(axis=0), k0 @ k0.T, np.einsum("i,ij->j", m.astype(np.int8), k0.astype(np.int8)),
            np.einsum("i,i->", m, m)]
    assert_same(plan(k0), want)  # NumPy's values and dtypes (int8 wrapping, a boolean)


def test_the_module_imports_only_numpy_and_has_one_line_per_step(tmp_path):
    x = ad.Variable(np.zeros(3), name="x")
    plan = ad.function(ad.sigmoid(x) * ad.relu(x - 1) + ad.leaky_relu(x, 0.2), inputs=[x])
    text = plan.export(tmp_path / "m.py", name="m")
    tree = ast.parse(text)
    imported = {
        alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
    }
    assert imported == {"numpy"}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "m")
    steps = [line for line in plan.source.split("\n")[1:] if line.strip()]
    assert len(function.body) == 1 + len(steps)  # the docstring, then one statement a step
    assert "autodiff" not in text.split('"""', 2)[2]  # nothing of autodiff after the header


def test_argument_names_come_from_the_variables_sanitised_and_unique(tmp_path):
    a = ad.Variable(np.ones(2), name="layers.0.weight")
    b = ad.Variable(np.full(2, 2.0), name="x")
    c = ad.Variable(np.full(2, 3.0), name="x")
    d = ad.Variable(np.full(2, 4.0), name="v1")
    e = ad.Variable(np.full(2, 5.0))
    f = ad.Variable(np.full(2, 6.0), name="..")
    plan = ad.function(a * b + c * d - e * f, inputs=[a, b, c, d])
    arrays = [v.value for v in (a, b, c, d, e, f)]
    text, got = run_exported(tmp_path, plan, arrays, name="f")
    assert "def f(layers_0_weight, x, x_1, v1_, x0, x__):" in text
    assert_same(got, plan(a.value, b.value, c.value, d.value))


def test_export_checks_its_arguments(tmp_path):
    x = ad.Variable(np.zeros(3), name="x")
    plan = ad.function(ad.exp(x), inputs=[x])
    with pytest.raises(ValueError, match="not a Python identifier"):
        plan.export(tmp_path / "bad.py", name="not a name")
    plan.export(tmp_path / "good.py", name="good")
    space: dict = {}
    exec((tmp_path / "good.py").read_text(), space)
    np.testing.assert_array_equal(space["good"]([1, 2, 3]), np.exp([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="does not fit shape"):
        space["good"](np.zeros(4))


def test_an_embedding_s_gradient_exported(tmp_path):
    # the gradient of take by integer nodes (an Embedding's) is a scatter-add in NumPy alone
    E = ad.Variable(np.arange(8.0).reshape(4, 2), name="E")
    ids = ad.Variable(np.array([0, 3, 3]), name="ids")
    loss = ad.sum(ad.take(E, ids, axis=0) ** 2)
    plan = ad.function([loss, ad.grad(loss, E)], inputs=[ids])
    _, got = run_exported(tmp_path, plan, [np.array([3, 1, 3]), E.value])
    assert_same(got, plan(np.array([3, 1, 3])))


class _Gamma(ad.Node):
    """An op whose eval needs more than NumPy (the math module, element by element)."""

    @classmethod
    def infer(cls, x):
        return x.shape, x.dtype

    def eval(self, x):
        return np.vectorize(math.gamma)(x)


def test_an_op_that_needs_more_than_numpy_is_refused_by_name(tmp_path):
    x = ad.Variable(np.ones(3), name="x")
    plan = ad.function(_Gamma(x), inputs=[x])
    with pytest.raises(NotImplementedError, match="_Gamma's eval uses math"):
        plan.export(tmp_path / "gamma.py")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_exported_random_graphs_give_the_plans_results(node):
    a = LEAVES[(3,)]
    plan = ad.function([node, ad.grad(ad.sum(node), a)], inputs=[a])
    with tempfile.TemporaryDirectory() as folder:
        text = plan.export(os.path.join(folder, "random_graph.py"), name="f")
    space: dict = {}
    exec(text, space)
    others = [n.value for n in plan.nodes if isinstance(n, ad.Variable) and n is not a]
    a0 = np.array([0.1, 0.7, -1.3])
    with np.errstate(all="ignore"):
        assert_same(space["f"](a0, *others), plan(a0))
