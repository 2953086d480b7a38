"""Iris, two ways: a linear multiclass SVM (hinge loss + L2 penalty, SGD) and a small MLP (Adam).

    python examples/iris.py            # both reach at least 93% test accuracy
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

import autodiff as ad
from autodiff import nn, optim


def fit(model: nn.Module, loss_fn, optimizer: optim.Optimizer, x: np.ndarray, y: np.ndarray, epochs: int) -> float:
    """Full-batch training: one plan for the loss and gradients, `epochs` steps; the last loss."""
    xs = ad.Variable(x, name="x")
    ys = ad.Variable(y, name="y")
    step = optim.TrainStep(loss_fn(model(xs), ys), optimizer, inputs=[xs, ys])
    for _ in range(epochs):
        loss = step(x, y)
    return loss


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(model(ad.Constant(x))().argmax(axis=1) == y))


def main(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description="multiclass SVM and MLP on iris")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.2, stratify=iris.target, random_state=args.seed
    )
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    rng = np.random.default_rng(args.seed)

    svm = nn.Linear(4, 3, rng=rng)
    svm_loss = fit(
        svm,
        lambda scores, y: nn.multiclass_hinge(scores, y) + nn.l2_penalty([svm.weight], 1e-3),
        optim.SGD(svm.parameters(), lr=0.05, momentum=0.9),
        x_train, y_train, args.epochs,
    )
    mlp = nn.Sequential(nn.Linear(4, 16, rng=rng), ad.tanh, nn.Linear(16, 3, rng=rng))
    mlp_loss = fit(mlp, nn.cross_entropy, optim.Adam(mlp.parameters(), lr=0.01), x_train, y_train, args.epochs)

    result = {"svm_loss": svm_loss, "svm_test_accuracy": accuracy(svm, x_test, y_test),
              "mlp_loss": mlp_loss, "mlp_test_accuracy": accuracy(mlp, x_test, y_test)}
    print(f"SVM (hinge): loss {svm_loss:.4f}, test accuracy {result['svm_test_accuracy']:.2%}")
    print(f"MLP (cross-entropy): loss {mlp_loss:.4f}, test accuracy {result['mlp_test_accuracy']:.2%}")
    return result


if __name__ == "__main__":
    main()
