"""Rows for custom gradients: functions whose rule is their true derivative, so every check of
the table (values, finite differences to third order, batched cotangents) holds for them."""

from __future__ import annotations

import numpy as np

import autodiff as ad

from . import Case


@ad.custom_gradient
def tanh_by_rule(x):
    y = ad.tanh(x)
    return y, lambda g: g * (1 - y * y)


@ad.custom_gradient(batched=True)
def tanh_by_batched_rule(x):
    y = ad.tanh(x)
    return y, lambda g: g * (1 - y * y)


@ad.custom_gradient
def product_and_sum(x, y):
    return (x * y, x + y), lambda g_product, g_sum: (
        g_product * y + g_sum,
        ad.sum(g_product * x + g_sum, axis=0),
    )


@ad.custom_gradient
def matvec(a, v):
    return a @ v, lambda g: (ad.einsum("i,j->ij", g, v), ad.einsum("i,ij->j", g, a))


CASES: list[Case] = [
    Case("custom_gradient", lambda x: tanh_by_rule(x) * x, lambda x: np.tanh(x) * x, [(2, 3)], order=3),
    Case("custom_gradient batched", lambda x: tanh_by_batched_rule(x) ** 2, lambda x: np.tanh(x) ** 2, [(2, 3)], order=3),
    Case(
        "custom_gradient two outputs",
        lambda x, y: product_and_sum(x, y)[0] * product_and_sum(x, y)[1],
        lambda x, y: (x * y) * (x + y),
        [(2, 3), (3,)],
        order=3,
    ),
    Case("custom_gradient matvec", lambda a, v: ad.sin(matvec(a, v)), lambda a, v: np.sin(a @ v), [(3, 4), (4,)], order=3),
    Case("scale_gradient by 1", lambda x: ad.scale_gradient(ad.sin(x), 1.0) * x, lambda x: np.sin(x) * x, [(2, 3)], order=3),
    Case("clip_gradient wide", lambda x: ad.exp(ad.clip_gradient(x, -1e9, 1e9)), np.exp, [(3,)], order=3),
]
