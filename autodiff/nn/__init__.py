"""Neural-network building blocks: modules with named parameters, layers, losses, initialisers.

>>> import numpy as np, autodiff as ad
>>> from autodiff import nn
>>> model = nn.Sequential(nn.Linear(4, 8, rng=0), ad.tanh, nn.Linear(8, 3, rng=1))
>>> x = ad.Variable(np.ones((5, 4)), name="x")
>>> loss = nn.cross_entropy(model(x), np.array([0, 1, 2, 0, 1]))
>>> [name for name, _ in model.named_parameters()]
['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']
>>> grads = ad.grad(loss, model.parameters())
>>> [g.shape for g in grads]
[(4, 8), (8,), (8, 3), (3,)]
"""

from . import init
from .layers import (
    GRU,
    LSTM,
    RNN,
    AvgPool2d,
    CheckRange,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    GRUCell,
    LayerNorm,
    Linear,
    LSTMCell,
    MaxPool2d,
    Noise,
    RNNCell,
    check_range,
    resample,
)
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    l2_penalty,
    mse,
    multiclass_hinge,
    nll,
)
from .module import Module, Sequential, load, save

__all__ = [
    # modules and files
    "Module",
    "Sequential",
    "save",
    "load",
    "init",
    # layers
    "Linear",
    "Embedding",
    "LayerNorm",
    "Flatten",
    "Dropout",
    "Noise",
    "resample",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RNN",
    "LSTM",
    "GRU",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    # losses and checks
    "mse",
    "cross_entropy",
    "nll",
    "binary_cross_entropy_with_logits",
    "multiclass_hinge",
    "l2_penalty",
    "check_range",
    "CheckRange",
]
