"""nn.LSTM over whole sequences (`autodiff.nn.recurrence`): the same values and derivatives
as the step-by-step cells, of every order, for batched cotangents too, in fewer products."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import recurrence
from autodiff.nn.recurrence import LSTMBackward, input_projection, lstm_sequence
from autodiff.ops.einsum import Einsum

rng = np.random.default_rng(7)


def normal(*shape):
    return rng.standard_normal(shape)


def both_forms(lstm: nn.LSTM, call):
    """`call()` with the whole-sequence form, then with the step-by-step cells."""
    try:
        lstm.whole_sequence = True
        first = call()
        lstm.whole_sequence = False
        return first, call()
    finally:
        del lstm.whole_sequence  # back to the class's default


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("as_list", [False, True])
def test_whole_sequence_values_and_gradients_are_the_cells(layers, as_list):
    lstm = nn.LSTM(3, 4, num_layers=layers, rng=1)
    x = ad.Variable(normal(2, 5, 3), name="x")
    state = [(ad.Variable(normal(2, 4)), ad.Variable(normal(2, 4))) for _ in range(layers)]
    params = lstm.parameters() + [x] + [s for layer in state for s in layer]

    def call():
        xs = [x[:, t] for t in range(5)] if as_list else x
        ys, final = lstm(xs, state)
        ys = ad.stack(ys, axis=1) if as_list else ys
        loss = ad.sum(ad.sin(ys)) + sum(ad.sum(h * c) for h, c in final)
        return [
            ys(),
            *(a() for layer in final for a in layer),
            *(g() for g in ad.grad(loss, params)),
        ]

    whole, cells = both_forms(lstm, call)
    for a, b in zip(whole, cells, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_recurrence_has_exact_derivatives_to_order_three():
    args = [normal(2, 3, 8) * 0.7, normal(2, 8) * 0.5, normal(2, 2), normal(2, 2)]
    ad.check_grads(lstm_sequence, args, order=3)


def test_batched_cotangents_go_through_the_rule():
    lstm = nn.LSTM(2, 3, rng=2)
    x = ad.Variable(normal(2, 4, 2), name="x")
    w = lstm.cells[0].weight_hh

    def call():
        ys, [(h, c)] = lstm(x)
        return [ad.jacobian(ys, x)(), ad.jacobian(c, w)(), ad.hessian(ad.sum(ys**2), x)()]

    whole, cells = both_forms(lstm, call)
    for a, b in zip(whole, cells, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_one_step_sequences_and_sampling_states():
    lstm = nn.LSTM(3, 4, rng=3)
    x = ad.Variable(normal(1, 1, 3))
    state = [(ad.Variable(normal(1, 4)), ad.Variable(normal(1, 4)))]
    whole, cells = both_forms(lstm, lambda: [a() for a in lstm(x, state)[1][0]])
    np.testing.assert_allclose(whole, cells, rtol=1e-12)


@pytest.mark.parametrize("fused", [False, True])
def test_float32_end_to_end_and_one_weight_hh_product_over_all_steps(fused, monkeypatch):
    if fused and recurrence._kernels() is None:
        pytest.skip("numba is not installed")
    if not fused:
        monkeypatch.setattr(recurrence, "_kernels", lambda: None)
    lstm = nn.LSTM(5, 8, rng=4, dtype=np.float32)
    x = ad.Variable(normal(3, 12, 5).astype(np.float32), name="x")
    ys, _ = lstm(x)
    w = lstm.cells[0].weight_hh
    plan = ad.function(ad.grad(ad.sum(ad.tanh(ys)), lstm.parameters() + [x]), inputs=[x])
    assert all(n.dtype == np.float32 for n in plan.nodes if n.dtype.kind == "f")
    assert all(g.dtype == np.float32 for g in plan(x.value))
    # the gradient of weight_hh is one (hidden, batch*time) @ (batch*time, 4*hidden) product
    # (with numba, inside the one fused backward node)
    products = [n for n in plan.nodes if isinstance(n, Einsum) and n.shape == w.shape]
    fused_nodes = [n for n in plan.nodes if isinstance(n, LSTMBackward)]
    assert (len(products), len(fused_nodes)) == ((0, 1) if fused else (1, 0))


def test_steps_of_different_shapes_are_refused():
    lstm = nn.LSTM(3, 4)
    steps = [ad.Variable(np.zeros((2, 3))), ad.Variable(np.zeros((3, 3)))]
    with pytest.raises(ValueError, match=r"LSTM: every step must have the shape of the first"):
        lstm(steps)
    with pytest.raises(ValueError, match=r"LSTMCell: input of shape \(2, 5\) must be \(batch, 3\)"):
        lstm(ad.Variable(np.zeros((2, 4, 5))))
    with pytest.raises(ValueError, match=r"LSTMCell: state must be 2 node\(s\) of shape \(2, 4\)"):
        lstm(ad.Variable(np.zeros((2, 4, 3))), [(ad.zeros((2, 4)), ad.zeros((1, 4)))])


def test_an_embedding_is_projected_as_a_table_with_the_same_derivatives():
    embed, lstm = nn.Embedding(5, 3, rng=5), nn.LSTM(3, 4, rng=5)
    ids = ad.Variable(rng.integers(0, 5, (2, 6)), name="ids")  # 12 ids, 5 rows: a lookup
    params = embed.parameters() + lstm.parameters()

    def call():
        ys, [(h, c)] = lstm(embed(ids))
        loss = ad.sum(ad.sin(ys)) + ad.sum(c)
        first = ad.grad(loss, params)
        second = ad.grad(ad.sum(first[0] ** 2) + ad.sum(first[1] ** 2), params)
        return [ys(), *(g() for g in first), *(g() for g in second)]

    whole, cells = both_forms(lstm, call)
    for a, b in zip(whole, cells, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # more table rows than ids: the plain product
    xs = nn.Embedding(50, 3, rng=5)(ids)
    assert input_projection(xs, lstm.cells[0].weight_ih, lstm.cells[0].bias).shape == (2, 6, 16)


def test_the_lstm_benchmark_prints_its_table_without_torch():
    # in a process of its own: the script sets thread counts and imports the example
    root = os.path.join(os.path.dirname(__file__), os.pardir)
    env = dict(os.environ, PYTHONPATH=os.path.abspath(root))
    args = ["--rounds", "2", "--steps", "1", "--seconds", "0", "--no-torch"]
    run = subprocess.run(
        [sys.executable, os.path.join(root, "benchmarks", "lstm.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "ours only" in run.stdout
    row = next(line for line in run.stdout.splitlines() if line.startswith("| autodiff"))
    step_ms, chars = re.search(r"([\d.]+) ms \| +([\d,]+) \|", row).groups()
    per_second = int(chars.replace(",", ""))
    assert abs(32 * 64 / (float(step_ms) / 1e3) - per_second) < 0.01 * per_second
