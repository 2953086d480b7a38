"""The same workloads in JAX (jit), PyTorch (eager, torch.func), HIPS autograd and PyTensor.

None of these is required: `available()` lists those that import, and each builder imports
its framework only when it runs. Every version computes what the NumPy reference computes,
in float64 on one thread, from the same data (`Case.data`).
"""

from __future__ import annotations

import importlib.util

import numpy as np

import workloads as W


def available() -> list[str]:
    """The optional frameworks that can be imported here."""
    names = ["jax", "torch", "autograd", "pytensor"]
    return [name for name in names if importlib.util.find_spec(name) is not None]


def skipped(framework: str, case: W.Case) -> str | None:
    """Why `framework` does not run `case`, if it does not (measured here, not guessed)."""
    if framework == "pytensor" and case.kind == "tanh_derivative" and case.data["k"] > 8:
        return "compiling takes 49 s at k=9, over 8 min at k=10"
    return None


def add_builders(cases: list[W.Case], frameworks: list[str]) -> None:
    """Add each wanted framework's builder to the cases it implements (and records skips)."""
    for case in cases:
        for framework in frameworks:
            make = BUILDERS.get((framework, case.kind))
            reason = skipped(framework, case)
            if reason is not None:
                case.skipped[framework] = reason
            elif make is not None:
                case.builders[framework] = lambda make=make, case=case: make(case.data)


# -- JAX -----------------------------------------------------------------------------------------------
def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax, jax.numpy


def jax_softplus_hessian(data):
    jax, jnp = _jax()
    A = jnp.asarray(data["A"])
    hessian = jax.jit(jax.hessian(lambda x, A: jnp.sum(jnp.log(1 + jnp.exp(A @ x))) + x @ x / 2))
    return lambda x: np.asarray(hessian(x, A))


def _mlp_loss(np_, theta, X, y):
    W1, b1, W2, b2 = W._mlp_split(theta, lambda t, a, b: t[a:b])
    hid = np_.tanh(X @ W1 + b1)
    return np_.mean((hid @ W2 + b2[0] - y) ** 2)


def jax_mlp_hessian(data):
    jax, jnp = _jax()
    X, y = jnp.asarray(data["X"]), jnp.asarray(data["y"])
    hessian = jax.jit(jax.hessian(lambda theta, X, y: _mlp_loss(jnp, theta, X, y)))
    return lambda theta: np.asarray(hessian(theta, X, y))


def jax_tanh_derivative(data):
    jax, jnp = _jax()
    f = jnp.tanh
    for _ in range(data["k"]):
        f = jax.grad(f)
    f = jax.jit(f)
    return lambda x: np.asarray(f(x))


def _log_softmax(np_, logits):
    shifted = logits - np_.max(logits, axis=1, keepdims=True)
    return shifted - np_.log(np_.sum(np_.exp(shifted), axis=1, keepdims=True))


def _rnn_loss(np_, params, ids, targets, hprev, stack, log_softmax=None):
    Wxh, Whh, Why, bh, by = params
    Xp = Wxh[:, ids].T + bh
    h, hs = hprev, []
    for t in range(W.RNN_STEPS):
        h = np_.tanh(Xp[t] + Whh @ h)
        hs.append(h)
    logits = stack(hs) @ Why.T + by
    logp = log_softmax(logits) if log_softmax else _log_softmax(np_, logits)
    return -np_.sum(logp[np_.arange(W.RNN_STEPS), targets]), h


def jax_char_rnn(data):
    jax, jnp = _jax()

    def loss(params, ids, targets, hprev):
        return _rnn_loss(jnp, params, ids, targets, hprev, jnp.stack, lambda z: jax.nn.log_softmax(z, axis=1))

    @jax.jit
    def step(params, memory, ids, targets, hprev):
        (value, h), grads = jax.value_and_grad(loss, has_aux=True)(params, ids, targets, hprev)
        new_params, new_memory = [], []
        for p, m, g in zip(params, memory, grads):
            g = jnp.clip(g, -W.RNN_CLIP, W.RNN_CLIP)
            m = m + g * g
            new_params.append(p - W.RNN_LR * g / jnp.sqrt(m + 1e-8))
            new_memory.append(m)
        return value, h, new_params, new_memory

    state = [[jnp.asarray(p) for p in W.rnn_parameters()], None, jnp.zeros(W.RNN_HIDDEN)]
    state[1] = [jnp.zeros_like(p) for p in state[0]]

    def run(ids, targets):
        value, state[2], state[0], state[1] = step(state[0], state[1], ids, targets, state[2])
        return float(value)

    return run


def jax_mlp_sgd(data):
    jax, jnp = _jax()

    def loss(params, X, labels):
        W1, b1, W2, b2 = params
        logits = jnp.tanh(X @ W1 + b1) @ W2 + b2
        return -jnp.mean(jax.nn.log_softmax(logits, axis=1)[jnp.arange(W.SGD_BATCH), labels])

    @jax.jit
    def step(params, X, labels):
        value, grads = jax.value_and_grad(loss)(params, X, labels)
        return value, [p - W.SGD_LR * g for p, g in zip(params, grads)]

    state = [[jnp.asarray(p) for p in W.sgd_parameters()]]

    def run(X, labels):
        value, state[0] = step(state[0], X, labels)
        return float(value)

    return run


def jax_jacobian(data):
    jax, jnp = _jax()
    Wm, Vm = jnp.asarray(data["W"]), jnp.asarray(data["V"])
    jacobian = jax.jit(jax.jacfwd(lambda x, Wm, Vm: jnp.tanh(Wm @ x) * (Vm @ x)))
    return lambda x: np.asarray(jacobian(x, Wm, Vm))


# -- PyTorch ---------------------------------------------------------------------------------------------
def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


def torch_softplus_hessian(data):
    torch = _torch()
    A = torch.from_numpy(data["A"])
    hessian = torch.func.hessian(lambda x: torch.sum(torch.log(1 + torch.exp(A @ x))) + x @ x / 2)
    return lambda x: hessian(torch.from_numpy(x)).numpy()


def torch_mlp_hessian(data):
    torch = _torch()
    X, y = torch.from_numpy(data["X"]), torch.from_numpy(data["y"])
    hessian = torch.func.hessian(lambda theta: _mlp_loss(torch, theta, X, y))
    return lambda theta: hessian(torch.from_numpy(theta)).numpy()


def torch_tanh_derivative(data):
    torch = _torch()

    def run(x):
        x = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
        d = torch.tanh(x)
        for i in range(data["k"]):
            (d,) = torch.autograd.grad(d, x, create_graph=i < data["k"] - 1)
        return d.detach().numpy()

    return run


def torch_char_rnn(data):
    torch = _torch()
    params = [torch.tensor(p, requires_grad=True) for p in W.rnn_parameters()]
    memory = [torch.zeros_like(p) for p in params]
    hprev = [torch.zeros(W.RNN_HIDDEN, dtype=torch.float64)]

    def stack(hs):
        return torch.stack(hs)

    def run(ids, targets):
        value, h = _rnn_loss(torch, params, torch.from_numpy(ids), torch.from_numpy(targets), hprev[0], stack,
                             lambda z: torch.log_softmax(z, 1))
        for p in params:
            p.grad = None
        value.backward()
        with torch.no_grad():
            for p, m in zip(params, memory):
                g = p.grad.clamp(-W.RNN_CLIP, W.RNN_CLIP)
                m += g * g
                p -= W.RNN_LR * g / torch.sqrt(m + 1e-8)
        hprev[0] = h.detach()
        return value.item()

    return run


def torch_mlp_sgd(data):
    torch = _torch()
    params = [torch.tensor(p, requires_grad=True) for p in W.sgd_parameters()]
    rows = torch.arange(W.SGD_BATCH)

    def run(X, labels):
        W1, b1, W2, b2 = params
        logits = torch.tanh(torch.from_numpy(X) @ W1 + b1) @ W2 + b2
        value = -torch.log_softmax(logits, dim=1)[rows, torch.from_numpy(labels)].mean()
        for p in params:
            p.grad = None
        value.backward()
        with torch.no_grad():
            for p in params:
                p -= W.SGD_LR * p.grad
        return value.item()

    return run


def torch_jacobian(data):
    torch = _torch()
    Wm, Vm = torch.from_numpy(data["W"]), torch.from_numpy(data["V"])
    jacobian = torch.func.jacrev(lambda x: torch.tanh(Wm @ x) * (Vm @ x))
    return lambda x: jacobian(torch.from_numpy(x)).numpy()


# -- HIPS autograd -------------------------------------------------------------------------------------------
def autograd_softplus_hessian(data):
    import autograd
    import autograd.numpy as anp

    A = data["A"]
    return autograd.hessian(lambda x: anp.sum(anp.log(1 + anp.exp(A @ x))) + x @ x / 2)


def autograd_mlp_hessian(data):
    import autograd
    import autograd.numpy as anp

    return autograd.hessian(lambda theta: _mlp_loss(anp, theta, data["X"], data["y"]))


def autograd_tanh_derivative(data):
    import autograd
    import autograd.numpy as anp

    f = anp.tanh
    for _ in range(data["k"]):
        f = autograd.grad(f)
    return lambda x: np.asarray(f(float(x)))


def autograd_char_rnn(data):
    import autograd
    import autograd.numpy as anp

    params = W.rnn_parameters()
    memory = [np.zeros_like(p) for p in params]
    hprev = [np.zeros(W.RNN_HIDDEN)]
    seed = np.zeros(W.RNN_HIDDEN + 1)
    seed[0] = 1.0

    def loss_and_state(params, ids, targets, h0):  # [loss, h_last...]: one vjp gives both
        value, h = _rnn_loss(anp, params, ids, targets, h0, anp.stack)
        return anp.concatenate([anp.reshape(value, (1,)), h])

    def run(ids, targets):
        vjp, out = autograd.make_vjp(loss_and_state)(params, ids, targets, hprev[0])
        W.adagrad(params, memory, list(vjp(seed)))
        hprev[0] = out[1:]
        return out[0]

    return run


def autograd_mlp_sgd(data):
    import autograd
    import autograd.numpy as anp

    params = W.sgd_parameters()
    rows = np.arange(W.SGD_BATCH)

    def loss(params, X, labels):
        W1, b1, W2, b2 = params
        logits = anp.tanh(X @ W1 + b1) @ W2 + b2
        return -anp.mean(_log_softmax(anp, logits)[rows, labels])

    value_and_grad = autograd.value_and_grad(loss)

    def run(X, labels):
        value, grads = value_and_grad(params, X, labels)
        for p, g in zip(params, grads):
            p -= W.SGD_LR * g
        return value

    return run


def autograd_jacobian(data):
    import autograd
    import autograd.numpy as anp

    Wm, Vm = data["W"], data["V"]
    return autograd.jacobian(lambda x: anp.tanh(Wm @ x) * (Vm @ x))


# -- PyTensor ---------------------------------------------------------------------------------------------
def _pytensor():
    import pytensor
    import pytensor.tensor as pt
    from pytensor import gradient

    return pytensor, pt, gradient


def pytensor_softplus_hessian(data):
    pytensor, pt, gradient = _pytensor()
    x = pt.dvector("x")
    A = pytensor.shared(data["A"], name="A")
    f = pt.sum(pt.log(1 + pt.exp(A @ x))) + x @ x / 2
    return pytensor.function([x], gradient.jacobian(pytensor.grad(f, x), x, vectorize=True))


def pytensor_mlp_hessian(data):
    pytensor, pt, gradient = _pytensor()
    theta = pt.dvector("theta")
    X, y = pytensor.shared(data["X"]), pytensor.shared(data["y"])
    loss = _mlp_loss(pt, theta, X, y)
    return pytensor.function([theta], gradient.jacobian(pytensor.grad(loss, theta), theta, vectorize=True))


def pytensor_tanh_derivative(data):
    pytensor, pt, _ = _pytensor()
    x = pt.dscalar("x")
    d = pt.tanh(x)
    for _ in range(data["k"]):
        d = pytensor.grad(d, x)
    return pytensor.function([x], d)


def pytensor_char_rnn(data):
    pytensor, pt, _ = _pytensor()
    params = [pytensor.shared(p) for p in W.rnn_parameters()]
    memory = [pytensor.shared(np.zeros_like(p.get_value())) for p in params]
    ids, targets, hprev = pt.lvector("ids"), pt.lvector("targets"), pt.dvector("hprev")
    value, h = _rnn_loss(pt, params, ids, targets, hprev, pt.stack)
    updates = []
    for p, m, g in zip(params, memory, pytensor.grad(value, params)):
        g = pt.clip(g, -W.RNN_CLIP, W.RNN_CLIP)
        m_new = m + g * g
        updates += [(m, m_new), (p, p - W.RNN_LR * g / pt.sqrt(m_new + 1e-8))]
    step = pytensor.function([ids, targets, hprev], [value, h], updates=updates)
    state = [np.zeros(W.RNN_HIDDEN)]

    def run(ids_value, targets_value):
        loss, state[0] = step(ids_value, targets_value, state[0])
        return loss

    return run


def pytensor_mlp_sgd(data):
    pytensor, pt, _ = _pytensor()
    params = [pytensor.shared(p) for p in W.sgd_parameters()]
    X, labels = pt.dmatrix("X"), pt.lvector("labels")
    W1, b1, W2, b2 = params
    logits = pt.tanh(X @ W1 + b1) @ W2 + b2
    value = -pt.mean(_log_softmax(pt, logits)[pt.arange(W.SGD_BATCH), labels])
    updates = [(p, p - W.SGD_LR * g) for p, g in zip(params, pytensor.grad(value, params))]
    return pytensor.function([X, labels], value, updates=updates)


def pytensor_jacobian(data):
    pytensor, pt, gradient = _pytensor()
    x = pt.dvector("x")
    Wm, Vm = pytensor.shared(data["W"]), pytensor.shared(data["V"])
    return pytensor.function([x], gradient.jacobian(pt.tanh(Wm @ x) * (Vm @ x), x, vectorize=True))


BUILDERS = {
    (framework, kind): globals()[f"{framework}_{kind}"]
    for framework in ("jax", "torch", "autograd", "pytensor")
    for kind in ("softplus_hessian", "mlp_hessian", "tanh_derivative", "char_rnn", "mlp_sgd", "jacobian")
}

# the forms of user_forms.py (issue 11)
import others_user  # noqa: E402  (it uses the helpers above)

BUILDERS.update(others_user.BUILDERS)
