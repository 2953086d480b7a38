"""The first rows of the op-case table: elementwise, einsum, shape, reductions and nn."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autodiff as ad
from autodiff.nn import check_range
from autodiff.ops.window import windows

from . import Case, _normal, _positive


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


IDS = np.array([[2, 0], [1, 2]])
REPEATS = np.array([0, 2, 0, 1])
MASK = np.array([True, False, True])

SMOOTH_UNARY = [
    ("exp", ad.exp, np.exp, _normal),
    ("log", ad.log, np.log, _positive),
    ("log1p", ad.log1p, np.log1p, _positive),
    ("expm1", ad.expm1, np.expm1, _normal),
    ("sqrt", ad.sqrt, np.sqrt, _positive),
    ("square", ad.square, np.square, _normal),
    ("sin", ad.sin, np.sin, _normal),
    ("cos", ad.cos, np.cos, _normal),
    ("tanh", ad.tanh, np.tanh, _normal),
    ("arctan", ad.arctan, np.arctan, _normal),
    ("sigmoid", ad.sigmoid, _sigmoid, _normal),
    ("softplus", ad.softplus, lambda x: np.log1p(np.exp(x)), _normal),
    ("pow 3", lambda x: x ** 3, lambda x: x ** 3, _normal),
    ("pow -1.5", lambda x: x ** -1.5, lambda x: x ** -1.5, _positive),
    ("negative", lambda x: -x, np.negative, _normal),
]

CASES: list[Case] = [
    Case(name, fn, ref, [(2, 3)], order=3, make=make) for name, fn, ref, make in SMOOTH_UNARY
] + [
    # elementwise, binary with broadcasting
    Case("add", lambda x, y: x + y, np.add, [(3, 1), (4,)], order=3),
    Case("subtract", lambda x, y: x - y, np.subtract, [(3, 4), (4,)], order=3),
    Case("multiply", lambda x, y: x * y, np.multiply, [(2, 1, 3), (4, 1)], order=3),
    Case("divide", lambda x, y: x / y, np.divide, [(3, 4), (4,)], order=3, make=_positive),
    Case("power", lambda x, y: x ** y, np.power, [(3,), (2, 3)], order=3, make=_positive),
    Case("scalar on the left", lambda x: 2.0 - x / 3.0, lambda x: 2.0 - x / 3.0, [(3,)]),
    Case("array on the left", lambda x: np.arange(3.0) * x, lambda x: np.arange(3.0) * x, [(2, 3)]),
    # elementwise, not smooth everywhere (random points are away from the kinks)
    Case("abs", ad.abs, np.abs, [(2, 3)]),
    Case("sign", lambda x: ad.sign(x) * x, lambda x: np.sign(x) * x, [(2, 3)]),
    Case("relu", ad.relu, lambda x: np.maximum(x, 0), [(2, 3)]),
    Case("leaky_relu", lambda x: ad.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x), [(2, 3)]),
    Case("clip", lambda x: ad.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), [(3, 4)]),
    Case("clip one side", lambda x: ad.clip(x, None, 0.5) * ad.clip(x, -0.5, None), lambda x: np.clip(x, None, 0.5) * np.clip(x, -0.5, None), [(3, 4)]),
    Case("clip array bounds", lambda x, lo, hi: ad.clip(x, lo - 1.0, hi + 1.0), lambda x, lo, hi: np.clip(x, lo - 1.0, hi + 1.0), [(3, 4), (4,), (3, 1)]),
    Case("stop_gradient", lambda x: x * ad.stop_gradient(ad.Constant(np.arange(3.0))), lambda x: x * np.arange(3.0), [(2, 3)]),
    Case("maximum", ad.maximum, np.maximum, [(3, 1), (4,)]),
    Case("minimum", ad.minimum, np.minimum, [(3, 4), (3, 4)]),
    Case("where", lambda x, y: ad.where(x > y, x * y, y), lambda x, y: np.where(x > y, x * y, y), [(3, 4), (4,)]),
    Case("where of numbers", lambda x: ad.where(x > 0, 1.0, -1.0) * x, lambda x: np.where(x > 0, 1.0, -1.0) * x, [(3, 4)]),
    Case(
        "comparisons",
        lambda x, y: ad.where(ad.less(x, y) * ad.less_equal(x, 1.0) * ad.greater_equal(y, -5.0), x, y)
        + ad.where(ad.equal(x, x) * ad.not_equal(x, y) * ad.greater(y, -9.0), y, x),
        lambda x, y: np.where((x < y) & (x <= 1) & (y >= -5), x, y) + np.where(x != y, y, x),
        [(3, 4), (3, 4)],
    ),
    Case("astype", lambda x: ad.astype(ad.astype(x, np.longdouble) * 2, np.float64) * ad.astype(x > 0, np.float64) + ad.sum(x > 0), lambda x: (x.astype(np.longdouble) * 2).astype(np.float64) * (x > 0).astype(np.float64) + np.sum(x > 0), [(3, 4)]),
    # einsum: the contraction primitive
    Case("einsum matrix-vector", lambda a, v: ad.einsum("ij,j->i", a, v), lambda a, v: a @ v, [(3, 4), (4,)]),
    Case("einsum trace", lambda a: ad.einsum("ii->", a), lambda a: np.einsum("ii->", a), [(3, 3)]),
    Case("einsum diagonal", lambda a: ad.einsum("ii->i", a), np.diag, [(3, 3)]),
    Case("einsum diag times vector", lambda a, b: ad.einsum("ii,i->i", a, b), lambda a, b: np.diag(a) * b, [(3, 3), (3,)]),
    Case("einsum sum inside one operand", lambda a, b: ad.einsum("ij,k->ik", a, b), lambda a, b: np.einsum("ij,k->ik", a, b), [(3, 4), (2,)]),
    Case("einsum same operand twice", lambda a: ad.einsum("ij,ij->", a, a), lambda a: np.einsum("ij,ij->", a, a), [(3, 4)], order=3),
    Case("einsum same operand, matrix square", lambda a: ad.einsum("ij,jk->ik", a, a), lambda a: a @ a, [(3, 3)], order=3),
    Case("einsum ellipsis", lambda a, b: ad.einsum("...ij,jk->...ik", a, b), lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    Case("einsum size-1 broadcast", lambda a, b: ad.einsum("ij,ij->ij", a, b), lambda a, b: a * b, [(3, 1), (3, 4)]),
    Case("einsum repeated in 3-d", lambda a: ad.einsum("iij->j", a), lambda a: np.einsum("iij->j", a), [(3, 3, 2)], order=3),
    Case("einsum three operands", lambda a, b, c: ad.einsum("ij,jk,kl->il", a, b, c), lambda a, b, c: a @ b @ c, [(2, 3), (3, 4), (4, 2)], order=3),
    Case("einsum implicit output", lambda a, b: ad.einsum("ij,jk", a, b), lambda a, b: a @ b, [(2, 3), (3, 4)]),
    # factories that build einsums
    Case("sum", lambda x: ad.sum(x), np.sum, [(3, 4)]),
    Case("sum axis keepdims", lambda x: ad.sum(x, axis=(0, 2), keepdims=True), lambda x: np.sum(x, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    Case("mean axis", lambda x: ad.mean(x, axis=-1), lambda x: np.mean(x, axis=-1), [(3, 4)]),
    Case("mean", ad.mean, np.mean, [(3, 4)]),
    Case("transpose", lambda x: ad.transpose(x, (2, 0, 1)), lambda x: np.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    Case(".T", lambda x: x.T, lambda x: x.T, [(2, 3)]),
    Case(".mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), [(2, 3, 4)]),
    Case("matmul batched broadcast", lambda a, b: a @ b, np.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
    Case("matmul vector", lambda a, b: a @ b, np.matmul, [(4,), (2, 4, 3)]),
    Case("dot", ad.dot, np.dot, [(2, 3), (3,)]),
    Case("dot n-d", ad.dot, np.dot, [(2, 3), (4, 3, 2)]),
    Case("vdot", ad.vdot, np.vdot, [(2, 3), (3, 2)]),
    Case("outer", ad.outer, np.outer, [(2, 2), (3,)]),
    Case("inner", ad.inner, np.inner, [(2, 3), (4, 3)]),
    Case("trace", lambda x: ad.trace(x, axis1=1, axis2=2), lambda x: np.trace(x, axis1=1, axis2=2), [(2, 3, 3)]),
    Case("trace offset, rectangular", lambda x: ad.trace(x, -1), lambda x: np.trace(x, -1), [(4, 3)]),
    Case("diagonal", lambda x: ad.diagonal(x, axis1=0, axis2=2), lambda x: np.diagonal(x, axis1=0, axis2=2), [(3, 2, 3)]),
    Case("diagonal offset, rectangular", lambda x: ad.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0), [(2, 3, 4)]),
    Case("diagonal outside the array", lambda x: ad.diagonal(x, 5), lambda x: np.diagonal(x, 5), [(2, 3)]),
    Case("tensordot", lambda a, b: ad.tensordot(a, b, axes=([0, 2], [1, 0])), lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])), [(2, 3, 4), (4, 2, 5)]),
    Case("broadcast_to", lambda x: ad.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    # shape
    Case("reshape", lambda x: ad.reshape(x, (4, -1)), lambda x: np.reshape(x, (4, -1)), [(2, 3, 2)]),
    Case("expand_dims squeeze", lambda x: ad.squeeze(ad.expand_dims(x, 1) * 2, 1), lambda x: x * 2, [(3, 4)]),
    Case("ravel", ad.ravel, np.ravel, [(2, 3)]),
    Case("slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [(3, 5)]),
    Case("index int, None, ellipsis", lambda x: x[..., 1, None], lambda x: x[..., 1, None], [(2, 3, 4)]),
    Case("index int array with repeats", lambda x: x[REPEATS], lambda x: x[REPEATS], [(3, 4)]),
    Case("index two arrays", lambda x: x[:, REPEATS, REPEATS[::-1]], lambda x: x[:, REPEATS, REPEATS[::-1]], [(2, 3, 3)]),
    Case("index bool mask", lambda x: x[MASK], lambda x: x[MASK], [(3, 2)]),
    Case("take by node (embedding)", lambda e: e[ad.Constant(IDS)], lambda e: e[IDS], [(3, 4)]),
    Case("take axis 1", lambda e: ad.take(e, ad.Variable(IDS), axis=1), lambda e: np.take(e, IDS, axis=1), [(2, 3)]),
    Case("concatenate", lambda x, y: ad.concatenate([x, y, x], axis=1), lambda x, y: np.concatenate([x, y, x], 1), [(2, 3), (2, 1)]),
    Case("stack", lambda x, y: ad.stack([x, y], axis=-1), lambda x, y: np.stack([x, y], -1), [(2, 3), (2, 3)]),
    Case("split", lambda x: ad.split(x, [1, 3], axis=1)[1] * 2, lambda x: np.split(x, [1, 3], 1)[1] * 2, [(2, 4)]),
    Case("pad", lambda x: ad.pad(x, ((1, 0), (2, 1))), lambda x: np.pad(x, ((1, 0), (2, 1))), [(2, 3)]),
    # reductions and nn
    Case("max axis", lambda x: ad.max(x, axis=1), lambda x: np.max(x, axis=1), [(3, 4)]),
    Case("max keepdims", lambda x: ad.max(x, axis=(0, 2), keepdims=True), lambda x: np.max(x, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    Case("min", ad.min, np.min, [(3, 4)]),
    Case("var", lambda x: ad.var(x, axis=0, ddof=1), lambda x: np.var(x, axis=0, ddof=1), [(4, 3)], order=3),
    Case("std", lambda x: ad.std(x, axis=1, keepdims=True), lambda x: np.std(x, axis=1, keepdims=True), [(3, 4)], order=3),
    Case("norm 2", ad.norm, np.linalg.norm, [(3, 4)], order=3),
    Case("norm 2, 3-d", ad.norm, np.linalg.norm, [(2, 3, 2)]),
    Case("norm 1", lambda x: ad.norm(x, 1), lambda x: np.linalg.norm(x, 1), [(4,)]),
    Case("norm inf", lambda x: ad.norm(x, np.inf, axis=0), lambda x: np.linalg.norm(x, np.inf, axis=0), [(3, 4)]),
    Case("norm -inf and 0", lambda x: ad.norm(x, -np.inf, axis=1) + ad.norm(x, 0, axis=1), lambda x: np.linalg.norm(x, -np.inf, axis=1) + np.linalg.norm(x, 0, axis=1), [(3, 4)]),
    Case("norm p", lambda x: ad.norm(x, 3, axis=-1, keepdims=True), lambda x: np.linalg.norm(x, 3, axis=-1, keepdims=True), [(3, 4)], order=3),
    Case("matrix norm fro", lambda x: ad.norm(x, "fro", axis=(2, 0), keepdims=True), lambda x: np.linalg.norm(x, "fro", axis=(2, 0), keepdims=True), [(2, 3, 4)]),
    Case("matrix norm 1", lambda x: ad.norm(x, 1), lambda x: np.linalg.norm(x, 1), [(3, 4)]),
    Case("matrix norm -1", lambda x: ad.norm(x, -1, axis=(2, 1)), lambda x: np.linalg.norm(x, -1, axis=(2, 1)), [(2, 3, 4)]),
    Case("matrix norm inf", lambda x: ad.norm(x, np.inf), lambda x: np.linalg.norm(x, np.inf), [(3, 4)]),
    Case("matrix norm -inf", lambda x: ad.norm(x, -np.inf, axis=(0, 2), keepdims=True), lambda x: np.linalg.norm(x, -np.inf, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    Case("logsumexp", lambda x: ad.logsumexp(x, axis=1), lambda x: _logsumexp(x, axis=1), [(3, 4)], order=3),
    Case("logsumexp keepdims", lambda x: ad.logsumexp(x, axis=(0, 2), keepdims=True), lambda x: _logsumexp(x, axis=(0, 2), keepdims=True), [(2, 3, 2)]),
    Case("softmax", lambda x: ad.softmax(x, axis=0), lambda x: np.exp(x - _logsumexp(x, 0, True)), [(3, 4)], order=3),
    Case("log_softmax", ad.log_softmax, lambda x: x - _logsumexp(x, -1, True), [(3, 4)], order=3),
    # sliding windows (convolutions, pooling) and label checks
    Case("windows", lambda x: windows(x, (3, 2), (2, 1)), lambda x: sliding_window_view(x, (3, 2), axis=(-2, -1))[..., ::2, :, :, :], [(2, 5, 4)], order=3),
    Case("check_range", lambda x: x * check_range(ad.Constant(np.array([0, 2, 1])), 3, "ids"), lambda x: x * np.array([0, 2, 1]), [(2, 3)]),
    # checkpointed segments: recomputed in the backward pass
    Case("checkpoint", lambda x, w: ad.checkpoint(lambda h: ad.tanh(h @ w) * h)(x), lambda x, w: np.tanh(x @ w) * x, [(2, 3), (3, 3)], order=3),
    Case("checkpoint, two outputs", lambda x: ad.sum(ad.stack(ad.checkpoint(lambda h: [ad.sin(h), h * h])(x)), axis=0), lambda x: np.sin(x) + x * x, [(2, 3)]),
]
