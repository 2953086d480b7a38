"""Per-call overhead of plans (issue 11): many inputs, many small nodes, the call itself.

    python benchmarks/overhead.py            # everything (~1 min)
    python benchmarks/overhead.py --quick    # fewer rounds and sizes (~15 s)

Every case is a plan and a hand-written NumPy reference doing the same work, timed in
interleaved rounds (the order rotating; a fresh set of input arrays at each call, from a pool):
the table gives the median time per call of each, the ratio (median over rounds of autodiff's
time over NumPy's time in the same round), and what the difference costs per input or per line.

- "inputs": plans with 50-200 small inputs, everything fed: Karpathy's char-rnn forward pass
  (one Variable per time step for the one-hot input and the one-hot target, shape (65,), h0 and
  the five parameters), and ``sum of x_i * w_i`` over (10,) vectors. The reference is the loop a
  user writes over lists of arrays. "inputs only": a plan taking the same inputs that computes
  ``x_0 * 2`` against ``def f(*arrays): return arrays[0] * 2``, timed in the same rounds;
  "per input" = the difference of those two / the number of inputs: what an input costs a call.
- "lines": graphs of 500-1000 small nodes (scalars and (10,) vectors): a random expression graph
  and a deep chain. The reference is the same graph written as straight-line NumPy (one line per
  node). "per line" = time / lines of the plan (autodiff) and of the reference (NumPy).
- "call": the cost of the call itself: x -> x * 2 on a (10,) vector, and a plan that keeps
  buffers between calls (so a call takes its lock). The reference is ``def f(x): return x * 2``
  (and its NumPy equivalent); "plan function" is the plan's generated function called
  directly, without `Function.__call__` and the lock (an internal, for measuring only); "call
  cost" = the median over rounds of the difference.
- "convert": values the plan converts at each call (float32 or int64 arrays into a float64
  input, Python numbers into a 0-d input) against NumPy doing the same conversion.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import autodiff as ad  # noqa: E402
from workloads import karpathy_graph  # noqa: E402  (this folder is on sys.path when run)

V, H = 65, 100  # Karpathy's vocabulary and hidden size


def interleaved(calls: dict, pool: list, rounds: int, budget: float) -> dict[str, list[float]]:
    """Time per call of each of `calls` in each of `rounds` interleaved rounds (the order
    rotating), each call on the next arguments of `pool`."""
    inner = {}
    for name, fn in calls.items():
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 0.005 or n < 3:
            fn(*pool[n % len(pool)])
            n += 1
        per_call = (time.perf_counter() - start) / n
        inner[name] = max(1, int(budget / (rounds * len(calls)) / per_call))
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    k = 0
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn, n = calls[name], inner[name]
            args = [pool[(k + j) % len(pool)] for j in range(n)]
            k += n
            start = time.perf_counter()
            for a in args:
                fn(*a)
            samples[name].append((time.perf_counter() - start) / n)
    return samples


def ratio(a: list[float], b: list[float]) -> float:
    """The median over rounds of a / b (robust to the machine's load drifting)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def difference(a: list[float], b: list[float]) -> float:
    """The median over rounds of a - b."""
    return statistics.median(x - y for x, y in zip(a, b, strict=True))


def _agree(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


# -- many inputs -----------------------------------------------------------------------------------
def char_rnn_forward(T: int):
    """Karpathy's forward pass, T steps: 2T one-hot inputs of shape (65,), h0 and 5 weights."""
    variables, loss, h = karpathy_graph(V, H, T)
    plan = ad.function([loss, h], inputs=variables)

    def reference(*arrays):
        xs, ys = arrays[:T], arrays[T : 2 * T]
        h, Wxh, Whh, Why, bh, by = arrays[2 * T :]
        loss = 0.0
        for x, y in zip(xs, ys, strict=True):
            h = np.tanh(Wxh @ x + Whh @ h + bh)
            z = Why @ h + by
            z = z - z.max()
            loss = loss - np.sum(y * (z - np.log(np.sum(np.exp(z)))))
        return [np.asarray(loss), h]

    rng = np.random.default_rng(0)
    eye = np.eye(V)

    def arrays():
        ids = rng.integers(0, V, 2 * T)
        params = [rng.standard_normal(s) * 0.1 for s in [(H,), *shapes]]
        return (*eye[ids], *params)

    return f"char-rnn forward T={T}", plan, reference, arrays, 2 * T + 6


def dot_of_inputs(n: int):
    """sum_i x_i * w_i over (10,) vectors, n inputs in all (n/2 x's and n/2 w's), all fed."""
    half = n // 2
    xs = [ad.Variable(np.zeros(10), name=f"x{i}") for i in range(half)]
    ws = [ad.Variable(np.zeros(10), name=f"w{i}") for i in range(half)]
    total = xs[0] * ws[0]
    for x, w in zip(xs[1:], ws[1:], strict=True):
        total = total + x * w
    plan = ad.function(ad.sum(total), inputs=[*xs, *ws])

    def reference(*arrays):
        xs, ws = arrays[:half], arrays[half:]
        total = xs[0] * ws[0]
        for x, w in zip(xs[1:], ws[1:], strict=True):
            total = total + x * w
        return np.sum(total)

    rng = np.random.default_rng(1)
    return f"sum x_i*w_i, {n} inputs", plan, reference, lambda: tuple(rng.random((n, 10))), n


# -- many small nodes ------------------------------------------------------------------------------
_UNARY = {"tanh": ad.tanh, "sin": ad.sin, "cos": ad.cos}
_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def random_graph(size: int, seed: int = 0):
    """A random expression graph of about `size` nodes over 4 scalar and 4 (10,) inputs
    (values in [-1, 1]); its sinks are added up, so that every node is used. A value that
    may exceed 4 in magnitude goes through tanh, so that the graph stays well conditioned
    (the plan may add up in another order than the reference)."""
    rng = np.random.default_rng(seed)
    shapes = [(), (), (), (), (10,), (10,), (10,), (10,)]
    leaves = [ad.Variable(np.zeros(s), name=f"x{i}") for i, s in enumerate(shapes)]
    nodes = list(leaves)
    bound = [1.0] * len(leaves)  # a bound on each node's magnitude
    lines = []  # the reference's straight-line code, one line per node
    read: set[int] = set()
    while len(nodes) < size:
        window = range(max(0, len(nodes) - 24), len(nodes))
        if rng.random() < 0.4 or bound[-1] > 4:
            op = "tanh" if bound[-1] > 4 else str(rng.choice(list(_UNARY)))
            i = len(nodes) - 1 if bound[-1] > 4 else int(rng.choice(window))
            nodes.append(_UNARY[op](nodes[i]))
            bound.append(1.0)
            lines.append(f"v{len(nodes) - 1} = np.{op}(v{i})")
            read.add(i)
        else:
            op = str(rng.choice(list(_BINARY)))
            i, j = (int(k) for k in rng.choice(window, 2, replace=False))
            nodes.append(_BINARY[op](nodes[i], nodes[j]))
            bound.append(bound[i] * bound[j] if op == "*" else bound[i] + bound[j])
            lines.append(f"v{len(nodes) - 1} = v{i} {op} v{j}")
            read.update((i, j))
    sinks = [k for k in range(len(leaves), len(nodes)) if k not in read]
    total = nodes[sinks[0]]
    lines.append(f"s = v{sinks[0]}")
    for k in sinks[1:]:
        total = total + nodes[k]
        lines.append(f"s = s + v{k}")
    lines.append("return np.sum(s)")
    out = ad.sum(total)
    plan = ad.function(out, inputs=leaves)
    reference = _compile(lines, len(leaves))
    data = np.random.default_rng(seed + 1)

    def arrays():
        return tuple(data.uniform(-1, 1, s) for s in shapes)

    return f"random graph, {size} nodes", plan, reference, arrays, len(lines)


def deep_chain(steps: int):
    """h = tanh(h * a + x) `steps` times: x (10,), a a scalar, 3 nodes a step."""
    x, a = ad.Variable(np.zeros(10), name="x"), ad.Variable(np.zeros(()), name="a")
    h = x
    lines = ["h = v0"]
    for _ in range(steps):
        h = ad.tanh(h * a + x)
        lines += ["h = h * v1", "h = h + v0", "h = np.tanh(h)"]
    lines.append("return np.sum(h)")
    plan = ad.function(ad.sum(h), inputs=[x, a])
    reference = _compile(lines, 2)
    rng = np.random.default_rng(2)
    return (
        f"deep chain, {3 * steps} nodes",
        plan,
        reference,
        lambda: (rng.standard_normal(10), np.float64(rng.random()) * np.ones(())),
        len(lines),
    )


def _compile(lines: list[str], arity: int):
    source = f"def reference({', '.join(f'v{i}' for i in range(arity))}):\n"
    source += "".join(f"    {line}\n" for line in lines)
    space = {"np": np}
    exec(source, space)
    return space["reference"]


# -- the call itself -------------------------------------------------------------------------------
def trivial():
    x = ad.Variable(np.zeros(10), name="x")
    plan = ad.function(x * 2, inputs=[x])

    def reference(x):
        return x * 2

    rng = np.random.default_rng(3)
    return "x -> x * 2, (10,)", plan, reference, lambda: (rng.standard_normal(10),), 1


def buffered():
    x = ad.Variable(np.zeros(8192), name="x")
    plan = ad.function(ad.max(ad.abs(x)), inputs=[x])
    assert "_buf" in plan.source  # it keeps buffers: a call takes the plan's lock

    def reference(x):
        return np.max(np.abs(x))

    rng = np.random.default_rng(4)
    return "max(abs(x)), (8192,), buffered", plan, reference, lambda: (rng.random(8192),), 1


def converted():
    """Values a plan converts at each call, against NumPy doing the same conversion."""
    x = ad.Variable(np.zeros(65), name="x")
    s = ad.Variable(np.zeros(()), name="s")
    double = ad.function(x * 2, inputs=[x])
    scaled = ad.function(x * s, inputs=[x, s])
    rng = np.random.default_rng(5)

    def as_float64_times_two(x):
        return x.astype(np.float64) * 2

    def times(x, s):
        return x * s

    return [
        ("float32 (65,) into a float64 input: x * 2", double, as_float64_times_two,
         lambda: (rng.random(65, dtype=np.float32),), 1),
        ("int64 (65,) into a float64 input: x * 2", double, as_float64_times_two,
         lambda: (rng.integers(0, 9, 65),), 1),
        ("a Python float into a 0-d float64 input: x * s", scaled, times,
         lambda: (rng.random(65), float(rng.random())), 1),
        ("a Python int into a 0-d float64 input: x * s", scaled, times,
         lambda: (rng.random(65), int(rng.integers(1, 9))), 1),
    ]  # fmt: skip


def plan_lines(plan) -> int:
    return len(plan.source.splitlines()) - 1  # without the def line


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def _ns(seconds: float) -> str:
    return f"{seconds * 1e9:.0f} ns"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and sizes")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    rounds = args.rounds or (7 if args.quick else 21)
    budget = 0.3 if args.quick else 1.5  # seconds per case
    groups = {
        "inputs": [char_rnn_forward(t) for t in ((25,) if args.quick else (25, 50, 100))]
        + [dot_of_inputs(n) for n in ((100,) if args.quick else (50, 100, 200))],
        "lines": [random_graph(n) for n in ((500,) if args.quick else (500, 1000))]
        + [deep_chain(s) for s in ((200,) if args.quick else (200, 330))],
        "call": [trivial(), buffered()],
        "convert": converted(),
    }
    print(
        f"{rounds} interleaved rounds; medians; ratio = median over rounds of autodiff / NumPy;"
        " differences: median over rounds"
    )
    for group, cases in groups.items():
        if group == "inputs":
            print(
                "\n| plan | inputs | nodes | NumPy | autodiff | ratio |"
                " inputs only: NumPy | autodiff | per input |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
        elif group == "lines":
            print(
                "\n| graph | nodes | lines (ref / plan) | NumPy | autodiff | ratio |"
                " per line (ref / plan) |"
            )
            print("|---|---|---|---|---|---|---|")
        elif group == "call":
            print("\n| call | NumPy | autodiff | ratio | plan function | ratio | call cost |")
            print("|---|---|---|---|---|---|---|")
        else:
            print("\n| fed (converted at each call) | NumPy | autodiff | ratio |")
            print("|---|---|---|---|")
        for name, plan, reference, arrays, count in cases:
            pool = [arrays() for _ in range(16)]
            if not _agree_all(plan(*pool[0]), reference(*pool[0])):
                raise SystemExit(f"{name}: the plan and the reference disagree")
            calls = {"numpy": reference, "autodiff": plan}
            if group == "inputs":  # the same inputs, one multiply: what the inputs cost alone
                calls["numpy, inputs only"] = _first_times_two
                calls["autodiff, inputs only"] = ad.function(plan.inputs[0] * 2, plan.inputs)
            if group == "call":
                calls["plan function"] = getattr(plan, "_buffered", plan._run)  # internals
            got = interleaved(calls, pool, rounds, budget)
            ref, mine = got["numpy"], got["autodiff"]
            t_np, t_ad, r = statistics.median(ref), statistics.median(mine), ratio(mine, ref)
            if group == "inputs":
                alone, ref_alone = got["autodiff, inputs only"], got["numpy, inputs only"]
                per_input = difference(alone, ref_alone) / count
                print(
                    f"| {name} | {count} | {plan.node_count} | {_us(t_np)} | {_us(t_ad)} |"
                    f" {r:.2f}x | {_us(statistics.median(ref_alone))} |"
                    f" {_us(statistics.median(alone))} | {_ns(per_input)} |"
                )
            elif group == "lines":
                lines = plan_lines(plan)
                print(
                    f"| {name} | {plan.node_count} | {count} / {lines} | {_us(t_np)} |"
                    f" {_us(t_ad)} | {r:.2f}x | {_ns(t_np / count)} / {_ns(t_ad / lines)} |"
                )
            elif group == "convert":
                print(f"| {name} | {_us(t_np)} | {_us(t_ad)} | {r:.2f}x |")
            else:
                bare = got["plan function"]
                print(
                    f"| {name} | {_us(t_np)} | {_us(t_ad)} | {r:.2f}x |"
                    f" {_us(statistics.median(bare))} | {ratio(bare, ref):.2f}x |"
                    f" {_ns(difference(mine, bare))} |"
                )


def _first_times_two(*arrays):
    return arrays[0] * 2


def _agree_all(a, b) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(_agree(x, y) for x, y in zip(a, b, strict=True))
    return _agree(a, b)


if __name__ == "__main__":
    main()
