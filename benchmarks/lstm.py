"""The LSTM char-rnn of `examples/char_rnn.py` in autodiff and in PyTorch, on one core.

    python benchmarks/lstm.py --onednn-off            # with torch installed; ~5 min
    python benchmarks/lstm.py --rounds 5 --seconds 0   # ours only

Both models are Embedding 64 -> LSTM 256 -> dropout 0.2 -> Linear to the vocabulary, trained
with Adam (lr 2e-3, gradients clipped to global norm 5) on batches of 32 windows of 64
characters of the example's default text (Python's pydoc topics), float32, one thread
(OMP/OPENBLAS/MKL threads 1, ``torch.set_num_threads(1)``). PyTorch's model starts from
autodiff's initial weights (copied in, so the init scale is the same; its ``bias_hh`` is 0),
and both see the same batches in the same order.

Throughput: training steps alternate between the two in interleaved rounds (the order
rotating, `--steps` steps each per round); chars/s = batch * seq_len / median step time, and
the ratio is the median over rounds of (our step time / PyTorch's). Held-out loss at equal
time: each trains in alternating slices of about `--slice` seconds until each has trained
for `--seconds` (from the same initial weights), then both are evaluated (no dropout) on the
same held-out windows (every tenth 4096-character block of the text). Without torch, only
our rows are printed.

On CPU, PyTorch's nn.LSTM runs oneDNN's fused LSTM layer (``aten::mkldnn_rnn_layer`` and
its backward: JIT-compiled kernels with the gates' pointwise work fused); `--onednn-off`
adds a row for PyTorch with oneDNN disabled, which runs per-step matmuls and pointwise
kernels as an eager graph does.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import importlib.machinery  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, ROOT)
try:
    import tqdm  # noqa: F401  # the example's progress bar, unused here
except ImportError:  # a venv without it (the peers' one): the example only needs the name
    stub = types.ModuleType("tqdm")
    stub.__spec__ = importlib.machinery.ModuleSpec("tqdm", None)  # torch looks modules up
    stub.tqdm = None  # type: ignore[attr-defined]
    sys.modules["tqdm"] = stub
import char_rnn  # noqa: E402

import autodiff as ad  # noqa: E402
from autodiff import nn, optim  # noqa: E402

warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")  # torch.backends
try:
    import torch
except ImportError:  # torch is optional: our rows only
    torch = None  # type: ignore[assignment]

HIDDEN, EMBED, SEQ, BATCH, LR, CLIP, DROPOUT = 256, 64, 64, 32, 2e-3, 5.0, 0.2


class Ours:
    """The example's model, training step and evaluation plan."""

    name = "autodiff"

    def __init__(self, vocab_size: int, seed: int):
        rng = np.random.default_rng(seed)
        self.model = char_rnn.CharRNN(vocab_size, "lstm", HIDDEN, 1, EMBED, DROPOUT, rng)
        self.opt = optim.Adam(self.model.parameters(), lr=LR, clip_norm=CLIP)
        x = ad.Variable(np.zeros((BATCH, SEQ), np.int64), name="x")
        y = ad.Variable(np.zeros((BATCH, SEQ), np.int64), name="y")
        self.step = optim.TrainStep(nn.cross_entropy(self.model(x)[0], y), self.opt, inputs=[x, y])
        self.model.eval()
        self.loss = ad.function(nn.cross_entropy(self.model(x)[0], y), inputs=[x, y])
        self.model.train()

    def train(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(self.step(x, y))

    def evaluate(self, batches) -> float:
        return float(np.mean([self.loss(x, y) for x, y in batches]))


class Torch:
    """The same model in PyTorch eager (nn.Embedding, nn.LSTM, nn.Linear), from our weights."""

    name = "PyTorch"

    def __init__(self, ours: Ours, onednn: bool = True):
        torch.set_num_threads(1)
        # on CPU nn.LSTM runs oneDNN's fused LSTM layer (aten::mkldnn_rnn_layer and its
        # backward); without oneDNN it runs per-step matmuls and pointwise kernels
        self.onednn = onednn
        if not onednn:
            self.name = "PyTorch, oneDNN off"
        model, vocab_size = ours.model, ours.model.head.out_features
        self.embed = torch.nn.Embedding(vocab_size, EMBED)
        self.lstm = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.drop = torch.nn.Dropout(DROPOUT)
        self.head = torch.nn.Linear(HIDDEN, vocab_size)
        cell = model.rnn.cells[0]
        with torch.no_grad():  # torch keeps (out, in) weights and the gates i, f, g, o as ours
            self.embed.weight.copy_(torch.from_numpy(model.embed.weight.value.copy()))
            self.lstm.weight_ih_l0.copy_(torch.from_numpy(cell.weight_ih.value.T.copy()))
            self.lstm.weight_hh_l0.copy_(torch.from_numpy(cell.weight_hh.value.T.copy()))
            self.lstm.bias_ih_l0.copy_(torch.from_numpy(cell.bias.value.copy()))
            self.lstm.bias_hh_l0.zero_()
            self.head.weight.copy_(torch.from_numpy(model.head.weight.value.T.copy()))
            self.head.bias.copy_(torch.from_numpy(model.head.bias.value.copy()))
        self.modules = [self.embed, self.lstm, self.drop, self.head]
        self.params = [p for m in self.modules for p in m.parameters()]
        self.opt = torch.optim.Adam(self.params, lr=LR)
        torch.manual_seed(0)

    def logits(self, x):
        return self.head(self.drop(self.lstm(self.embed(x))[0]))

    def train(self, x: np.ndarray, y: np.ndarray) -> float:
        with torch.backends.mkldnn.flags(enabled=self.onednn):
            return self._train(x, y)

    def _train(self, x: np.ndarray, y: np.ndarray) -> float:
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        self.opt.zero_grad(set_to_none=True)
        logits = self.logits(x)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
        )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, CLIP)
        self.opt.step()
        return loss.item()

    def evaluate(self, batches) -> float:
        with torch.backends.mkldnn.flags(enabled=self.onednn):
            return self._evaluate(batches)

    def _evaluate(self, batches) -> float:
        for m in self.modules:
            m.eval()
        losses = []
        with torch.no_grad():
            for x, y in batches:
                logits = self.logits(torch.from_numpy(x))
                losses.append(
                    float(
                        torch.nn.functional.cross_entropy(
                            logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1)
                        )
                    )
                )
        for m in self.modules:
            m.train()
        return float(np.mean(losses))


def throughput(runners: list, batches: list, rounds: int, steps: int) -> dict[str, list[float]]:
    """Median-of-round step times: each round runs `steps` steps of each runner in turn."""
    times: dict[str, list[float]] = {r.name: [] for r in runners}
    k = 0
    for i in range(rounds):
        order = runners[i % len(runners) :] + runners[: i % len(runners)]
        for r in order:
            per = []
            for j in range(steps):
                x, y = batches[(k + j) % len(batches)]
                tick = time.perf_counter()
                r.train(x, y)
                per.append(time.perf_counter() - tick)
            times[r.name].append(statistics.median(per))
        k += steps
    return times


def equal_time(
    runners: list, next_batch: Callable[[str], tuple], seconds: float, slice_s: float
) -> dict:
    """Train each for `seconds` of its own step time, in alternating slices."""
    spent = {r.name: 0.0 for r in runners}
    count = {r.name: 0 for r in runners}
    while min(spent.values()) < seconds:
        for r in runners:
            goal = min(seconds, spent[r.name] + slice_s)
            while spent[r.name] < goal:
                x, y = next_batch(r.name)
                tick = time.perf_counter()
                r.train(x, y)
                spent[r.name] += time.perf_counter() - tick
                count[r.name] += 1
    return {"seconds": spent, "steps": count}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=9, help="interleaved throughput rounds")
    p.add_argument("--steps", type=int, default=3, help="training steps per runner per round")
    p.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="training time each for the held-out loss (0: skip)",
    )
    p.add_argument(
        "--slice", type=float, default=5.0, help="seconds per turn while training to equal time"
    )
    p.add_argument("--eval-batches", type=int, default=0, help="held-out batches (0: all)")
    p.add_argument(
        "--onednn-off",
        action="store_true",
        help="also PyTorch with oneDNN disabled (per-step kernels)",
    )
    p.add_argument("--no-torch", action="store_true", help="ours only, even where torch imports")
    args = p.parse_args(argv)

    text = char_rnn.default_text()
    vocab = "".join(sorted(set(text)))
    corpus = char_rnn.Corpus(text, vocab)
    tick = time.perf_counter()
    ours = Ours(len(vocab), seed=0)
    build = time.perf_counter() - tick
    runners: list = [ours]
    if torch is not None and not args.no_torch:
        runners.append(Torch(ours))
        if args.onednn_off:
            runners.append(Torch(ours, onednn=False))

    print(
        f"# {datetime.date.today()}  LSTM char-rnn (hidden {HIDDEN}, embedding {EMBED}, "
        f"T{SEQ}, batch {BATCH}, Adam, float32, one thread)  "
        f"python {platform.python_version()}  numpy {np.__version__}"
        + (f"  torch {torch.__version__}" if len(runners) > 1 else "  (no torch: ours only)")
    )
    print(
        f"# autodiff builds its three plans in {build:.1f} s; load average {os.getloadavg()[0]:.2f}"
    )

    # equal-time training first, from the same initial weights (throughput rounds move them)
    losses = {}
    if args.seconds > 0:
        streams = {r.name: np.random.default_rng(1) for r in runners}  # the same batches for each
        trained = equal_time(
            runners, lambda name: corpus.batch(streams[name], BATCH, SEQ), args.seconds, args.slice
        )
        valid = corpus.valid_batches(BATCH, SEQ)
        if args.eval_batches:
            valid = valid[:: max(1, len(valid) // args.eval_batches)][: args.eval_batches]
        losses = {
            r.name: (r.evaluate(valid), trained["steps"][r.name], trained["seconds"][r.name])
            for r in runners
        }

    rng = np.random.default_rng(2)
    batches = [corpus.batch(rng, BATCH, SEQ) for _ in range(16)]
    for r in runners:  # warm up
        r.train(*batches[0])
    times = throughput(runners, batches, args.rounds, args.steps)

    chars = BATCH * SEQ
    print(table(runners, times, losses, args.seconds, chars))
    for r in runners[1:]:
        ratio = statistics.median(
            b / a for a, b in zip(times["autodiff"], times[r.name], strict=True)
        )
        print(
            f"throughput ours / {r.name}: {ratio:.2f}x (median over {args.rounds} rounds "
            f"of {args.steps} steps of the per-round ratio)"
        )


def table(runners: list, times: dict, losses: dict, seconds: float, chars: int) -> str:
    """One row per framework: median step, chars/s, the ratio of that median to PyTorch's (so
    that it agrees with the times shown), and the held-out loss."""
    reference = times.get("PyTorch")
    head = f"| {'':19} | {'step (median)':>13} | {'chars/s':>9} | {'time / PyTorch':>14} |"
    if losses:
        head += f" {'held-out loss after ' + format(seconds, 'g') + ' s':>26} | {'steps':>5} |"
    lines = [head, "|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|"]
    for r in runners:
        med = statistics.median(times[r.name])
        ratio = f"{med / statistics.median(reference):.2f}x" if reference else "n/a"
        row = f"| {r.name:19} | {med * 1e3:10.1f} ms | {chars / med:9,.0f} | {ratio:>14} |"
        if losses:
            loss, steps, _ = losses[r.name]
            row += f" {loss:26.3f} | {steps:5d} |"
        lines.append(row)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
