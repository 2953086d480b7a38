"""The user-written forms of `user_forms.py` in JAX, PyTorch, HIPS autograd and PyTensor.

Each peer is written the way a user of that framework writes it, with everything fed as an
argument at every call (x, A, y, X, theta, W, V; the char-rnn's one-hot inputs and targets, h0
and its parameters): JAX jits `jax.hessian` / `jax.jacfwd` of a function of all its inputs;
PyTorch calls `torch.func.hessian` / `torch.func.jacrev` (eager, float64, one thread); autograd
calls `autograd.hessian` / `autograd.jacobian` / `autograd.value_and_grad`; PyTensor compiles a
symbolic graph of input variables once, in its default mode, with `gradient.jacobian(...,
vectorize=True)` (of `pytensor.grad` for a Hessian) as the `others.py` builders have it:
`gradient.hessian` and the default `jacobian` loop over rows with a scan and are 1.5-40x slower.
PyTensor's first call in the table finds its compile cache (~/.pytensor) warm from an earlier
run; with a fresh one (2026-12-02, loaded 2-core machine) it took 9-28 s on the Hessians and the
Jacobian, 77 s on the MLP's Hessian and 136 s on the char-rnn step (numba compiling).
`others.py` imports this module and adds `BUILDERS` to its own.

The char-rnn step is Karpathy's min-char-rnn: a loop over the 25 time steps of a one-hot input
and target per step, the loss, the five gradients (clipped to [-5, 5], as his `lossFun` does)
and the last h computed by the framework, then his Adagrad update. JAX, autograd and PyTensor
compute (loss, grads, h) from parameters fed as NumPy arrays and the update runs in NumPy, as
in the autodiff version; PyTorch keeps its parameters as leaf tensors, calls `backward()` and
updates them under `torch.no_grad()`, the way its users write a training step.
"""

from __future__ import annotations

import numpy as np
import others
from workloads import RNN_CLIP, RNN_HIDDEN, RNN_LR, RNN_STEPS, RNN_VOCAB, _mlp_split, rnn_parameters

KINDS = (
    "user_logistic_hessian",
    "user_logistic_regression_hessian",
    "user_mlp_hessian",
    "user_char_rnn",
    "user_jacobian",
)


# -- the functions, written once for any NumPy-like module `np_` -----------------------------------
def _logistic(np_, x, A):
    return np_.sum(np_.log(1 + np_.exp(A @ x))) + x @ x / 2


def _logistic_regression(np_, x, A, y, logaddexp):
    margins = (2 * y - 1) * (A @ x)
    return np_.sum(logaddexp(0.0, -margins)) + 0.5 * np_.sum(x**2)


def _mlp(np_, theta, X, y):
    W1, b1, W2, b2 = _mlp_split(theta, lambda t, a, b: t[a:b])
    return np_.mean((np_.tanh(X @ W1 + b1) @ W2 + b2[0] - y) ** 2)


def _tanh_product(np_, x, W, V):
    return np_.tanh(W @ x) * (V @ x)


def _karpathy(np_, log_softmax, params, xs, ys, hprev):
    """Karpathy's forward pass: (loss, last h) from one-hot rows xs[t], ys[t]."""
    Wxh, Whh, Why, bh, by = params
    h, loss = hprev, 0.0
    for t in range(RNN_STEPS):
        h = np_.tanh(Wxh @ xs[t] + Whh @ h + bh)
        loss = loss - np_.sum(ys[t] * log_softmax(Why @ h + by))
    return loss, h


def _adagrad(params, memory, grads):
    """Karpathy's update, in place on NumPy arrays (the gradients come clipped)."""
    for p, m, g in zip(params, memory, grads, strict=True):
        m += g * g
        p -= RNN_LR * g / np.sqrt(m + 1e-8)


def _numpy_state():
    params = rnn_parameters()
    return params, [np.zeros_like(p) for p in params], [np.zeros(RNN_HIDDEN)], np.eye(RNN_VOCAB)


# -- JAX -------------------------------------------------------------------------------------------
def jax_user_logistic_hessian(data):
    jax, jnp = others._jax()
    hessian = jax.jit(jax.hessian(lambda x, A: _logistic(jnp, x, A)))
    return lambda x, A: np.asarray(hessian(x, A))


def jax_user_logistic_regression_hessian(data):
    jax, jnp = others._jax()
    hessian = jax.jit(
        jax.hessian(lambda x, A, y: _logistic_regression(jnp, x, A, y, jnp.logaddexp))
    )
    return lambda x, A, y: np.asarray(hessian(x, A, y))


def jax_user_mlp_hessian(data):
    jax, jnp = others._jax()
    hessian = jax.jit(jax.hessian(lambda theta, X, y: _mlp(jnp, theta, X, y)))
    return lambda theta, X, y: np.asarray(hessian(theta, X, y))


def jax_user_char_rnn(data):
    jax, jnp = others._jax()

    def loss_fun(params, xs, ys, hprev):
        return _karpathy(jnp, jax.nn.log_softmax, params, xs, ys, hprev)

    # one jitted function returning loss, grads and h, as Karpathy's lossFun; the Adagrad update
    # inside the jit as well (parameters kept as JAX arrays) measured 1.03x NumPy against 1.46x
    @jax.jit
    def step(params, xs, ys, hprev):  # loss, clipped grads, last h
        (loss, h), grads = jax.value_and_grad(loss_fun, has_aux=True)(params, xs, ys, hprev)
        return loss, [jnp.clip(g, -RNN_CLIP, RNN_CLIP) for g in grads], h

    params, memory, hprev, eye = _numpy_state()

    def run(ids, targets):
        loss, grads, h = step(params, eye[ids], eye[targets], hprev[0])
        _adagrad(params, memory, [np.asarray(g) for g in grads])
        hprev[0] = np.asarray(h)
        return float(loss)

    return run


def jax_user_jacobian(data):
    jax, jnp = others._jax()
    jacobian = jax.jit(jax.jacfwd(lambda x, W, V: _tanh_product(jnp, x, W, V)))
    return lambda x, W, V: np.asarray(jacobian(x, W, V))


# -- PyTorch ---------------------------------------------------------------------------------------
# torch.func.hessian / jacrev as its docs recommend. Eager torch.autograd.functional.hessian
# with vectorize=True measured 10-20% faster on the three Hessians, 2.5-9x slower without it; its
# jacobian 3x (vectorize=True) to 12x slower than torch.func.jacrev on the Jacobian.
def _tensors(torch, arrays):
    return [torch.from_numpy(a) for a in arrays]


def torch_user_logistic_hessian(data):
    torch = others._torch()
    hessian = torch.func.hessian(lambda x, A: _logistic(torch, x, A))
    return lambda *args: hessian(*_tensors(torch, args)).numpy()


def torch_user_logistic_regression_hessian(data):
    torch = others._torch()

    def logaddexp(a, b):
        return torch.logaddexp(torch.full_like(b, a), b)

    hessian = torch.func.hessian(lambda x, A, y: _logistic_regression(torch, x, A, y, logaddexp))
    return lambda *args: hessian(*_tensors(torch, args)).numpy()


def torch_user_mlp_hessian(data):
    torch = others._torch()
    hessian = torch.func.hessian(lambda theta, X, y: _mlp(torch, theta, X, y))
    return lambda *args: hessian(*_tensors(torch, args)).numpy()


def torch_user_char_rnn(data):
    torch = others._torch()
    params = [torch.tensor(p, requires_grad=True) for p in rnn_parameters()]
    memory = [torch.zeros_like(p) for p in params]
    hprev = [torch.zeros(RNN_HIDDEN, dtype=torch.float64)]
    eye = torch.eye(RNN_VOCAB, dtype=torch.float64)

    def run(ids, targets):
        xs, ys = eye[torch.from_numpy(ids)], eye[torch.from_numpy(targets)]
        loss, h = _karpathy(torch, lambda z: torch.log_softmax(z, 0), params, xs, ys, hprev[0])
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, m in zip(params, memory, strict=True):
                g = p.grad.clamp_(-RNN_CLIP, RNN_CLIP)
                m += g * g
                p -= RNN_LR * g / torch.sqrt(m + 1e-8)
        hprev[0] = h.detach()
        return loss.item()

    return run


def torch_user_jacobian(data):
    torch = others._torch()
    jacobian = torch.func.jacrev(lambda x, W, V: _tanh_product(torch, x, W, V))
    return lambda *args: jacobian(*_tensors(torch, args)).numpy()


# -- HIPS autograd ---------------------------------------------------------------------------------
def autograd_user_logistic_hessian(data):
    import autograd
    import autograd.numpy as anp

    return autograd.hessian(lambda x, A: _logistic(anp, x, A))


def autograd_user_logistic_regression_hessian(data):
    import autograd
    import autograd.numpy as anp

    return autograd.hessian(lambda x, A, y: _logistic_regression(anp, x, A, y, anp.logaddexp))


def autograd_user_mlp_hessian(data):
    import autograd
    import autograd.numpy as anp

    return autograd.hessian(lambda theta, X, y: _mlp(anp, theta, X, y))


def autograd_user_char_rnn(data):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
    from autograd.tracer import getval

    last_h = [None]

    def loss_fun(params, xs, ys, hprev):  # value_and_grad has no aux output: keep h aside
        loss, h = _karpathy(anp, lambda z: z - logsumexp(z), params, xs, ys, hprev)
        last_h[0] = getval(h)
        return loss

    value_and_grad = autograd.value_and_grad(loss_fun)
    params, memory, hprev, eye = _numpy_state()

    def run(ids, targets):
        loss, grads = value_and_grad(params, eye[ids], eye[targets], hprev[0])
        _adagrad(params, memory, [np.clip(g, -RNN_CLIP, RNN_CLIP) for g in grads])
        hprev[0] = last_h[0]
        return loss

    return run


def autograd_user_jacobian(data):
    import autograd
    import autograd.numpy as anp

    return autograd.jacobian(lambda x, W, V: _tanh_product(anp, x, W, V))


# -- PyTensor --------------------------------------------------------------------------------------
def _hessian(pytensor, gradient, loss, x):
    """The Jacobian of the gradient, vectorized as the `workloads.py` builders have it.

    `gradient.hessian(loss, x)` (and `gradient.jacobian` by default) loops over the rows with
    a scan: 10-13x slower on the logistic Hessians (n=200), 1.5x on the MLP's, 40x on the
    Jacobian (n=200), for about the same compile time; `vectorize=True` is the documented
    option that avoids the loop.
    """
    return gradient.jacobian(pytensor.grad(loss, x), x, vectorize=True)


def pytensor_user_logistic_hessian(data):
    pytensor, pt, gradient = others._pytensor()
    x, A = pt.dvector("x"), pt.dmatrix("A")
    return pytensor.function([x, A], _hessian(pytensor, gradient, _logistic(pt, x, A), x))


def pytensor_user_logistic_regression_hessian(data):
    pytensor, pt, gradient = others._pytensor()
    x, A, y = pt.dvector("x"), pt.dmatrix("A"), pt.dvector("y")
    loss = _logistic_regression(pt, x, A, y, pt.logaddexp)
    return pytensor.function([x, A, y], _hessian(pytensor, gradient, loss, x))


def pytensor_user_mlp_hessian(data):
    pytensor, pt, gradient = others._pytensor()
    theta, X, y = pt.dvector("theta"), pt.dmatrix("X"), pt.dvector("y")
    loss = _mlp(pt, theta, X, y)
    return pytensor.function([theta, X, y], _hessian(pytensor, gradient, loss, theta))


def pytensor_user_char_rnn(data):
    pytensor, pt, _ = others._pytensor()
    from pytensor.tensor.special import log_softmax

    xs, ys, hprev = pt.dmatrix("xs"), pt.dmatrix("ys"), pt.dvector("hprev")
    weights = [
        pt.dmatrix("Wxh"),
        pt.dmatrix("Whh"),
        pt.dmatrix("Why"),
        pt.dvector("bh"),
        pt.dvector("by"),
    ]
    loss, h = _karpathy(pt, log_softmax, weights, xs, ys, hprev)
    grads = [pt.clip(g, -RNN_CLIP, RNN_CLIP) for g in pytensor.grad(loss, weights)]
    step = pytensor.function([xs, ys, hprev, *weights], [loss, *grads, h])
    params, memory, hprev_value, eye = _numpy_state()

    def run(ids, targets):
        loss_value, *grad_values, hprev_value[0] = step(
            eye[ids], eye[targets], hprev_value[0], *params
        )
        _adagrad(params, memory, grad_values)
        return loss_value

    return run


def pytensor_user_jacobian(data):
    pytensor, pt, gradient = others._pytensor()
    x, W, V = pt.dvector("x"), pt.dmatrix("W"), pt.dmatrix("V")
    jacobian = gradient.jacobian(_tanh_product(pt, x, W, V), x, vectorize=True)
    return pytensor.function([x, W, V], jacobian)


BUILDERS = {
    (framework, kind): globals()[f"{framework}_{kind}"]
    for framework in ("jax", "torch", "autograd", "pytensor")
    for kind in KINDS
}
