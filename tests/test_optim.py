"""autodiff.optim: updates against hand-computed NumPy, clipping, schedules, state, TrainStep."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import nn, optim

P0 = np.array([[0.5, -1.0], [2.0, 0.25]])
GRADS = [np.array([[0.1, -0.2], [0.3, 0.0]]), np.array([[-0.5, 0.4], [0.1, 0.2]]), np.array([[0.2, 0.2], [-0.3, 0.1]])]


def run(make, grads=GRADS):
    """The parameter after each step of the optimizer `make(params)` fed `grads`."""
    w = ad.Variable(P0.copy(), name="w")
    opt = make([w])
    values = []
    for g in grads:
        opt.step([g])
        values.append(w.value.copy())
    return values


def sgd_reference(lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    p, v, out = P0.copy(), np.zeros_like(P0), []
    for g in GRADS:
        g = g + weight_decay * p
        v = momentum * v + g
        p = p - lr * ((g + momentum * v) if nesterov else (v if momentum else g))
        out.append(p)
    return out


@pytest.mark.parametrize("options", [{}, {"momentum": 0.9}, {"momentum": 0.8, "nesterov": True}, {"momentum": 0.5, "weight_decay": 0.1}])
def test_sgd_matches_hand_computed_updates(options):
    got = run(lambda ps: optim.SGD(ps, lr=0.1, **options))
    np.testing.assert_allclose(got, sgd_reference(0.1, **options))


def test_first_sgd_steps_by_hand():
    # momentum 0.9, lr 0.1: v1 = g1, p1 = p0 - 0.1 g1; v2 = 0.9 g1 + g2, p2 = p1 - 0.1 v2
    got = run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))
    np.testing.assert_allclose(got[0], P0 - 0.1 * GRADS[0])
    np.testing.assert_allclose(got[1], P0 - 0.1 * GRADS[0] - 0.1 * (0.9 * GRADS[0] + GRADS[1]))


def test_adagrad_and_rmsprop_match_hand_computed_updates():
    p, s, expected = P0.copy(), np.zeros_like(P0), []
    for g in GRADS:
        s = s + g * g
        p = p - 0.5 * g / (np.sqrt(s) + 1e-10)
        expected.append(p)
    np.testing.assert_allclose(run(lambda ps: optim.Adagrad(ps, lr=0.5)), expected)

    p, s, expected = P0.copy(), np.zeros_like(P0), []
    for g in GRADS:
        s = 0.8 * s + 0.2 * g * g
        p = p - 0.01 * g / (np.sqrt(s) + 1e-8)
        expected.append(p)
    np.testing.assert_allclose(run(lambda ps: optim.RMSProp(ps, lr=0.01, rho=0.8)), expected)


def adam_reference(lr, betas, eps, weight_decay, decoupled):
    p, m, v, out = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p - lr * weight_decay * p
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        p = p - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
        out.append(p)
    return out


def test_adam_and_adamw_match_hand_computed_updates():
    got = run(lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1))
    np.testing.assert_allclose(got, adam_reference(0.01, (0.8, 0.95), 1e-6, 0.1, decoupled=False))
    got = run(lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1))
    np.testing.assert_allclose(got, adam_reference(0.01, (0.9, 0.999), 1e-8, 0.1, decoupled=True))
    # the first Adam step moves every entry with a non-zero gradient by about lr
    first = run(lambda ps: optim.Adam(ps, lr=0.01))[0]
    np.testing.assert_allclose(np.abs(first - P0)[GRADS[0] != 0], 0.01, rtol=1e-5)


def test_float32_parameters_stay_float32():
    w = ad.Variable(np.ones(3, np.float32))
    optim.Adam([w], lr=0.1).step([np.ones(3)])
    assert w.value.dtype == np.float32


def test_clipping():
    grads = [np.array([3.0, -4.0]), np.array([12.0])]
    clipped, norm = optim.clip_by_global_norm(grads, 6.5)
    assert norm == 13.0
    np.testing.assert_allclose(clipped[0], [1.5, -2.0])
    np.testing.assert_allclose(optim.global_norm(clipped), 6.5)
    unchanged, _ = optim.clip_by_global_norm(grads, 20.0)
    assert unchanged[0] is grads[0]
    np.testing.assert_array_equal(optim.clip_by_value(grads, 3.5)[0], [3.0, -3.5])
    # inside an optimizer: value first, then norm
    got = run(lambda ps: optim.SGD(ps, lr=1.0, clip_value=0.25, clip_norm=0.3), [GRADS[1]])[0]
    g = np.clip(GRADS[1], -0.25, 0.25)
    np.testing.assert_allclose(got, P0 - g * 0.3 / np.linalg.norm(g))


def test_schedules():
    got = run(lambda ps: optim.SGD(ps, lr=optim.step_decay(1.0, every=2, factor=0.5)))
    np.testing.assert_allclose(got[2], P0 - GRADS[0] - GRADS[1] - 0.5 * GRADS[2])
    schedule = optim.cosine_decay(1.0, total_steps=10, final_lr=0.1, warmup_steps=2)
    assert [schedule(0), schedule(1), schedule(2)] == [0.5, 1.0, 1.0]
    assert abs(schedule(6) - 0.55) < 1e-12 and schedule(10) == schedule(99) == 0.1
    opt = optim.Adam([ad.Variable(np.zeros(1))], lr=schedule)
    assert opt.current_lr() == 0.5


def test_optimizer_state_round_trip():
    """Stopping, saving the state, and going on in a new optimizer gives the same parameters."""
    w = ad.Variable(P0.copy())
    opt = optim.Adam([w], lr=0.01)
    opt.step([GRADS[0]])
    state, value = opt.state_dict(), w.value.copy()
    opt.step([GRADS[1]])
    w2 = ad.Variable(value)
    other = optim.Adam([w2], lr=0.01)
    other.load_state_dict(state)
    other.step([GRADS[1]])
    np.testing.assert_array_equal(w2.value, w.value)
    assert other.steps == 2
    with pytest.raises(ValueError, match=r"missing \['0.v'\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "0.v"})
    with pytest.raises(ValueError, match=r"'0.m' has shape \(3,\)"):
        other.load_state_dict({**state, "0.m": np.zeros(3)})


def test_updates_leave_earlier_arrays_alone():
    w = ad.Variable(P0.copy())
    seen = w.value
    optim.SGD([w], lr=1.0).step([np.ones((2, 2))])
    np.testing.assert_array_equal(seen, P0)


MAKERS = {
    "SGD": lambda ps, **o: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, **o),
    "Adagrad": lambda ps, **o: optim.Adagrad(ps, lr=0.1, **o),
    "RMSProp": lambda ps, **o: optim.RMSProp(ps, lr=0.01, **o),
    "Adam": lambda ps, **o: optim.Adam(ps, lr=0.01, **o),
    "AdamW": lambda ps, **o: optim.AdamW(ps, lr=0.01, clip_norm=0.5, **o),
}


def test_steps_minus_one_is_refused_not_nan():
    """Issue 8: ``steps = -1`` then one Adam step made every weight nan; 2.7 loaded as 2."""
    w = ad.Variable(P0.copy())
    opt = optim.Adam([w], lr=0.01)
    with pytest.raises(ValueError, match="Adam: steps must not be negative, got -1"):
        opt.steps = -1
    opt.step([GRADS[0]])
    assert np.isfinite(w.value).all() and opt.steps == 1
    with pytest.raises(TypeError, match=r"'steps' must be an integer, got 2.7"):
        opt.load_state_dict({**opt.state_dict(), "steps": np.array(2.7)})
    assert opt.steps == 1


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_nonfinite_raise_names_the_parameter_and_changes_nothing(kind):
    a, b = ad.Variable(P0.copy(), name="a"), ad.Variable(np.ones(3), name="b")
    opt = MAKERS[kind]([a, b], nonfinite="raise")
    opt.step([GRADS[0], np.ones(3)])
    before, state = [a.value.copy(), b.value.copy()], opt.state_dict()
    with pytest.raises(ValueError, match=rf"{kind}: gradient 1 \(parameter 'b'\) has 2 non-finite entries \(1 nan\) at step 1"):
        opt.step([GRADS[1], np.array([np.nan, 1.0, -np.inf])])
    np.testing.assert_array_equal(a.value, before[0])
    np.testing.assert_array_equal(b.value, before[1])
    for key, array in opt.state_dict().items():
        np.testing.assert_array_equal(array, state[key], err_msg=key)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_nonfinite_skip_is_as_if_the_step_never_came(kind):
    bad = np.where(GRADS[1] > 0.3, np.inf, GRADS[1])
    skipped = run(lambda ps: MAKERS[kind](ps, nonfinite="skip"), [GRADS[0], bad, GRADS[2]])
    plain = run(lambda ps: MAKERS[kind](ps), [GRADS[0], GRADS[2]])
    np.testing.assert_array_equal(skipped[1], skipped[0])
    np.testing.assert_array_equal(skipped[2], plain[1])
    with np.errstate(invalid="ignore"):  # without the option nobody looks: inf or nan lands in w
        assert not np.isfinite(run(lambda ps: MAKERS[kind](ps), [GRADS[0], bad])[1]).all()


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(sorted(MAKERS)),
    st.lists(st.tuples(st.booleans(), st.sampled_from([math.nan, math.inf, -math.inf]), st.integers(0, 3)), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
)
def test_skipping_equals_dropping_the_bad_steps_property(kind, plan, seed):
    rng = np.random.default_rng(seed)
    grads, finite = [], []
    for poisoned, value, entry in plan:
        g = rng.normal(size=(2, 2))
        if poisoned:
            g.flat[entry] = value
        else:
            finite.append(g)
        grads.append(g)
    w = ad.Variable(P0.copy())
    opt = MAKERS[kind]([w], nonfinite="skip")
    for g in grads:
        opt.step([g])
    expected = run(lambda ps: MAKERS[kind](ps), finite)[-1] if finite else P0
    np.testing.assert_array_equal(w.value, expected)
    assert opt.steps == len(finite) and opt.skipped == len(grads) - len(finite)


def test_train_step_skips_or_raises_on_a_non_finite_gradient():
    w = ad.Variable(np.array([1.0, 2.0]), name="w")
    x = ad.Variable(np.zeros(2), name="x")
    opt = optim.SGD([w], lr=0.5, nonfinite="skip")
    step = optim.TrainStep(ad.sum(w * x), opt, inputs=[x])
    assert step(np.array([np.inf, 1.0])) == np.inf
    np.testing.assert_array_equal(w.value, [1.0, 2.0])
    step(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(w.value, [0.5, 1.5])
    assert (opt.steps, opt.skipped) == (1, 1)
    opt.nonfinite = "raise"
    with pytest.raises(ValueError, match=r"SGD: gradient 0 \(parameter 'w'\) has 1 non-finite entries \(0 nan\) at step 1"):
        step(np.array([1.0, -np.inf]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(MAKERS)), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_state_through_a_file_resumes_exactly_property(tmp_path, kind, taken, seed):
    grads = [np.random.default_rng(seed + k).normal(size=(2, 2)) for k in range(taken + 2)]
    whole = run(lambda ps: MAKERS[kind](ps), grads)
    w = ad.Variable(P0.copy())
    opt = MAKERS[kind]([w])
    for g in grads[:taken]:
        opt.step([g])
    nn.save(tmp_path / "opt.npz", {**opt.state_dict(), "w": w.value})
    arrays = nn.load(tmp_path / "opt.npz")
    w2 = ad.Variable(arrays.pop("w"))
    other = MAKERS[kind]([w2])
    other.load_state_dict(arrays)
    for g in grads[taken:]:
        other.step([g])
    np.testing.assert_array_equal(w2.value, whole[-1])


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda w: optim.SGD([], lr=0.1), ValueError, "SGD: no parameters"),
        (lambda w: optim.SGD([w, w], lr=0.1), ValueError, "listed twice"),
        (lambda w: optim.SGD([np.zeros(2)], lr=0.1), TypeError, "SGD: parameter 0 is a ndarray, not an ad.Variable"),
        (lambda w: optim.SGD([ad.Variable(np.zeros(2, int))], lr=0.1), TypeError, "only floating parameters"),
        (lambda w: optim.SGD([w], lr=-1), ValueError, "SGD: lr must be positive"),
        (lambda w: optim.SGD([w], lr=0.1, nesterov=True), ValueError, "nesterov needs a momentum"),
        (lambda w: optim.SGD([w], lr=0.1, momentum=1.5), ValueError, r"momentum must be in \[0, 1\)"),
        (lambda w: optim.Adam([w], betas=(0.9,)), ValueError, "Adam: betas must be two numbers"),
        (lambda w: optim.Adam([w], clip_norm=0), ValueError, "Adam: clip_norm must be positive"),
        (lambda w: optim.Adam([w], amsgrad=True), TypeError, "amsgrad"),
        (lambda w: optim.RMSProp([w], rho=1.0), ValueError, "RMSProp: rho"),
        (lambda w: optim.SGD([w], lr=0.1).step([np.zeros(2), np.zeros(2)]), ValueError, "SGD: got 2 gradients for 1 parameters"),
        (lambda w: optim.SGD([w], lr=0.1).step([np.zeros(3)]), ValueError, r"gradient 0 has shape \(3,\), parameter 'w' has \(2,\)"),
        (lambda w: optim.cosine_decay(1.0, total_steps=5, warmup_steps=5), ValueError, "warmup_steps < total_steps"),
    ],
)
def test_bad_options_give_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(ad.Variable(np.zeros(2), name="w"))


# -- TrainStep ---------------------------------------------------------------------------------
def _problem(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(3, 5, rng=1), ad.tanh)
    head_a, head_b = nn.Linear(5, 4, rng=2), nn.Linear(5, 2, rng=3)
    x = ad.Variable(np.zeros((6, 3)), name="x")
    y = ad.Variable(np.zeros(6, np.int64), name="y")
    t = ad.Variable(np.zeros((6, 2)), name="t")
    h = model(x)
    loss_a = nn.cross_entropy(head_a(h), y)
    loss_b = nn.mse(head_b(h), t)
    data = rng.normal(size=(6, 3)), rng.integers(0, 4, size=6), rng.normal(size=(6, 2))
    return model, head_a, head_b, (x, y, t), (loss_a, loss_b), data


def test_train_step_applies_each_optimizer_to_its_own_gradients():
    model, head_a, head_b, inputs, (loss_a, loss_b), data = _problem()
    params_a = model.parameters() + head_a.parameters()
    params_b = model.parameters() + head_b.parameters()
    before = [p.value.copy() for p in params_a + head_b.parameters()]
    grads_a = ad.eval(ad.grad(loss_a, params_a), dict(zip(inputs, data)))
    grads_b = ad.eval(ad.grad(loss_b, params_b), dict(zip(inputs, data)))
    expected_losses = ad.eval([loss_a, loss_b], dict(zip(inputs, data)))

    step = optim.TrainStep([loss_a, loss_b], [optim.SGD(params_a, lr=0.1), optim.SGD(params_b, lr=0.01)], inputs=inputs)
    losses = step(*data)
    np.testing.assert_allclose(losses, expected_losses)
    trunk = len(model.parameters())
    for k, p in enumerate(model.parameters()):  # the shared trunk gets both updates
        np.testing.assert_allclose(p.value, before[k] - 0.1 * grads_a[k] - 0.01 * grads_b[k])
    for k, p in enumerate(head_a.parameters()):
        np.testing.assert_allclose(p.value, before[trunk + k] - 0.1 * grads_a[trunk + k])
    for k, p in enumerate(head_b.parameters()):
        np.testing.assert_allclose(p.value, before[len(params_a) + k] - 0.01 * grads_b[trunk + k])
    assert isinstance(losses, list) and len(losses) == 2


def test_train_step_returns_the_loss_before_the_update():
    model, head_a, _, inputs, (loss_a, _), data = _problem()
    expected = float(ad.eval(loss_a, {inputs[0]: data[0], inputs[1]: data[1]}))
    step = optim.TrainStep(loss_a, optim.Adam(model.parameters() + head_a.parameters(), lr=0.05), inputs=inputs[:2])
    first = step(*data[:2])
    assert first == pytest.approx(expected)
    for _ in range(30):
        last = step(*data[:2])
    assert last < first / 2


def test_train_step_resamples_dropout():
    drop = nn.Dropout(0.5, rng=0)
    w = ad.Variable(np.ones(200), name="w")
    loss = ad.sum(drop(w))
    step = optim.TrainStep(loss, optim.SGD([w], lr=1.0))
    values = [step() for _ in range(3)]
    assert len(set(values)) == 3  # a new mask each step
    assert np.all(np.isin(w.value, [1.0, -1.0, -3.0, -5.0]))


def test_train_step_errors():
    model, head_a, _, inputs, (loss_a, loss_b), data = _problem()
    opt = optim.SGD(head_a.parameters(), lr=0.1)
    step = optim.TrainStep(loss_a, opt, inputs=inputs[:2])
    with pytest.raises(TypeError, match=r"TrainStep: input 1 \('y'\) takes integers, got an array of dtype float64"):
        step(data[0], data[1].astype(float))
    with pytest.raises(ValueError, match=r"cross_entropy: labels must lie in \[0, 4\), got 9"):
        step(data[0], np.full(6, 9))
    with pytest.raises(TypeError, match="expected 2 input arrays, got 1"):
        step(data[0])
    with pytest.raises(ValueError, match="2 losses for 1 optimizers"):
        optim.TrainStep([loss_a, loss_b], [opt])
    with pytest.raises(ValueError, match="loss 0 must be a scalar Node"):
        optim.TrainStep(ad.Variable(np.zeros(2)), opt)
