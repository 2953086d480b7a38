"""Custom gradients, gradient hooks and the synthetic-gradient example."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import nn
from autodiff.custom import CustomGradient

RNG = np.random.default_rng(0)


@ad.custom_gradient
def my_exp(x):
    y = ad.exp(x)
    return y, lambda g: g * y


@ad.custom_gradient
def wrong_cube(x):
    return x**3, lambda g: g * 2 * x  # wrong on purpose: the derivative is 3x**2


@ad.custom_gradient
def scaled_pair(x, y, *, scale):
    return (x * y, ad.sin(x)), lambda ga, gb: (
        ga * y * scale + gb * ad.cos(x),
        ga * x,
    )


def _custom_nodes(y):
    return [n for n in ad.toposort([y]) if isinstance(n, CustomGradient)]


# -- custom gradients of order 1 to 3 ------------------------------------------------------
@pytest.mark.parametrize(
    "f",
    [
        lambda x: ad.sum(my_exp(x) * ad.sin(x)),
        lambda x: my_exp(ad.tanh(x)) ** 2,
        lambda x: ad.sum(scaled_pair(x, x * 2.0, scale=1.0)[0] * scaled_pair(x, x, scale=1.0)[1]),
    ],
    ids=["exp", "composed", "two outputs"],
)
def test_true_custom_rules_match_finite_differences_to_order_3(f):
    ad.check_grads(f, [RNG.normal(size=(2, 3))], order=3)


def test_hessian_through_a_custom_function_matches_the_true_one():
    x0 = RNG.normal(size=4)
    x = ad.Variable(x0)
    H = ad.hessian(ad.sum(my_exp(x) ** 2 * ad.sin(x)), x)
    reference = ad.hessian(ad.sum(ad.exp(x) ** 2 * ad.sin(x)), x)
    np.testing.assert_allclose(H(), reference(), rtol=1e-12)
    third = ad.jacobian(ad.jacobian(ad.grad(ad.sum(my_exp(x) ** 3), x), x), x)
    np.testing.assert_allclose(
        third(), np.einsum("i,ij,ik->ijk", 27 * np.exp(3 * x0), np.eye(4), np.eye(4))
    )


def test_forward_mode_and_hessian_vector_products_go_through_the_rule():
    x0 = np.array([0.3, -1.0])
    x = ad.Variable(x0)
    np.testing.assert_allclose(ad.jvp(my_exp(x), x, np.array([1.0, 2.0]))(), np.exp(x0) * [1, 2])
    np.testing.assert_allclose(ad.jvp(wrong_cube(x), x, np.ones(2))(), 2 * x0)  # the rule
    hvp = ad.hvp(ad.sum(my_exp(x) ** 2), x, np.array([1.0, 2.0]))
    np.testing.assert_allclose(hvp(), 4 * np.exp(2 * x0) * [1, 2])


def test_a_wrong_rule_is_used_as_written_and_check_grads_reports_it():
    x0 = np.array([1.0, 2.0, -0.5])
    x = ad.Variable(x0)
    np.testing.assert_allclose(ad.grad(ad.sum(wrong_cube(x)), x)(), 2 * x0)  # the rule, not 3x**2
    np.testing.assert_allclose(wrong_cube(x)(), x0**3)  # the value is the function's
    with pytest.raises(ad.GradientError, match="order 1"):
        ad.check_grads(lambda x: ad.sum(wrong_cube(x)), [x0])


def test_a_rule_right_to_first_order_only_is_reported_at_the_second():
    @ad.custom_gradient
    def frozen_square(x):  # right value of the gradient, but its own derivative is lost
        return x * x, lambda g: g * 2 * ad.stop_gradient(x)

    ad.check_grads(lambda x: ad.sum(frozen_square(x)), [RNG.normal(size=3)], order=1)
    with pytest.raises(ad.GradientError, match="order 2"):
        ad.check_grads(lambda x: ad.sum(frozen_square(x)), [RNG.normal(size=3)], order=2)


def test_keyword_arguments_pass_through_and_inputs_may_be_numbers():
    x = ad.Variable(np.array([0.5, 1.0]))
    product, sine = scaled_pair(x, np.array([3.0, 3.0]), scale=10.0)
    np.testing.assert_allclose(product(), [1.5, 3.0])
    np.testing.assert_allclose(ad.grad(ad.sum(product), x)(), [30.0, 30.0])
    np.testing.assert_allclose(ad.grad(ad.sum(sine), x)(), np.cos([0.5, 1.0]))
    assert my_exp(0.0)() == 1.0 and my_exp([0.0, 1.0]).shape == (2,)


def test_an_unbatched_rule_is_called_once_per_cotangent_of_a_jacobian():
    calls = []

    @ad.custom_gradient
    def square(x):
        def rule(g):
            calls.append(g.shape)
            return 2 * x * g

        return x * x, rule

    x = ad.Variable(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(ad.jacobian(square(x), x)(), np.diag([2.0, 4.0, 6.0]))
    assert calls == [(3,)] * 3


def test_a_batched_rule_is_called_once_and_its_shape_checked():
    @ad.custom_gradient(batched=True)
    def double(v):  # a rule that loses the batch axes: caught
        return v * 2.0, lambda g: ad.reshape(g, (-1,))[:3] * 2.0

    v = ad.Variable(np.arange(3.0))
    np.testing.assert_allclose(ad.grad(ad.sum(double(v) * v), v)(), [0.0, 4.0, 8.0])
    with pytest.raises(
        ValueError, match=r"'double'.*shape \(3,\).*expected \(3, 3\).*batch axes \(3,\)"
    ):
        ad.jacobian(double(v), v)


# -- errors ----------------------------------------------------------------------------------
def _bad(result):
    @ad.custom_gradient
    def bad_rule(x, y):
        return x * y, lambda g: result(g, x, y)

    x, y = ad.Variable(np.ones(3)), ad.Variable(np.ones(3))
    return ad.sum(bad_rule(x, y)), [x, y]


@pytest.mark.parametrize(
    "result, error, message",
    [
        (lambda g, x, y: (g,), ValueError, "returned 1 gradients for 2 inputs"),
        (
            lambda g, x, y: g,
            TypeError,
            r"returned a Einsum; it must return one Node or None per input \(2\)",
        ),
        (lambda g, x, y: 2.0, TypeError, "returned a float; it must return one Node or None"),
        (lambda g, x, y: (g, np.ones(3)), TypeError, "returned a ndarray for input 1, not a Node"),
        (
            lambda g, x, y: (g, ad.sum(g)),
            ValueError,
            r"returned a gradient of shape \(\) for input 1 of shape \(3,\); expected \(3,\)",
        ),
        (
            lambda g, x, y: (g, ad.astype(g, np.float32)),
            TypeError,
            "returned a gradient of dtype float32 for input 1",
        ),
    ],
    ids=["too few", "a bare node for two inputs", "a number", "an array", "shape", "dtype"],
)
def test_bad_grad_fn_results_give_clear_errors(result, error, message):
    y, wrt = _bad(result)
    with pytest.raises(error, match=r"custom_gradient 'bad_rule': grad_fn " + message):
        ad.grad(y, wrt)


def test_bad_functions_give_clear_errors():
    x = ad.Variable(np.ones(2))
    with pytest.raises(TypeError, match=r"'no_rule': the function must return \(output, grad_fn\)"):
        ad.custom_gradient(no_rule)(x)
    with pytest.raises(TypeError, match="'array_out': the output must be a Node"):
        ad.custom_gradient(array_out)(x)
    with pytest.raises(TypeError, match="'mixed': the outputs must share one dtype"):
        ad.custom_gradient(mixed)(x)
    with pytest.raises(TypeError, match="custom_gradient: expected a function, got int"):
        ad.custom_gradient(3)
    with pytest.raises(TypeError, match="needs at least one input"):
        ad.custom_gradient(lambda: (x, lambda g: ()))()


def no_rule(x):
    return x * 2


def array_out(x):
    return np.ones(2), lambda g: g


def mixed(x):
    return (x, x > 0), lambda g, h: g


# -- what else sees the node -----------------------------------------------------------------
def test_an_identity_output_of_a_plan_after_an_in_place_step():
    # found here: a plan named a stop_gradient (or custom node) output by its input's first
    # name, which an in-place ufunc had since renamed (NameError when the plan ran)
    x = ad.Variable(np.ones((5, 3)))
    h = ad.tanh(x @ np.ones((3, 2)) + 1.0)
    outputs = ad.function(
        [ad.stop_gradient(h), ad.exp(h) * 2.0, ad.clip_gradient(h + 1.0, -1, 1)]
    )()
    np.testing.assert_allclose(outputs[0], np.tanh(4.0) * np.ones((5, 2)))
    np.testing.assert_allclose(outputs[1], 2 * np.exp(np.tanh(4.0)) * np.ones((5, 2)))
    np.testing.assert_allclose(outputs[2], (np.tanh(4.0) + 1) * np.ones((5, 2)))


def test_plans_give_the_custom_node_no_line_and_run_its_rule():
    x = ad.Variable(RNG.normal(size=3), name="x")
    y = ad.sum(my_exp(x) * 2.0)
    step = ad.function([y, ad.grad(y, x)], inputs=[x])
    value, gradient = step(np.zeros(3))
    assert value == 6.0 and np.allclose(gradient, 2.0)
    assert "CustomGradient" not in step.source and "kernel" not in step.source


def test_the_simplifier_keeps_the_custom_node_and_its_rule():
    x = ad.Variable(RNG.normal(size=3))
    y = ad.simplify(ad.sum(wrong_cube(x * 1.0 + 0.0)))
    assert len(_custom_nodes(y)) == 1
    np.testing.assert_allclose(ad.grad(y, x)(), 2 * x.value)  # still the rule, on the new inputs


def test_a_custom_function_inside_a_checkpoint_keeps_its_rule():
    x = ad.Variable(RNG.normal(size=3))
    block = ad.checkpoint(lambda h: ad.tanh(wrong_cube(h)))
    y = ad.sum(block(x))
    expected = (1 - np.tanh(x.value**3) ** 2) * 2 * x.value
    np.testing.assert_allclose(ad.grad(y, x)(), expected)
    right = ad.checkpoint(lambda h: ad.tanh(my_exp(h)))
    reference = ad.hessian(ad.sum(ad.tanh(ad.exp(x))), x)
    np.testing.assert_allclose(ad.hessian(ad.sum(right(x)), x)(), reference(), rtol=1e-12)


def test_the_function_is_one_cluster_in_plots():
    x = ad.Variable(np.ones(3), name="x")
    dot = ad.to_dot(my_exp(x) + ad.grad(ad.sum(my_exp(x) * 2.0), x))
    assert dot.count("subgraph cluster") == 1 and "label=my_exp" in dot
    assert my_exp(x).scope == ("my_exp",) and my_exp(x).caption == "custom_gradient my_exp"


# -- clip_gradient, scale_gradient, a straight-through estimator -----------------------------
def test_clip_and_scale_gradient_change_only_the_gradient():
    x0 = np.array([1.0, -2.0, 3.0])
    x = ad.Variable(x0)
    np.testing.assert_allclose(ad.clip_gradient(x, -1.0, 1.0)(), x0)
    np.testing.assert_allclose(
        ad.grad(ad.sum(ad.clip_gradient(x, -1.0, 1.0) ** 2), x)(), [1, -1, 1]
    )
    np.testing.assert_allclose(ad.grad(ad.sum(ad.scale_gradient(x, -0.5) ** 2), x)(), -x0)
    jac = ad.jacobian(ad.scale_gradient(x * x, 3.0), x)  # batched cotangents: one rule call
    np.testing.assert_allclose(jac(), np.diag(6 * x0))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=0, max_size=3), st.floats(-3, 3))
def test_scale_gradient_scales_every_order_one_gradient(shape, s):
    x0 = np.random.default_rng(len(shape)).normal(size=shape)
    x = ad.Variable(x0)
    plain = ad.grad(ad.sum(ad.sin(x) * x), x)()
    scaled = ad.grad(ad.sum(ad.sin(ad.scale_gradient(x, s)) * x), x)()
    np.testing.assert_allclose(scaled, (s - 1) * np.cos(x0) * x0 + plain, atol=1e-12)


def test_straight_through_estimator_trains_through_a_step_function():
    @ad.custom_gradient
    def binarize(x):
        return ad.sign(x), lambda g: ad.where(ad.abs(x) <= 1, g, 0.0)

    w = ad.Variable(np.array([0.3, -0.2, 2.0]))
    target = np.array([-1.0, 1.0, 1.0])
    loss = ad.sum((binarize(w) - target) ** 2)
    step = ad.function([loss, ad.grad(loss, w)], inputs=[])
    for _ in range(10):
        _, g = step()
        w.value = w.value - 0.1 * g
    assert step()[0] == 0.0


# -- module hooks ----------------------------------------------------------------------------
def _model():
    return nn.Sequential(nn.Linear(3, 4, rng=0), ad.tanh, nn.Linear(4, 2, rng=1))


def test_no_hook_adds_no_node():
    model = _model()
    x = ad.Variable(RNG.normal(size=(5, 3)))
    before = ad.count_nodes(model(x))
    handle = model[0].register_backward_hook(lambda g: None)
    assert ad.count_nodes(model(x)) == before + 1
    handle.remove()
    handle.remove()  # twice: nothing happens
    assert ad.count_nodes(model(x)) == before and not _custom_nodes(model(x))


def test_hooks_scale_clip_and_record_cotangents():
    model = _model()
    x = ad.Variable(RNG.normal(size=(5, 3)))
    loss = ad.sum(model(x) ** 2)
    plain = ad.grad(loss, model[0].weight)()
    seen = []
    model[2].register_backward_hook(lambda g: seen.append(g))  # records, keeps g
    handle = model[0].register_backward_hook(lambda g: g * 3.0)
    loss = ad.sum(model(x) ** 2)
    scaled = ad.grad(loss, [model[0].weight, model[2].weight])
    np.testing.assert_allclose(scaled[0](), 3 * plain)
    assert len(seen) == 1 and seen[0].shape == (5, 2)
    np.testing.assert_allclose(seen[0](), 2 * model(x)())  # d loss / d output
    handle.remove()
    model[0].register_backward_hook(lambda g: ad.clip(g, -1e-3, 1e-3))
    clipped_loss = ad.sum(model(x) ** 2)
    step = ad.function(ad.grad(clipped_loss, model[0].bias), inputs=[x])  # works in plans
    w = model[2].weight.value
    upstream = np.clip(2 * model(x)() @ w.T, -1e-3, 1e-3)
    np.testing.assert_allclose(step(x.value), upstream.sum(axis=0))


def test_hooks_run_in_order_and_check_their_results():
    layer = nn.Linear(2, 2, rng=0)
    layer.register_backward_hook(lambda g: g + 1.0)
    layer.register_backward_hook(lambda g: g * 10.0)
    x = ad.Variable(np.ones((1, 2)))
    np.testing.assert_allclose(ad.grad(ad.sum(layer(x)), layer.bias)(), [20.0, 20.0])
    layer.register_backward_hook(lambda g: ad.sum(g))
    with pytest.raises(ValueError, match=r"Linear .*backward hook <lambda> returned shape \(\)"):
        ad.grad(ad.sum(layer(x)), layer.bias)
    with pytest.raises(TypeError, match="register_backward_hook: expected a function"):
        layer.register_backward_hook("no")


def test_a_record_hook_sees_batched_cotangents_in_a_hessian_and_changes_nothing():
    layer = nn.Linear(3, 2, rng=0)
    x = ad.Variable(RNG.normal(size=(4, 3)))
    reference = ad.hessian(ad.sum(ad.tanh(layer(x)) ** 2), layer.bias)()
    seen = []
    layer.register_backward_hook(lambda g: seen.append(g.shape))
    H = ad.hessian(ad.sum(ad.tanh(layer(x)) ** 2), layer.bias)
    np.testing.assert_allclose(H(), reference, rtol=1e-12)
    assert seen == [(4, 2), (2, 4, 2)]  # the gradient, then its Jacobian's batch of cotangents


def test_a_hook_on_a_module_inside_a_checkpointed_segment():
    model = _model()
    x = ad.Variable(RNG.normal(size=(5, 3)))
    plain = ad.grad(ad.sum(model(x) ** 2), model.parameters())
    seen = []
    model[0].register_backward_hook(lambda g: seen.append(g) or g * 0.5)
    segment = ad.checkpoint(lambda h: model(h))
    loss = ad.sum(segment(x) ** 2)
    grads = ad.grad(loss, model.parameters())
    step = ad.function(grads, inputs=[x])
    values = step(x.value)
    np.testing.assert_allclose(values[0], 0.5 * plain[0](), rtol=1e-12)  # first layer: halved
    np.testing.assert_allclose(values[2], plain[2](), rtol=1e-12)  # last layer: as before
    assert seen and seen[-1].shape == (5, 4)
    hessian = ad.hessian(ad.sum(segment(x) ** 2), model[2].bias)  # Hessians through it too
    np.testing.assert_allclose(hessian(), ad.hessian(ad.sum(model(x) ** 2), model[2].bias)())


def test_a_hook_on_a_module_with_two_outputs_sees_each():
    class Split(nn.Module):
        def forward(self, x):
            return x * 2.0, x * 3.0

    split = Split()
    seen = []
    split.register_backward_hook(lambda g: seen.append(g.shape) or -g)
    x = ad.Variable(np.ones(2))
    a, b = split(x)
    np.testing.assert_allclose(ad.grad(ad.sum(a + b), x)(), [-5.0, -5.0])
    assert seen == [(2,), (2,)]


# -- grad(..., hooks=) -----------------------------------------------------------------------
def test_grad_hooks_see_and_replace_the_cotangent_of_one_node():
    x = ad.Variable(np.array([1.0, 2.0]))
    h = ad.tanh(x)
    y = ad.sum(h * 10.0)
    seen = []
    (g,) = ad.grad(y, [x], hooks={h: lambda g: seen.append(g) or g * 0.0 + 1.0})
    np.testing.assert_allclose(g(), 1 - np.tanh([1.0, 2.0]) ** 2)
    np.testing.assert_allclose(seen[0](), [10.0, 10.0])
    np.testing.assert_allclose(ad.grad(y, h, hooks={h: lambda g: g * 2})(), [20.0, 20.0])
    unused = ad.Variable(1.0)
    assert ad.grad(y, x, hooks={unused: lambda g: 1 / 0}) is not None  # never called
    J = ad.jacobian(h * 3.0, x, hooks={h: lambda g: g * 2.0})  # batched cotangents
    np.testing.assert_allclose(J(), np.diag(6 * (1 - np.tanh([1.0, 2.0]) ** 2)))


def test_grad_hooks_check_what_they_get_and_give():
    x = ad.Variable(np.array([1.0, 2.0]))
    h = ad.tanh(x)
    with pytest.raises(TypeError, match="grad: hooks must be a mapping"):
        ad.grad(ad.sum(h), x, hooks=[h])
    with pytest.raises(TypeError, match="grad: hooks must map Nodes to functions"):
        ad.grad(ad.sum(h), x, hooks={h: 3})
    with pytest.raises(ValueError, match=r"the hook on Tanh \(2,\) returned shape \(\) float64"):
        ad.grad(ad.sum(h), x, hooks={h: ad.sum})
    with pytest.raises(TypeError, match=r"the hook on Tanh \(2,\) returned ndarray"):
        ad.grad(ad.sum(h), x, hooks={h: lambda g: np.ones(2)})


# -- the example -----------------------------------------------------------------------------
def test_synthetic_gradients_example_on_small_settings():
    pytest.importorskip("sklearn")
    path = Path(__file__).resolve().parent.parent / "examples" / "synthetic_gradients.py"
    spec = importlib.util.spec_from_file_location("synthetic_gradients", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--small", "--quiet"])
    assert result["backprop_test_accuracy"] > 0.85
    assert result["synthetic_test_accuracy"] >= result["backprop_test_accuracy"] - 0.02
