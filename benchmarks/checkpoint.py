"""Checkpointing: peak live memory and time of one training step of a long char-rnn.

A vanilla RNN (vocab 65, hidden 256) unrolled over 1000 steps, softmax cross-entropy at every
step, loss and all gradients in one plan; once as it is, once with `ad.checkpoint` around every
`--every` steps. Peak memory is what NumPy allocated at the peak of a step (tracemalloc),
the time a median over interleaved repeats; both as ratios to the plain graph (the ratio of
the two numbers above it), each flagged when it misses its target (memory <= 0.25x, time
<= 1.5x). Progress goes to stderr: building the two graphs takes most of the run.

    python benchmarks/checkpoint.py            # the issue's setting: 1000 steps, every 32
    python benchmarks/checkpoint.py --quick    # 200 steps
    python benchmarks/checkpoint.py --no-simplify   # plan the graphs as built
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

import autodiff as ad  # noqa: E402
from autodiff import nn  # noqa: E402


def training_step(steps: int, hidden: int, batch: int, every: int | None, simplify: bool, vocab: int = 65):
    """A plan computing the loss and its gradients, and the arrays to feed it."""
    rng = np.random.default_rng(0)
    embed = nn.Embedding(vocab, 32, rng=rng)
    cell = nn.RNNCell(32, hidden, rng=rng)
    head = nn.Linear(hidden, vocab, rng=rng)
    ids = ad.Variable(np.zeros((batch, steps + 1), np.int64), name="ids")

    def run(h, start, count):
        loss = 0.0
        for t in range(start, start + count):
            (h,) = cell(embed(ids[:, t]), [h])
            loss = loss + nn.cross_entropy(head(h), ids[:, t + 1], reduction="sum")
        return [h, loss]

    h, total = ad.zeros((batch, hidden)), 0.0
    for start in range(0, steps, every or steps):
        count = min(every or steps, steps - start)
        segment = (lambda h, s=start, c=count: run(h, s, c))
        h, loss = ad.checkpoint(segment)(h) if every else segment(h)
        total = total + loss
    params = [*embed.parameters(), *cell.parameters(), *head.parameters()]
    progress(f"  forward graph built ({ad.count_nodes(total)} nodes); differentiating ...")
    grads = ad.grad(total, params)
    progress(f"  gradients built ({ad.count_nodes([total, *grads])} nodes); {'simplifying and ' if simplify else ''}planning ...")
    plan = ad.function([total, *grads], inputs=[ids], simplify=simplify)
    return plan, rng.integers(0, vocab, size=(batch, steps + 1))


MEMORY_TARGET, TIME_TARGET = 0.25, 1.5  # the issue's: checkpointed / plain


def progress(message: str) -> None:
    """One line of progress on stderr, with the seconds since the start."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


STARTED = time.perf_counter()


def measure(plan, data, repeats: int) -> tuple[list[float], int, list[np.ndarray]]:
    outputs = plan(data)  # warm-up
    tracemalloc.start()
    tracemalloc.reset_peak()
    plan(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(repeats):
        tick = time.perf_counter()
        plan(data)
        times.append(time.perf_counter() - tick)
    return times, peak, outputs


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--every", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 steps, 2 repeats")
    parser.add_argument("--no-simplify", dest="simplify", action="store_false", help="plan the graphs as built")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 200, 2

    progress(f"building, differentiating and planning the plain graph ({args.steps} unrolled steps) ...")
    tick = time.perf_counter()
    plain = training_step(args.steps, args.hidden, args.batch, None, args.simplify)
    first_plain = time.perf_counter() - tick
    progress(f"plain graph planned in {first_plain:.1f} s; now the checkpointed one (every {args.every} steps) ...")
    tick = time.perf_counter()
    checked = training_step(args.steps, args.hidden, args.batch, args.every, args.simplify)
    first_checked = time.perf_counter() - tick
    progress(f"checkpointed graph planned in {first_checked:.1f} s; timing {args.repeats} interleaved rounds ...")

    times = {"plain": [], "checkpointed": []}
    for i in range(args.repeats):  # interleaved
        t, peak_plain, out_plain = measure(*plain, repeats=1)
        times["plain"] += t
        t, peak_checked, out_checked = measure(*checked, repeats=1)
        times["checkpointed"] += t
        progress(f"round {i + 1}/{args.repeats}: plain {times['plain'][-1]:.3f} s, checkpointed {times['checkpointed'][-1]:.3f} s")
    for a, b in zip(out_plain, out_checked):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    median = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "peak_plain_mb": peak_plain / 2**20,
        "peak_checkpointed_mb": peak_checked / 2**20,
        "memory_ratio": peak_checked / peak_plain,
        "step_plain_s": median["plain"],
        "step_checkpointed_s": median["checkpointed"],
        "time_ratio": median["checkpointed"] / median["plain"],
    }
    print(f"char-rnn step, vanilla RNN hidden {args.hidden}, {args.steps} unrolled steps, batch {args.batch}, "
          f"checkpoint every {args.every} steps, {'simplified' if args.simplify else 'not simplified'}; "
          "loss and gradients equal (checked)")
    print(f"{'':14}{'peak memory':>14}{'step time':>14}{'build + plan':>14}")
    print(f"{'':14}{'(one step)':>14}{'(median)':>14}{'(once)':>14}")
    print(f"{'plain':14}{result['peak_plain_mb']:>11.1f} MB{median['plain']:>12.3f} s{first_plain:>12.2f} s")
    print(f"{'checkpointed':14}{result['peak_checkpointed_mb']:>11.1f} MB{median['checkpointed']:>12.3f} s{first_checked:>12.2f} s")
    print(f"{'ratio':14}{result['memory_ratio']:>13.2f}x{result['time_ratio']:>13.2f}x")
    print(f"{'target':14}{'<= ' + str(MEMORY_TARGET) + 'x':>14}{'<= ' + str(TIME_TARGET) + 'x':>14}")
    met = [result["memory_ratio"] <= MEMORY_TARGET, result["time_ratio"] <= TIME_TARGET]
    print(f"{'met':14}" + "".join(f"{'yes' if ok else 'MISSED':>14}" for ok in met))
    result["targets_met"] = all(met)
    return result


if __name__ == "__main__":
    main()
