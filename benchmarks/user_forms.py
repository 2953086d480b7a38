"""The workloads written the way users write them (issue 11), beside `workloads.py`'s forms.

`workloads.py` bakes data into graphs as Variables that plans read, and writes the char-rnn
over one stacked input. Users more often feed everything at every call, keep all parameters in
one flat vector that they slice, and make one Variable per time step. Each case here is one such
form with its own hand-written NumPy reference:

- "user: hessian MLP": the Hessian of an 8-16-1 tanh MLP's MSE with respect to ONE flat
  161-parameter vector sliced and reshaped into W1, b1, W2, b2; X and y fed at every call;
- "user: char-rnn step (Karpathy)": min-char-rnn as Karpathy wrote it: one Variable per time step
  for the one-hot input and the one-hot target (25 of each, shape (65,)), h0 and the five
  parameters all fed at every call; loss, the five gradients and the last h as outputs; the
  Adagrad update in NumPy. The reference is Karpathy's `lossFun` (a loop over time steps with
  column vectors) and his update;
- "user: jacobian": the full Jacobian of tanh(W x) * (V x), 200 x 200, W and V fed;
- "user: hessian logistic": the full Hessian of sum(log(1 + exp(A x))) + x.x/2 with A fed;
- second forms of two of them, as other users write them: the MLP's flat vector cut with
  `ad.split` and the loss as a sum over the batch divided by its size; logistic regression on
  labels y in {0, 1}, its loss written with `logaddexp` and a ridge term `sum(x**2)`.
"""

from __future__ import annotations

import numpy as np
from workloads import (
    MLP_BATCH,
    MLP_SIZES,
    RNN_CLIP,
    RNN_HIDDEN,
    RNN_LR,
    RNN_STEPS,
    RNN_VOCAB,
    Case,
    karpathy_graph,
    mlp_hessian_reference,
    rnn_parameters,
)

import autodiff as ad


def _plan_size(plans):
    return lambda: plans[-1].node_count


# -- Hessian of an MLP's MSE w.r.t. one flat parameter vector, X and y fed -------------------------
def mlp_hessian_fed(split: bool = False) -> Case:
    i, h, _ = MLP_SIZES
    B = MLP_BATCH
    P = i * h + 2 * h + 1  # 161

    def reference(theta, X, y):
        return mlp_hessian_reference(theta, X, y)

    plans = []

    def build_autodiff():
        theta = ad.Variable(np.zeros(P), name="theta")
        X = ad.Variable(np.zeros((B, i)), name="X")
        y = ad.Variable(np.zeros(B), name="y")
        if split:
            W1, b1, W2, b2 = ad.split(theta, [i * h, i * h + h, i * h + 2 * h])
            hidden = ad.tanh(ad.dot(X, ad.reshape(W1, (i, h))) + b1)
            loss = ad.sum(ad.square(hidden.dot(W2) + b2[0] - y)) / B
        else:
            W1 = theta[: i * h].reshape(i, h)
            b1 = theta[i * h : i * h + h]
            W2 = theta[i * h + h : i * h + 2 * h]
            b2 = theta[-1]
            loss = ad.mean((ad.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2)
        plan = ad.function(ad.hessian(loss, theta), inputs=[theta, X, y])
        plans.append(plan)
        return plan

    def inputs(rng):
        return rng.standard_normal(P) * 0.5, rng.standard_normal((B, i)), rng.standard_normal(B)

    return Case(
        name="user: hessian MLP, flat theta, X and y fed" + (", ad.split" if split else ""),
        kind="user_mlp_hessian",
        data={},
        target="<= 2.5x",
        inputs=inputs,
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=_plan_size(plans),
    )


# -- min-char-rnn, Karpathy's form -----------------------------------------------------------------
def _karpathy_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """Karpathy's min-char-rnn lossFun: column vectors, one loop over time each way."""
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((RNN_VOCAB, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for d in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(d, -RNN_CLIP, RNN_CLIP, out=d)
    return loss, [dWxh, dWhh, dWhy, dbh, dby], hs[len(inputs) - 1]


def _adagrad(params, memory, grads):
    for p, m, g in zip(params, memory, grads, strict=True):
        m += g * g
        p -= RNN_LR * g / np.sqrt(m + 1e-8)


def char_rnn_karpathy() -> Case:
    V, H, T = RNN_VOCAB, RNN_HIDDEN, RNN_STEPS

    def build_numpy():
        Wxh, Whh, Why, bh, by = rnn_parameters()
        params = [Wxh, Whh, Why, bh[:, None], by[:, None]]  # Karpathy's column vectors
        memory = [np.zeros_like(p) for p in params]
        hprev = [np.zeros((H, 1))]

        def step(ids, targets):
            loss, grads, hprev[0] = _karpathy_loss(ids, targets, hprev[0], *params)
            _adagrad(params, memory, grads)
            return loss

        return step

    plans = []

    def build_autodiff():
        variables, loss, h = karpathy_graph(V, H, T)
        weights = variables[-5:]
        plan = ad.function([loss, *ad.grad(loss, weights), h], inputs=variables)
        plans.append(plan)
        params = rnn_parameters()
        memory = [np.zeros_like(p) for p in params]
        hprev = [np.zeros(H)]
        eye = np.eye(V)

        def step(ids, targets):
            loss, *grads, hprev[0] = plan(*eye[ids], *eye[targets], hprev[0], *params)
            for g in grads:
                np.clip(g, -RNN_CLIP, RNN_CLIP, out=g)
            _adagrad(params, memory, grads)
            return loss

        return step

    def inputs(rng):
        ids = rng.integers(0, V, T + 1)
        return ids[:-1], ids[1:]

    return Case(
        name="user: char-rnn step, Karpathy's form (65/100/25)",
        kind="user_char_rnn",
        data={},
        target="<= 0.7x; first <= 200 ms",
        inputs=inputs,
        builders={"numpy": build_numpy, "autodiff": build_autodiff},
        stateful=True,
        nodes=_plan_size(plans),
    )


# -- full Jacobian of tanh(W x) * (V x), W and V fed -----------------------------------------------
def jacobian_fed(n: int = 200) -> Case:
    def reference(x, W, V):
        t = np.tanh(W @ x)
        return ((1.0 - t * t) * (V @ x))[:, None] * W + t[:, None] * V

    plans = []

    def build_autodiff():
        x = ad.Variable(np.zeros(n), name="x")
        W, V = ad.Variable(np.zeros((n, n)), name="W"), ad.Variable(np.zeros((n, n)), name="V")
        plan = ad.function(ad.jacobian(ad.tanh(W @ x) * (V @ x), x), inputs=[x, W, V])
        plans.append(plan)
        return plan

    def inputs(rng):
        scale = 1 / np.sqrt(n)
        return (rng.standard_normal(n), rng.standard_normal((n, n)) * scale,
                rng.standard_normal((n, n)) * scale)

    return Case(
        name=f"user: jacobian tanh(Wx)*(Vx) n={n}, W and V fed",
        kind="user_jacobian",
        data={},
        target="<= 0.65x",
        inputs=inputs,
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=_plan_size(plans),
    )


# -- full Hessian of sum(log(1 + exp(A x))) + x.x/2, A fed -----------------------------------------
def _logistic_hessian(A, z):
    """By hand: A^T diag(s (1 - s)) A + I with s = sigmoid(z), z the margins A x (signed)."""
    s = 1.0 / (1.0 + np.exp(-z))
    H = A.T @ ((s * (1.0 - s))[:, None] * A)
    H.flat[:: A.shape[1] + 1] += 1.0
    return H


def logistic_hessian_fed(n: int) -> Case:
    def reference(x, A):
        return _logistic_hessian(A, A @ x)

    plans = []

    def build_autodiff():
        x = ad.Variable(np.zeros(n), name="x")
        A = ad.Variable(np.zeros((2 * n, n)), name="A")
        f = ad.sum(ad.log(1 + ad.exp(A @ x))) + x @ x / 2
        plan = ad.function(ad.hessian(f, x), inputs=[x, A])
        plans.append(plan)
        return plan

    def inputs(rng):
        return rng.standard_normal(n), rng.standard_normal((2 * n, n)) / np.sqrt(n)

    return Case(
        name=f"user: hessian logistic n={n}, A fed",
        kind="user_logistic_hessian",
        data={"n": n},
        target="<= 1.0x; first <= 20 ms",
        inputs=inputs,
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=_plan_size(plans),
    )


def logistic_regression_hessian_fed(n: int) -> Case:
    """The Hessian of a ridge logistic regression's loss on labels y in {0, 1}, A and y fed."""

    def reference(x, A, y):
        return _logistic_hessian(A, (2.0 * y - 1.0) * (A @ x))

    plans = []

    def build_autodiff():
        x = ad.Variable(np.zeros(n), name="x")
        A = ad.Variable(np.zeros((2 * n, n)), name="A")
        y = ad.Variable(np.zeros(2 * n), name="y")
        margins = (2 * y - 1) * (A @ x)
        loss = ad.sum(ad.logaddexp(0.0, -margins)) + 0.5 * ad.sum(x**2)
        plan = ad.function(ad.hessian(loss, x), inputs=[x, A, y])
        plans.append(plan)
        return plan

    def inputs(rng):
        A = rng.standard_normal((2 * n, n)) / np.sqrt(n)
        return rng.standard_normal(n), A, (rng.random(2 * n) < 0.5).astype(np.float64)

    return Case(
        name=f"user: hessian logistic regression n={n}, labels, logaddexp, A and y fed",
        kind="user_logistic_regression_hessian",
        data={"n": n},
        target="<= 1.0x; first <= 20 ms",
        inputs=inputs,
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=_plan_size(plans),
    )


def glm_step_fed(n: int, d: int) -> Case:
    """Loss, gradient and Hessian of a logistic regression written with softplus, X, y fed:
    the Newton step of examples/big_glm.py (its Hessian einsum ``ab,a,a,ac->bc`` is where
    opt_einsum's "auto" order took an (n, d, d) outer product)."""

    def reference(beta, X, y):
        z = X @ beta
        s = 1.0 / (1.0 + np.exp(-z))
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
        return loss, X.T @ (s - y) / n, X.T @ ((s * (1.0 - s) / n)[:, None] * X)

    plans = []

    def build_autodiff():
        beta = ad.Variable(np.zeros(d), name="beta")
        X, y = ad.Variable(np.zeros((n, d)), name="X"), ad.Variable(np.zeros(n), name="y")
        z = X @ beta
        loss = ad.mean(ad.softplus(z) - y * z)
        plan = ad.function([loss, ad.grad(loss, beta), ad.hessian(loss, beta)], inputs=[beta, X, y])
        plans.append(plan)
        return plan

    def inputs(rng):
        X = rng.standard_normal((n, d))
        return rng.standard_normal(d) * 0.1, X, (rng.random(n) < 0.5).astype(np.float64)

    return Case(
        name=f"user: logistic loss, gradient, Hessian n={n} d={d}, softplus, X and y fed",
        kind="user_glm_step",
        data={"n": n, "d": d},
        target="",
        inputs=inputs,
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=_plan_size(plans),
    )


def cases(quick: bool = False) -> list[Case]:
    return [
        logistic_hessian_fed(50),
        logistic_hessian_fed(200),
        logistic_regression_hessian_fed(200),
        mlp_hessian_fed(),
        mlp_hessian_fed(split=True),
        char_rnn_karpathy(),
        jacobian_fed(),
        glm_step_fed(2000, 20),
    ]
