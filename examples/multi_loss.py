"""Two heads, two losses, two optimizers, one plan.

A shared trunk reads an 8x8 digit; head A names the digit (cross-entropy), head B says whether
it is even (binary cross-entropy with logits). Each loss has its own optimizer with its own
update rule: Adam for the trunk and head A on loss A, Nesterov SGD for the trunk and head B
on loss B. `TrainStep` computes both losses and both sets of gradients in one plan (one
shared forward pass), then each optimizer applies its own gradients independently; the
trunk, which both optimizers hold, receives both updates.

    python examples/multi_loss.py
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import autodiff as ad
from autodiff import nn, optim


class TwoHeads(nn.Module):
    def __init__(self, hidden: int, rng: np.random.Generator):
        self.trunk = nn.Sequential(nn.Linear(64, hidden, rng=rng), ad.relu)
        self.digit = nn.Linear(hidden, 10, rng=rng)
        self.even = nn.Linear(hidden, 1, rng=rng)

    def forward(self, x: ad.Node) -> tuple[ad.Node, ad.Node]:
        features = self.trunk(x)
        return self.digit(features), ad.reshape(self.even(features), (-1,))


def main(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description="two heads, two losses, two optimizers")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, stratify=digits.target, random_state=args.seed
    )
    rng = np.random.default_rng(args.seed)
    model = TwoHeads(args.hidden, rng)

    xb = ad.Variable(np.zeros((args.batch, 64)), name="x")
    digit = ad.Variable(np.zeros(args.batch, np.int64), name="digit")
    even = ad.Variable(np.zeros(args.batch), name="even")
    digit_logits, even_logits = model(xb)
    loss_a = nn.cross_entropy(digit_logits, digit)
    loss_b = nn.binary_cross_entropy_with_logits(even_logits, even)
    opt_a = optim.Adam(model.trunk.parameters() + model.digit.parameters(), lr=2e-3)
    opt_b = optim.SGD(model.trunk.parameters() + model.even.parameters(), lr=0.02, momentum=0.9, nesterov=True)
    step = optim.TrainStep([loss_a, loss_b], [opt_a, opt_b], inputs=[xb, digit, even])

    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order) - args.batch + 1, args.batch):
            i = order[start : start + args.batch]
            losses = step(x_train[i], y_train[i], (y_train[i] % 2 == 0).astype(float))

    xt = ad.Variable(x_test, name="x_test")
    predict = ad.function(list(model(xt)), inputs=[xt])
    digit_out, even_out = predict(x_test)
    result = {"loss_a": losses[0], "loss_b": losses[1],
              "digit_accuracy": float(np.mean(digit_out.argmax(axis=1) == y_test)),
              "even_accuracy": float(np.mean((even_out > 0) == (y_test % 2 == 0)))}
    print(f"head A (which digit, Adam): loss {losses[0]:.4f}, test accuracy {result['digit_accuracy']:.2%}")
    print(f"head B (even or odd, Nesterov SGD): loss {losses[1]:.4f}, test accuracy {result['even_accuracy']:.2%}")
    return result


if __name__ == "__main__":
    main()
