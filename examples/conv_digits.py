"""A small convnet on scikit-learn's 8x8 digits: two 3x3 convolutions with max pooling, then a
linear read-out; Adam with a warm-up and cosine learning-rate schedule. Convolution is one einsum over a sliding-window view of the input.

    python examples/conv_digits.py           # about 98% test accuracy
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import autodiff as ad
from autodiff import nn, optim


def convnet(rng: np.random.Generator, channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1, rng=rng), ad.relu, nn.MaxPool2d(2),             # 8x8 -> 4x4
        nn.Conv2d(channels, 2 * channels, 3, padding=1, rng=rng), ad.relu, nn.MaxPool2d(2),  # 4x4 -> 2x2
        nn.Flatten(), nn.Linear(2 * channels * 4, 10, rng=rng),
    )


def main(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description="convnet on the 8x8 digits")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    digits = load_digits()
    images = (digits.images / 16.0)[:, None]  # (N, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.2, stratify=digits.target, random_state=args.seed
    )
    rng = np.random.default_rng(args.seed)
    model = convnet(rng, args.channels)
    xb = ad.Variable(np.zeros((args.batch, 1, 8, 8)), name="x")
    yb = ad.Variable(np.zeros(args.batch, np.int64), name="y")
    steps_per_epoch = len(x_train) // args.batch
    total = args.epochs * steps_per_epoch
    schedule = optim.cosine_decay(args.lr, total_steps=total, warmup_steps=total // 20)
    step = optim.TrainStep(nn.cross_entropy(model(xb), yb), optim.Adam(model.parameters(), lr=schedule), inputs=[xb, yb])

    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        losses = [step(x_train[i], y_train[i]) for i in np.split(order[: steps_per_epoch * args.batch], steps_per_epoch)]
    xt = ad.Variable(x_test, name="x_test")
    predict = ad.function(model(xt), inputs=[xt])
    result = {"loss": float(np.mean(losses)), "test_accuracy": float(np.mean(predict(x_test).argmax(axis=1) == y_test))}
    print(f"after {args.epochs} epochs: loss {result['loss']:.4f}, test accuracy {result['test_accuracy']:.2%}")
    return result


if __name__ == "__main__":
    main()
