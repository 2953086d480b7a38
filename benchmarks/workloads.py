"""The benchmark workloads: data, hand-written NumPy references, and the autodiff versions.

Every workload is a `Case`: `inputs(rng)` makes fresh arguments for one call, and `builders`
maps a framework name to a function that builds a callable taking those arguments (building
is part of the first-call time); "numpy" is the reference, written by hand here. The
versions for other frameworks live in `others.py` and are added when they can be imported.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

import autodiff as ad


@dataclasses.dataclass
class Case:
    name: str
    kind: str  # which workload: the other frameworks' versions are found by it
    data: dict  # the workload's arrays and sizes, shared by every framework
    target: str  # the target from the issue, as text for the table
    inputs: Callable[[np.random.Generator], tuple]
    builders: dict[str, Callable[[], Callable[..., Any]]]  # "numpy" is the reference
    stateful: bool = False  # a training step: each framework keeps its own parameters
    nodes: Callable[[], int] | None = None  # autodiff's plan size, for the table
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # framework -> why not run


# -- full Hessian of sum(log(1 + exp(A x))) + x.x/2 --------------------------------------------
def softplus_hessian(n: int) -> Case:
    rng = np.random.default_rng(n)
    A = rng.standard_normal((2 * n, n)) / np.sqrt(n)

    def reference(x):
        z = A @ x
        s = 1.0 / (1.0 + np.exp(-z))
        H = A.T @ ((s * (1.0 - s))[:, None] * A)
        H.flat[:: n + 1] += 1.0
        return H

    plans = []

    def build_autodiff():
        a = ad.Variable(A, name="A")
        x = ad.Variable(np.zeros(n), name="x")
        f = ad.sum(ad.log(1 + ad.exp(a @ x))) + ad.dot(x, x) / 2
        plan = ad.function(ad.hessian(f, x), inputs=[x])
        plans.append(plan)
        return plan

    return Case(
        name=f"hessian softplus n={n}",
        kind="softplus_hessian",
        data={"A": A},
        target="<= 1.2x" + ("; first <= 50 ms" if n == 200 else ""),
        inputs=lambda rng: (rng.standard_normal(n),),
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=lambda: plans[-1].node_count,
    )


# -- Hessian of an MLP's mean squared error w.r.t. all parameters as one flat vector ----------------
MLP_SIZES = (8, 16, 1)
MLP_BATCH = 32


def _mlp_split(theta, split):
    """(W1, b1, W2, b2) views of the flat parameter vector of the 8-16-1 MLP."""
    i, h, _ = MLP_SIZES
    W1 = split(theta, 0, i * h).reshape((i, h))
    b1 = split(theta, i * h, i * h + h)
    W2 = split(theta, i * h + h, i * h + 2 * h)
    b2 = split(theta, i * h + 2 * h, i * h + 2 * h + 1)
    return W1, b1, W2, b2


def mlp_hessian_reference(theta, X, y, Xa=None):
    """The MLP's Hessian by hand: J^T J plus the second-order terms, with W1 and b1 as one block.

    `Xa` is X with a column of ones (W1 and b1 as one (9, 16) block), made here unless given.
    """
    i, h, _ = MLP_SIZES
    B, P = X.shape[0], i * h + 2 * h + 1  # 161 parameters
    if Xa is None:
        Xa = np.hstack([X, np.ones((B, 1))])
    W1, b1, W2, b2 = _mlp_split(theta, lambda t, a, b: t[a:b])
    hid = np.tanh(X @ W1 + b1)  # (B, h)
    r = hid @ W2 + b2[0] - y  # residuals (B,)
    s = 1.0 - hid * hid  # tanh'
    ds = -2.0 * hid * s  # tanh''
    J = np.empty((B, P))  # d yhat_b / d theta
    J[:, : i * h + h] = (Xa[:, :, None] * (s * W2)[:, None, :]).reshape(B, -1)
    J[:, i * h + h : i * h + 2 * h] = hid
    J[:, -1] = 1.0
    H = J.T @ J
    c = r[:, None] * ds * W2  # (B, h)
    T = np.einsum("bj,bi,bk->ijk", c, Xa, Xa)  # (9, h, 9)
    I_h = np.eye(h)
    H[: i * h + h, : i * h + h] += np.einsum("ijk,jl->ijkl", T, I_h).reshape(i * h + h, i * h + h)
    M = np.einsum("b,bj,bi->ij", r, s, Xa)  # (9, h)
    cross = (M[:, :, None] * I_h).reshape(i * h + h, h)
    H[: i * h + h, i * h + h : i * h + 2 * h] += cross
    H[i * h + h : i * h + 2 * h, : i * h + h] += cross.T
    H *= 2.0 / B
    return H


def mlp_hessian() -> Case:
    i, h, _ = MLP_SIZES
    B = MLP_BATCH
    rng = np.random.default_rng(1)
    X = rng.standard_normal((B, i))
    y = rng.standard_normal(B)
    P = i * h + 2 * h + 1  # 161
    Xa = np.hstack([X, np.ones((B, 1))])  # made once: the data is fixed in this form

    def reference(theta):
        return mlp_hessian_reference(theta, X, y, Xa)

    plans = []

    def build_autodiff():
        theta = ad.Variable(np.zeros(P), name="theta")
        W1, b1, W2, b2 = _mlp_split(theta, lambda t, a, b: t[a:b])
        hid = ad.tanh(ad.Variable(X, name="X") @ W1 + b1)
        loss = ad.mean(ad.square(hid @ W2 + b2 - ad.Variable(y, name="y")))
        plan = ad.function(ad.hessian(loss, theta), inputs=[theta])
        plans.append(plan)
        return plan

    return Case(
        name="hessian MLP 8-16-1 (161 params)",
        kind="mlp_hessian",
        data={"X": X, "y": y},
        target="<= 3x",
        inputs=lambda rng: (rng.standard_normal(P) * 0.5,),
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=lambda: plans[-1].node_count,
    )


# -- k-th derivative of tanh at a scalar by nested grad -----------------------------------------------
def tanh_derivative_coefficients(k: int) -> np.ndarray:
    """Coefficients (highest degree first) of P_k with d^k/dx^k tanh(x) = P_k(tanh(x))."""
    p = np.polynomial.Polynomial([0.0, 1.0])
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    for _ in range(k):
        p = p.deriv() * one_minus_t2
    return p.coef[::-1]


def tanh_derivative(k: int) -> Case:
    coef = tanh_derivative_coefficients(k)
    odd = len(coef) % 2 == 0  # degree k+1: odd when k is even
    in_t2 = [float(c) for c in coef[::2]]  # P_k(t) = t**odd * Q(t*t); Q's coefficients, highest first

    def reference(x):
        t = np.tanh(x)
        s = t * t
        p = in_t2[0]
        for c in in_t2[1:]:
            p = p * s + c
        return p * t if odd else p

    plans = []

    def build_autodiff():
        x = ad.Variable(np.array(0.0), name="x")
        d = ad.tanh(x)
        for _ in range(k):
            d = ad.grad(d, x)
        plan = ad.function(d, inputs=[x])
        plans.append(plan)
        return plan

    return Case(
        name=f"d^{k}/dx^{k} tanh",
        kind="tanh_derivative",
        data={"k": k},
        target="first <= 50 ms; <= 5x; <= 100 nodes" if k == 8 else "",
        inputs=lambda rng: (np.array(rng.uniform(-2, 2)),),
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=lambda: plans[-1].node_count,
    )


# -- char-rnn training step ---------------------------------------------------------------------------
RNN_VOCAB, RNN_HIDDEN, RNN_STEPS = 65, 100, 25
RNN_LR, RNN_CLIP = 0.1, 5.0


def karpathy_graph(V: int, H: int, T: int) -> tuple[list[ad.Variable], ad.Node, ad.Node]:
    """min-char-rnn as Karpathy wrote it, as a graph: one Variable per time step for the
    one-hot input and the one-hot target ((V,) each), h0 and the five parameters Wxh, Whh,
    Why, bh, by. Returns the Variables (the order a plan takes them: the inputs, the targets,
    h0, the parameters), the loss and the last h."""
    xs = [ad.Variable(np.zeros(V), name=f"x{t}") for t in range(T)]
    ys = [ad.Variable(np.zeros(V), name=f"y{t}") for t in range(T)]
    h0 = ad.Variable(np.zeros(H), name="h0")
    shapes = [(H, V), (H, H), (V, H), (H,), (V,)]
    weights = [
        ad.Variable(np.zeros(s), name=n)
        for s, n in zip(shapes, "Wxh Whh Why bh by".split(), strict=True)
    ]
    Wxh, Whh, Why, bh, by = weights
    h, loss = h0, 0.0
    for t in range(T):
        h = ad.tanh(Wxh @ xs[t] + Whh @ h + bh)
        loss = loss - ad.sum(ys[t] * ad.log_softmax(Why @ h + by))
    return [*xs, *ys, h0, *weights], loss, h


def rnn_parameters(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    V, H = RNN_VOCAB, RNN_HIDDEN
    return [
        rng.standard_normal((H, V)) * 0.01,  # Wxh
        rng.standard_normal((H, H)) * 0.01,  # Whh
        rng.standard_normal((V, H)) * 0.01,  # Why
        np.zeros(H),  # bh
        np.zeros(V),  # by
    ]


def adagrad(params: list[np.ndarray], memory: list[np.ndarray], grads: list[np.ndarray]) -> None:
    """Clip each gradient to [-5, 5] and take an Adagrad step, in place."""
    for p, m, g in zip(params, memory, grads):
        g = np.clip(g, -RNN_CLIP, RNN_CLIP)
        m += g * g
        p -= RNN_LR * g / np.sqrt(m + 1e-8)


def rnn_inputs(rng):
    ids = rng.integers(0, RNN_VOCAB, RNN_STEPS + 1)
    return ids[:-1], ids[1:]


def char_rnn() -> Case:
    V, H, T = RNN_VOCAB, RNN_HIDDEN, RNN_STEPS
    rows = np.arange(T)

    def build_numpy():
        params = rnn_parameters()
        memory = [np.zeros_like(p) for p in params]
        hprev = [np.zeros(H)]

        def step(ids, targets):
            Wxh, Whh, Why, bh, by = params
            h0 = hprev[0]
            Xp = Wxh[:, ids].T + bh  # input projections of all steps at once
            hs = np.empty((T, H))
            h = h0
            for t in range(T):
                h = np.tanh(Xp[t] + Whh @ h)
                hs[t] = h
            logits = hs @ Why.T + by  # output projections of all steps at once
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            loss = -np.log(p[rows, targets]).sum()
            dy = p
            dy[rows, targets] -= 1.0
            dWhy = dy.T @ hs
            dby = dy.sum(axis=0)
            dhs = dy @ Why
            draw = np.empty((T, H))
            dhnext = np.zeros(H)
            for t in reversed(range(T)):
                dr = (1.0 - hs[t] * hs[t]) * (dhs[t] + dhnext)
                draw[t] = dr
                dhnext = Whh.T @ dr
            dWhh = draw.T @ np.vstack([h0[None], hs[:-1]])
            dbh = draw.sum(axis=0)
            dWxh = np.zeros_like(Wxh)
            np.add.at(dWxh.T, ids, draw)
            adagrad(params, memory, [dWxh, dWhh, dWhy, dbh, dby])
            hprev[0] = hs[-1]
            return loss

        return step

    plans = []

    def build_autodiff():
        params = [ad.Variable(p, name=n) for p, n in zip(rnn_parameters(), ["Wxh", "Whh", "Why", "bh", "by"])]
        Wxh, Whh, Why, bh, by = params
        ids = ad.Variable(np.zeros(T, dtype=np.int64), name="ids")
        onehot = ad.Variable(np.zeros((T, V)), name="targets")
        hprev = ad.Variable(np.zeros(H), name="hprev")
        Xp = ad.take(ad.transpose(Wxh), ids, axis=0) + bh  # (T, H)
        h, hs = hprev, []
        for t in range(T):
            h = ad.tanh(Xp[t] + Whh @ h)
            hs.append(h)
        logits = ad.stack(hs) @ ad.transpose(Why) + by
        loss = -ad.sum(onehot * ad.log_softmax(logits, axis=1))
        plan = ad.function([loss, hs[-1], *ad.grad(loss, params)], inputs=[ids, onehot, hprev])
        plans.append(plan)
        memory = [np.zeros(p.shape) for p in params]
        eye = np.eye(V)
        state = [np.zeros(H)]

        def step(ids_value, targets):
            loss_value, state[0], *grads = plan(ids_value, eye[targets], state[0])
            for p, m, g in zip(params, memory, grads):
                value = np.array(p.value)  # a Variable's value is read-only: update a copy
                adagrad([value], [m], [g])
                value.flags.writeable = False  # handed over to the Variable: no copy
                p.value = value
            return loss_value

        return step

    return Case(
        name="char-rnn step (65/100/25)",
        kind="char_rnn",
        data={},
        target="<= 1.0x; first <= 300 ms",
        inputs=rnn_inputs,
        builders={"numpy": build_numpy, "autodiff": build_autodiff},
        stateful=True,
        nodes=lambda: plans[-1].node_count,
    )


# -- MLP training step with SGD -----------------------------------------------------------------------
SGD_SIZES, SGD_BATCH, SGD_LR = (64, 128, 10), 64, 0.1


def sgd_parameters(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    i, h, o = SGD_SIZES
    return [rng.standard_normal((i, h)) / np.sqrt(i), np.zeros(h),
            rng.standard_normal((h, o)) / np.sqrt(h), np.zeros(o)]


def sgd_inputs(rng):
    i, _, o = SGD_SIZES
    return rng.standard_normal((SGD_BATCH, i)), rng.integers(0, o, SGD_BATCH)


def mlp_sgd() -> Case:
    B = SGD_BATCH
    rows = np.arange(B)

    def build_numpy():
        params = sgd_parameters()

        def step(X, labels):
            W1, b1, W2, b2 = params
            hid = np.tanh(X @ W1 + b1)
            logits = hid @ W2 + b2
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            loss = -np.log(p[rows, labels]).mean()
            dl = p
            dl[rows, labels] -= 1.0
            dl /= B
            dW2 = hid.T @ dl
            db2 = dl.sum(axis=0)
            dz = (dl @ W2.T) * (1.0 - hid * hid)
            dW1 = X.T @ dz
            db1 = dz.sum(axis=0)
            for p_, g in zip(params, [dW1, db1, dW2, db2]):
                p_ -= SGD_LR * g
            return loss

        return step

    plans = []

    def build_autodiff():
        params = [ad.Variable(p, name=n) for p, n in zip(sgd_parameters(), ["W1", "b1", "W2", "b2"])]
        W1, b1, W2, b2 = params
        X = ad.Variable(np.zeros((B, SGD_SIZES[0])), name="X")
        onehot = ad.Variable(np.zeros((B, SGD_SIZES[2])), name="Y")
        logits = ad.tanh(X @ W1 + b1) @ W2 + b2
        loss = -ad.mean(ad.sum(onehot * ad.log_softmax(logits, axis=1), axis=1))
        plan = ad.function([loss, *ad.grad(loss, params)], inputs=[X, onehot])
        plans.append(plan)
        eye = np.eye(SGD_SIZES[2])

        def step(X_value, labels):
            loss_value, *grads = plan(X_value, eye[labels])
            for p, g in zip(params, grads):
                value = p.value - SGD_LR * g
                value.flags.writeable = False  # handed over to the Variable: no copy
                p.value = value
            return loss_value

        return step

    return Case(
        name="MLP 64-128-10 SGD step",
        kind="mlp_sgd",
        data={},
        target="<= 1.1x",
        inputs=sgd_inputs,
        builders={"numpy": build_numpy, "autodiff": build_autodiff},
        stateful=True,
        nodes=lambda: plans[-1].node_count,
    )


# -- full Jacobian of tanh(W x) * (V x) ----------------------------------------------------------------
def jacobian_case(n: int = 200) -> Case:
    rng = np.random.default_rng(2)
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    V = rng.standard_normal((n, n)) / np.sqrt(n)

    def reference(x):
        t = np.tanh(W @ x)
        v = V @ x
        return ((1.0 - t * t) * v)[:, None] * W + t[:, None] * V

    plans = []

    def build_autodiff():
        x = ad.Variable(np.zeros(n), name="x")
        w, v = ad.Variable(W, name="W"), ad.Variable(V, name="V")
        plan = ad.function(ad.jacobian(ad.tanh(w @ x) * (v @ x), x), inputs=[x])
        plans.append(plan)
        return plan

    return Case(
        name=f"jacobian tanh(Wx)*(Vx) n={n}",
        kind="jacobian",
        data={"W": W, "V": V},
        target="<= 1.0x",
        inputs=lambda rng: (rng.standard_normal(n),),
        builders={"numpy": lambda: reference, "autodiff": build_autodiff},
        nodes=lambda: plans[-1].node_count,
    )


def all_cases(quick: bool = False) -> list[Case]:
    import user_forms  # the same problems written as users write them; it imports this module

    sizes = (50, 200) if quick else (50, 200, 500)
    orders = (1, 2, 4, 8) if quick else tuple(range(1, 11))
    return (
        [softplus_hessian(n) for n in sizes]
        + [mlp_hessian()]
        + [tanh_derivative(k) for k in orders]
        + [char_rnn(), mlp_sgd(), jacobian_case()]
        + user_forms.cases(quick)
    )
