"""Decoupled training with synthetic gradients (Jaderberg et al., 2017) on the 8x8 digits.

An MLP of two blocks: block 1 (64 -> hidden, ReLU) and block 2 (hidden -> hidden -> 10).
Plain backprop trains both from the loss. The decoupled version trains block 1 from a
*predicted* gradient instead: a synthetic-gradient module (one linear layer, zero at the
start) reads block 1's output h and predicts dL/dh, so block 1 updates as soon as h exists,
without waiting for block 2's backward pass. Block 2 trains from the loss, and the module
learns to match the true dL/dh, which block 2's pass gives. Each part has its own optimizer
and its own plan (three plans, each built once):

    block 1:   h, d(h . s)/d(params 1) with s = module(h)   (the synthetic gradient as the seed)
    block 2:   loss, dL/dh, dL/d(params 2)                  (h fed in)
    module:    |module(h) - dL/dh|^2 and its gradient       (the true gradient fed in)

A third run keeps block 1 at its random weights, which shows what the predicted gradient
adds (on digits, random ReLU features are already good: the margin is small).

    python examples/synthetic_gradients.py                # the three runs, side by side
    python examples/synthetic_gradients.py --plot loss.png
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

import autodiff as ad
from autodiff import nn, optim


def make_blocks(hidden: int, rng: np.random.Generator) -> tuple[nn.Module, nn.Module]:
    block1 = nn.Sequential(nn.Linear(64, hidden, rng=rng), ad.relu)
    block2 = nn.Sequential(nn.Linear(hidden, hidden, rng=rng), ad.relu, nn.Linear(hidden, 10, rng=rng))
    return block1, block2


def accuracy(block1: nn.Module, block2: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    xs = ad.Variable(x, name="x")
    logits = ad.function(block2(block1(xs)), inputs=[xs])(x)
    return float(np.mean(logits.argmax(axis=1) == y))


def batches(rng: np.random.Generator, n: int, size: int) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[i : i + size] for i in range(0, n - size + 1, size)]


def backprop(args, data, bar, train_block1: bool = True) -> tuple[float, list[float]]:
    """Plain backprop: one plan, the true gradient for every block (Adam each); without
    `train_block1`, block 1 keeps its random weights (what the decoupled run must beat)."""
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(args.seed)
    block1, block2 = make_blocks(args.hidden, rng)
    xb = ad.Variable(np.zeros((args.batch, 64)), name="x")
    yb = ad.Variable(np.zeros(args.batch, np.int64), name="y")
    loss = nn.cross_entropy(block2(block1(xb)), yb)
    opt2 = optim.Adam(block2.parameters(), lr=args.lr)
    if train_block1:  # each block's own optimizer on the same loss: two pairs, one plan
        opt1 = optim.Adam(block1.parameters(), lr=args.lr)
        step = optim.TrainStep([loss, loss], [opt1, opt2], inputs=[xb, yb])
    else:
        step = optim.TrainStep([loss], [opt2], inputs=[xb, yb])
    history = []
    for _ in range(args.epochs):
        losses = [step(x_train[i], y_train[i])[0] for i in batches(rng, len(x_train), args.batch)]
        history.append(float(np.mean(losses)))
        bar.update()
    return accuracy(block1, block2, x_test, y_test), history


def decoupled(args, data, bar) -> tuple[float, list[float], list[float]]:
    """Block 1 from the synthetic gradient, block 2 from the loss, the module from dL/dh."""
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(args.seed)
    block1, block2 = make_blocks(args.hidden, rng)
    synthetic = nn.Linear(args.hidden, args.hidden, rng=rng)
    for p in synthetic.parameters():  # predicts no gradient at first, as in the paper
        p.value = np.zeros(p.shape)

    # block 1: its output and its update from the predicted gradient of each row (mean over
    # the batch, as the loss is), without block 2
    xb = ad.Variable(np.zeros((args.batch, 64)), name="x")
    h = block1(xb)
    predicted = ad.stop_gradient(synthetic(h)) / args.batch
    block1_step = ad.function([h, *ad.grad(h, block1.parameters(), seed=predicted)], inputs=[xb])

    # block 2: the loss, its gradients, and the true gradient at h for the module to learn
    hb = ad.Variable(np.zeros((args.batch, args.hidden)), name="h")
    yb = ad.Variable(np.zeros(args.batch, np.int64), name="y")
    loss = nn.cross_entropy(block2(hb), yb)
    true_grad, *grads2 = ad.grad(loss, [hb, *block2.parameters()])
    block2_step = ad.function([loss, true_grad * args.batch, *grads2], inputs=[hb, yb])

    # the synthetic-gradient module: regression onto the true gradient of each row
    target = ad.Variable(np.zeros((args.batch, args.hidden)), name="dL_dh")
    sg_loss = ad.mean(ad.sum((synthetic(hb) - target) ** 2, axis=1))
    sg_step = optim.TrainStep(sg_loss, optim.Adam(synthetic.parameters(), lr=args.sg_lr), inputs=[hb, target])

    opt1 = optim.Adam(block1.parameters(), lr=args.lr)
    opt2 = optim.Adam(block2.parameters(), lr=args.lr)
    history, sg_history = [], []
    for _ in range(args.epochs):
        losses, sg_losses = [], []
        for i in batches(rng, len(x_train), args.batch):
            h_value, *grads1 = block1_step(x_train[i])
            opt1.step(grads1)  # block 1 is done with this batch: it never waits for block 2
            loss_value, dh, *grads2_values = block2_step(h_value, y_train[i])
            opt2.step(grads2_values)
            sg_losses.append(sg_step(h_value, dh))
            losses.append(float(loss_value))
        history.append(float(np.mean(losses)))
        sg_history.append(float(np.mean(sg_losses)))
        bar.update()
    return accuracy(block1, block2, x_test, y_test), history, sg_history


def plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    epochs = np.arange(1, len(result["backprop_loss"]) + 1)
    ax.plot(epochs, result["backprop_loss"], marker=".", label="backprop: training loss")
    ax.plot(epochs, result["synthetic_loss"], marker=".", label="synthetic gradients: training loss")
    ax.plot(epochs, result["frozen_loss"], marker=".", label="block 1 frozen: training loss")
    ax.plot(epochs, result["module_loss"], marker=".", linestyle=":", label="module: |predicted - true dL/dh|^2")
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
    ax.set_title("digits MLP: backprop vs decoupled block 1")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(
        description="digits MLP trained with backprop and with synthetic gradients for block 1",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--epochs", type=int, default=30, help="passes over the training set, each run")
    p.add_argument("--batch", type=int, default=32, help="rows per step")
    p.add_argument("--hidden", type=int, default=128, help="width of both blocks")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate for the blocks")
    p.add_argument("--sg-lr", type=float, default=1e-2, help="Adam's learning rate for the synthetic-gradient module")
    p.add_argument("--seed", type=int, default=0, help="data split and initialization")
    p.add_argument("--plot", metavar="PNG", help="draw the loss curves into this file (needs matplotlib)")
    p.add_argument("--small", action="store_true", help="small settings for a quick check (15 epochs, hidden 64)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.small:
        args.epochs, args.hidden = 15, 64

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, stratify=digits.target, random_state=args.seed
    )
    data = (x_train, y_train, x_test, y_test)
    with tqdm(total=3 * args.epochs, unit="epoch", disable=args.quiet, dynamic_ncols=True) as bar:
        bar.set_description("backprop")
        backprop_accuracy, backprop_loss = backprop(args, data, bar)
        bar.set_description("synthetic gradients")
        synthetic_accuracy, synthetic_loss, module_loss = decoupled(args, data, bar)
        bar.set_description("block 1 frozen")
        frozen_accuracy, frozen_loss = backprop(args, data, bar, train_block1=False)
    result = {
        "backprop_test_accuracy": backprop_accuracy,
        "synthetic_test_accuracy": synthetic_accuracy,
        "frozen_test_accuracy": frozen_accuracy,
        "backprop_loss": backprop_loss,
        "synthetic_loss": synthetic_loss,
        "frozen_loss": frozen_loss,
        "module_loss": module_loss,
    }
    print(f"after {args.epochs} epochs, hidden {args.hidden}:  backprop  synthetic gradients  block 1 frozen")
    print(f"training loss               {backprop_loss[-1]:8.4f}  {synthetic_loss[-1]:19.4f}  {frozen_loss[-1]:14.4f}")
    print(f"test accuracy               {backprop_accuracy:8.2%}  {synthetic_accuracy:19.2%}  {frozen_accuracy:14.2%}")
    if args.plot:
        plot(result, args.plot)
        print(f"loss curves in {args.plot}")
    return result


if __name__ == "__main__":
    main()
