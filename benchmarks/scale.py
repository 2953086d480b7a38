"""How graph size scales: ``python benchmarks/scale.py [--quick] [--only TEXT]``.

Builds three families of graphs at growing sizes, differentiates, simplifies and plans each,
and prints one table with each phase's time and peak memory (tracemalloc, in a second run of
the same phase, so the times are not slowed by it) and the time per node, which stays flat
where a phase is linear in the graph size. Sizes are counted in nodes of the graph that is
differentiated plus its derivative (what `simplify` reads).

- chain: ``y = sin(y)`` applied n times to one scalar, and dy/dx (a deep graph);
- wide: ``sum_i sin(v[i]) * v[i + 1]`` over the elements of one vector (a wide graph of
  indexed elements whose derivative is thousands of scatters into one array);
- leaves: ``sum_i tanh(x_i) * x_{i+1}`` over n scalar Variables, and the gradient with respect
  to all of them (a graph of many leaves and many outputs).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import autodiff as ad
from autodiff.simplification import simplify_in_order


def chain(n: int):
    x = ad.Variable(np.array(0.3), name="x")
    y = x
    for _ in range(n):
        y = ad.sin(y)
    return [y], [x]


def wide(n: int):
    v = ad.Variable(np.linspace(-1.0, 1.0, n + 1), name="v")
    return [sum(ad.sin(v[i]) * v[i + 1] for i in range(n))], [v]


def leaves(n: int):
    xs = [ad.Variable(np.array(0.01 * i), name=f"x{i}") for i in range(n + 1)]
    return [sum(ad.tanh(xs[i]) * xs[i + 1] for i in range(n))], xs


# nodes per unit of n in forward graph + derivative (measured; sizes are chosen with them)
FAMILIES = {"chain": (chain, 3), "wide": (wide, 9), "leaves": (leaves, 7)}
PHASES = ("build", "grad", "simplify", "plan")


def phases(family, n: int):
    """The four phases as functions, each taking what the one before returned."""
    state: dict = {}

    def build():
        state["outputs"], state["wrt"] = family(n)

    def grad():
        state["grads"] = ad.grad(state["outputs"][0], state["wrt"])

    def simplify():
        state["simplified"], _ = simplify_in_order(state["outputs"] + state["grads"])

    def plan():
        state["plan"] = ad.function(state["simplified"], simplify=False)

    return state, [build, grad, simplify, plan]


def measure(family, n: int) -> dict:
    """Seconds and peak MiB per phase, and the node counts before and after simplifying."""
    result: dict = {}
    for traced in (False, True):
        state, steps = phases(family, n)
        for name, step in zip(PHASES, steps):
            gc.collect()
            if traced:
                tracemalloc.start()
            start = time.perf_counter()
            step()
            seconds = time.perf_counter() - start
            if traced:
                result[name + " MiB"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            else:
                result[name] = seconds
        result["nodes"] = ad.count_nodes(state["outputs"] + state["grads"])
        result["simplified"] = ad.count_nodes(state["simplified"])
        value = state["plan"]()
        reference = ad.eval(state["outputs"] + state["grads"])
        assert all(np.allclose(a, b) for a, b in zip(value, reference)), "the plan is wrong"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 10^3 to 10^4 nodes")
    parser.add_argument("--only", default="", help="run the families whose name has this")
    args = parser.parse_args()
    sizes = (1_000, 3_000, 10_000) if args.quick else (10_000, 30_000, 100_000)
    print("| graph | nodes | simplified | build | grad | simplify | plan | "
          "simplify us/node | peak MiB (build/grad/simplify/plan) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (family, per_n) in FAMILIES.items():
        if args.only not in name:
            continue
        for size in sizes:
            r = measure(family, max(1, size // per_n))
            times = " | ".join(f"{r[p]:.2f} s" for p in PHASES)
            memory = " / ".join(f"{r[p + ' MiB']:.0f}" for p in PHASES)
            per_node = 1e6 * r["simplify"] / r["nodes"]
            row = f"| {name} | {r['nodes']} | {r['simplified']} | {times} | {per_node:.0f} |"
            print(f"{row} {memory} |", flush=True)


if __name__ == "__main__":
    main()
