"""Maximum-likelihood fit of a multivariate Gaussian by Newton's method, with exact Hessians.

The parameters are one vector theta: the mean, the log of the diagonal of a Cholesky factor L
of the covariance and L's strictly lower entries, so every theta gives a valid covariance
L @ L.T. The negative log-likelihood is written with `ad.linalg.slogdet` and `ad.linalg.solve`
(no inverse, no log of a determinant); `ad.grad` and `ad.hessian` give its derivatives as
graphs, planned once and evaluated at each Newton step (damped where the Hessian is not
positive definite, with a backtracking line search).

    python examples/gaussian_mle.py        # converges in about ten steps to the closed form
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

import autodiff as ad


def negative_log_likelihood(theta: ad.Node, x: np.ndarray) -> tuple[ad.Node, ad.Node, ad.Node]:
    """(mean NLL per point, mean, covariance) as Nodes of theta, for data x of shape (N, d)."""
    n, d = x.shape
    mean, log_diagonal, lower = theta[:d], theta[d : 2 * d], theta[2 * d :]
    rows, cols = np.tril_indices(d, -1)
    scatter = np.zeros((d * d, len(rows)))  # strictly lower entries into a flattened L
    scatter[rows * d + cols, np.arange(len(rows))] = 1.0
    factor = ad.reshape(scatter @ lower, (d, d)) + ad.exp(log_diagonal) * np.eye(d)
    cov = factor @ factor.T
    centred = ad.Constant(x) - mean  # (N, d)
    _, log_det = ad.linalg.slogdet(cov)
    squares = ad.sum(centred * ad.linalg.solve(cov, centred.T).T)  # sum of (x-mu)' S^-1 (x-mu)
    nll = 0.5 * (log_det + squares / n + d * np.log(2 * np.pi))
    return nll, mean, cov


def newton(x: np.ndarray, steps: int = 50, tol: float = 1e-10, quiet: bool = False) -> dict:
    """Minimize the NLL from the standard normal (theta = 0); a dict of the fit."""
    d = x.shape[1]
    theta = ad.Variable(np.zeros(2 * d + d * (d - 1) // 2), name="theta")
    nll, mean, cov = negative_log_likelihood(theta, x)
    g = ad.grad(nll, theta)
    H = ad.hessian(nll, theta)
    step_plan = ad.function([nll, g, H])
    value_plan = ad.function(nll)
    for iteration in range(steps):
        value, gradient, hessian = step_plan()
        size = float(np.linalg.norm(gradient))
        if not quiet:
            print(f"step {iteration:2d}  nll {float(value):.12f}  |grad| {size:.3e}")
        if size < tol:
            break
        damping = 0.0
        while True:  # Newton's direction, damped until the Hessian is positive definite
            try:
                np.linalg.cholesky(hessian + damping * np.eye(len(gradient)))
                break
            except np.linalg.LinAlgError:
                damping = max(2 * damping, 1e-3)
        direction = -np.linalg.solve(hessian + damping * np.eye(len(gradient)), gradient)
        start, t = theta.value.copy(), 1.0
        while True:  # backtracking: the NLL must decrease (Armijo)
            theta.value = start + t * direction
            if float(value_plan()) <= float(value) + 1e-4 * t * gradient @ direction or t < 1e-8:
                break
            t /= 2
    return {
        "mean": mean(),
        "cov": cov(),
        "nll": float(nll()),
        "iterations": iteration,
        "gradient_norm": size,
        "theta": theta.value.copy(),
    }


def main(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description="Gaussian maximum likelihood by Newton's method")
    p.add_argument("--points", type=int, default=400)
    p.add_argument("--dim", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    true_mean = rng.normal(size=args.dim)
    a = rng.normal(size=(args.dim, args.dim))
    true_cov = a @ a.T + 0.5 * np.eye(args.dim)
    x = rng.multivariate_normal(true_mean, true_cov, size=args.points)

    result = newton(x, quiet=args.quiet)
    closed_mean = x.mean(axis=0)
    closed_cov = np.cov(x, rowvar=False, bias=True)
    log_likelihood = ad.stats.multivariate_normal.logpdf(x, result["mean"], result["cov"])
    result["log_likelihood"] = float(ad.sum(log_likelihood)())
    if not args.quiet:
        print("mean        ", np.array2string(result["mean"], precision=6))
        print("closed form ", np.array2string(closed_mean, precision=6))
        print("max |cov - closed form|", float(np.max(np.abs(result["cov"] - closed_cov))))
        print(f"log-likelihood {result['log_likelihood']:.10f} (ad.stats.multivariate_normal)")
    result["x"] = x
    return result


if __name__ == "__main__":
    main()
