"""The main job: a Hessian tour, then a short char-rnn training on Python's own docs.

The tour builds a function, prints its gradient, a Jacobian, a Hessian (checked against
finite differences) and a 10th derivative of tanh. Then an LSTM learns the pydoc text that
ships with CPython for `--steps` steps and writes a sample.

Run: python examples/demo.py [--steps 500]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import char_rnn  # noqa: E402  (first: it sets the BLAS threads before NumPy loads)

import numpy as np  # noqa: E402

import autodiff as ad  # noqa: E402


def hessian_tour() -> None:
    rng = np.random.default_rng(0)

    x = ad.Variable(np.array(3.0), name="x")
    y = ad.Variable(np.array(4.0), name="y")
    z = x * y + ad.exp(x + 3)
    dx, dy = ad.grad(z, [x, y])
    print(f"z = x*y + exp(x+3) at x=3, y=4: {float(z()):.2f}")
    print(f"dz/dx = {float(dx()):.2f}, dz/dy = {float(dy()):.2f}, d2z/dx2 = {float(ad.grad(dx, x)()):.2f}")

    A = ad.Variable(rng.normal(size=(3, 4)), name="A")
    v = ad.Variable(rng.normal(size=4), name="v")
    J = ad.jacobian(ad.tanh(A @ v), v)
    print(f"\nJacobian of tanh(A v) w.r.t. v, shape {J.shape}, {ad.count_nodes(J)} nodes:")
    print(np.array2string(J(), precision=3))

    f = ad.sum(ad.softplus(A @ v)) + 0.5 * ad.sum(v * v)
    H = ad.hessian(f, v)
    print(f"\nHessian of sum(softplus(A v)) + |v|^2/2, shape {H.shape}, {ad.count_nodes(H)} nodes:")
    print(np.array2string(H(), precision=3))
    ad.check_grads(lambda a, b: ad.sum(ad.softplus(a @ b)) + 0.5 * ad.sum(b * b), [A.value, v.value], order=3)
    print("check_grads to order 3 against finite differences: passed")

    t = ad.Variable(np.array(0.5), name="t")
    d = ad.tanh(t)
    for _ in range(10):
        d = ad.grad(d, t)
    print(f"\n10th derivative of tanh at 0.5: {float(d()):.6g} "
          f"({ad.count_nodes(d)} nodes as built, {ad.count_nodes(ad.simplify(d))} after ad.simplify)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Hessian tour and a short char-rnn training")
    parser.add_argument("--steps", type=int, default=500, help="char-rnn training steps (0: skip)")
    args = parser.parse_args(argv)
    hessian_tour()
    if args.steps:
        print(f"\nchar-rnn: an LSTM learns Python's pydoc text for {args.steps} steps")
        char_rnn.main([
            "--model", "lstm", "--hidden", "256", "--seq-len", "64", "--batch", "32",
            "--steps", str(args.steps), "--eval-every", str(max(args.steps // 3, 1)),
            "--eval-batches", "8", "--sample-every", "0", "--generate", "300",
        ])


if __name__ == "__main__":
    main()
