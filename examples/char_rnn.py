"""A character-level language model (char-rnn): learn a text, then write more of it.

By default it trains on the English documentation that ships inside every CPython
(`pydoc_data.topics`), so it runs offline anywhere; `--text FILE` trains on any text. The
training graph (loss and gradients), the evaluation graph and the one-character sampling
graph are each built once and run through a plan; nothing is rebuilt per step.

    python examples/char_rnn.py --model lstm --minutes 5 --save /tmp/lstm.npz
    python examples/char_rnn.py --resume /tmp/lstm.npz --steps 0 --generate 500 --prime "The "

Checkpoints (`--save`) are written atomically, and `--resume` continues exactly where the
run stopped: the next loss is the one an uninterrupted run would have seen. That holds after
Ctrl-C too: the interrupt waits for the step (and any checkpoint) in progress, the state after
it is saved (a second Ctrl-C waits for that save), and the script exits with status 130.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from typing import Sequence

# One BLAS thread unless told otherwise (set before NumPy loads): the matrix products here
# are small, and on a busy machine spinning BLAS threads made training 35x slower.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import autodiff as ad  # noqa: E402
from autodiff import nn, optim  # noqa: E402

DTYPE = np.float32
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def default_text() -> str:
    """The pydoc topic texts of this Python, in a fixed order (about 460k characters)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name] for name in sorted(topics))


class CharRNN(nn.Module):
    """Embedding -> recurrent layers -> dropout -> linear read-out to next-character logits."""

    def __init__(self, vocab_size: int, model: str, hidden: int, layers: int, embed: int, dropout: float, rng: np.random.Generator):
        self.embed = nn.Embedding(vocab_size, embed, rng=rng, dtype=DTYPE)
        self.rnn = CELLS[model](embed, hidden, num_layers=layers, rng=rng, dtype=DTYPE)
        self.drop = nn.Dropout(dropout, rng=rng)
        self.head = nn.Linear(hidden, vocab_size, rng=rng, dtype=DTYPE)

    def forward(self, ids: ad.Node, state=None):
        """Logits ``(batch, time, vocab)`` for token ids ``(batch, time)``, and the final state."""
        if isinstance(self.rnn, nn.LSTM):  # whole sequences at once: a few large products
            outputs, state = self.rnn(self.embed(ids), state)
            return self.head(self.drop(outputs)), state
        steps = [self.embed(ids[:, t]) for t in range(ids.shape[1])]  # a list: no big slices
        outputs, state = self.rnn(steps, state)
        return self.head(self.drop(ad.stack(outputs, axis=1))), state


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows every option's default; options without one (None, a flag) say none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False, argparse.SUPPRESS) or action.help is None:
            return action.help or ""
        return super()._get_help_string(action) or ""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    p.add_argument("--text", help="a UTF-8 text file to learn (default: the checkpoint's text when resuming, else Python's pydoc topics)")
    p.add_argument("--model", choices=sorted(CELLS), default="lstm", help="the recurrent cell")
    p.add_argument("--hidden", type=int, default=256, help="size of each recurrent layer's state")
    p.add_argument("--layers", type=int, default=1, help="number of stacked recurrent layers")
    p.add_argument("--embed", type=int, default=64, help="size of the character embedding")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout on the recurrent outputs while training")
    p.add_argument("--seq-len", type=int, default=64, help="characters per training window")
    p.add_argument("--batch", type=int, default=32, help="windows per training step")
    p.add_argument("--steps", type=int, default=3000, help="train until this many steps in all")
    p.add_argument("--minutes", type=float, default=None, help="also stop after this much training time (the progress bar's ETA honours it)")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--clip", type=float, default=5.0, help="clip gradients to this global norm")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights, batches and dropout")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (> 0)")
    p.add_argument("--eval-every", type=int, default=200, help="steps between validation losses")
    p.add_argument("--eval-batches", type=int, default=0, help="held-out batches per periodic check, evenly spread (0: all; the final check uses all)")
    p.add_argument("--sample-every", type=int, default=1000, help="steps between printed samples (0: never)")
    p.add_argument("--save", help="checkpoint file (.npz), written atomically after each validation and at the end")
    p.add_argument("--resume", help="checkpoint to continue from (its model settings and vocabulary win); with nothing left to train (--steps 0) it needs no text and runs no held-out check")
    p.add_argument("--generate", type=int, default=0, metavar="N", help="print N sampled characters at the end")
    p.add_argument("--prime", default="The ", help="text that starts the generated sample")
    p.add_argument("--history", help="write the loss history here as JSON")
    p.add_argument("--plot", help="draw the validation-loss curve into this PNG (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or samples")
    args = p.parse_args(argv)
    for name in ("hidden", "layers", "embed", "seq_len", "batch", "eval_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if min(args.steps, args.generate, args.sample_every, args.eval_batches) < 0:
        p.error("--steps, --generate, --sample-every and --eval-batches must not be negative")
    if not args.temperature > 0:
        p.error("--temperature must be positive")
    if not 0 <= args.dropout < 1:
        p.error("--dropout must be in [0, 1)")
    return args


# -- data ----------------------------------------------------------------------------------
class Corpus:
    """The text as integer ids, cut into blocks of `block` characters: every tenth block is
    held out (so the held-out text samples the whole text), the rest is for training."""

    def __init__(self, text: str, vocab: str, block: int = 4096):
        index = {ch: i for i, ch in enumerate(vocab)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(f"the text has characters the model's vocabulary lacks: {''.join(unknown)[:40]!r}")
        self.vocab = vocab
        ids = np.array([index[ch] for ch in text], dtype=np.int64)
        held_out = (np.arange(len(ids)) // block) % 10 == 9
        if not held_out.any():  # a short text: hold out its last tenth
            held_out = np.arange(len(ids)) >= len(ids) * 0.9
        self.train, self.valid = ids[~held_out], ids[held_out]

    def batch(self, rng: np.random.Generator, batch: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """`batch` random windows of the training part: inputs and the next characters."""
        starts = rng.integers(0, len(self.train) - seq_len - 1, size=batch)
        windows = self.train[starts[:, None] + np.arange(seq_len + 1)]
        return windows[:, :-1], windows[:, 1:]

    def valid_batches(self, batch: int, seq_len: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The held-out part cut into consecutive windows, `batch` windows at a time."""
        count = (len(self.valid) - 1) // seq_len // batch * batch
        if count == 0:
            raise ValueError(f"the held-out text ({len(self.valid)} characters) is shorter than one batch of {batch}x{seq_len}")
        x = self.valid[: count * seq_len].reshape(count, seq_len)
        y = self.valid[1 : count * seq_len + 1].reshape(count, seq_len)
        return [(x[i : i + batch], y[i : i + batch]) for i in range(0, count, batch)]


# -- checkpoints -----------------------------------------------------------------------------
def save_checkpoint(path: str, model: nn.Module, opt: optim.Optimizer, rng: np.random.Generator, config: dict, history: list) -> None:
    arrays = {f"model.{k}": v for k, v in model.state_dict().items()}
    arrays.update({f"optim.{k}": v for k, v in opt.state_dict().items()})
    arrays["config"] = np.array(json.dumps(config))
    arrays["rng"] = np.array(json.dumps(rng.bit_generator.state))
    arrays["dropout_rng"] = np.array(json.dumps(model.drop.rng.bit_generator.state))
    arrays["history"] = np.array(json.dumps(history))
    nn.save(path, arrays)


def load_checkpoint(path: str) -> dict:
    arrays = nn.load(path)
    return {
        "model": {k[6:]: v for k, v in arrays.items() if k.startswith("model.")},
        "optim": {k[6:]: v for k, v in arrays.items() if k.startswith("optim.")},
        "config": json.loads(str(arrays["config"])),
        "rng": json.loads(str(arrays["rng"])),
        "dropout_rng": json.loads(str(arrays["dropout_rng"])),
        "history": json.loads(str(arrays["history"])),
    }


# -- sampling ---------------------------------------------------------------------------------
class Sampler:
    """Generates text one character at a time through a plan of a one-step graph."""

    def __init__(self, model: CharRNN, vocab: str):
        self.vocab, self.index = vocab, {ch: i for i, ch in enumerate(vocab)}
        self.ids = ad.Variable(np.zeros((1, 1), np.int64), name="char")
        self.zero = model.rnn.zero_state(1)
        self.state = [tuple(ad.Variable(a, name="state") for a in layer) for layer in self.zero]
        logits, new_state = model(self.ids, self.state)
        self.feeds = [v for layer in self.state for v in layer]
        self.plan = ad.function([logits[0, 0]] + [s for layer in new_state for s in layer], inputs=[self.ids] + self.feeds)

    def __call__(self, length: int, prime: str, temperature: float, rng: np.random.Generator) -> str:
        if not prime:
            raise ValueError("--prime must not be empty")
        unknown = sorted(set(prime) - set(self.index))
        if unknown:
            raise ValueError(f"--prime has characters the model never saw: {''.join(unknown)!r}")
        state = [a for layer in self.zero for a in layer]
        out = []
        ids = [self.index[ch] for ch in prime]
        for k in range(len(prime) - 1 + length):
            logits, *state = self.plan(np.array([[ids[k] if k < len(ids) else out[-1]]]), *state)
            if k >= len(prime) - 1:
                z = logits.astype(np.float64) / temperature
                p = np.exp(z - z.max())
                out.append(int(rng.choice(len(p), p=p / p.sum())))
        return prime + "".join(self.vocab[i] for i in out)


# -- training -----------------------------------------------------------------------------------
def read_text(args: argparse.Namespace, checkpoint: dict | None) -> tuple[str, str | None]:
    """The text to learn and its file: --text, else the checkpoint's, else the pydoc topics."""
    path = args.text or (checkpoint["config"].get("text") if checkpoint else None)
    if path is None:
        return default_text(), None
    if not args.text and not os.path.exists(path):
        raise FileNotFoundError(f"the checkpoint was trained on {path}, which is not there: pass --text FILE to go on training")
    with open(path, encoding="utf-8") as file:
        return file.read(), os.path.abspath(path)


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    checkpoint = load_checkpoint(args.resume) if args.resume else None
    trained_before = int(checkpoint["optim"].get("steps", 0)) if checkpoint else 0
    training = args.steps > trained_before
    # resuming with nothing to train (--steps 0) needs no text: the vocabulary is in the checkpoint
    text, text_path = read_text(args, checkpoint) if training or args.text or not checkpoint else ("", None)
    if checkpoint:
        config = checkpoint["config"]
    else:
        config = {"model": args.model, "hidden": args.hidden, "layers": args.layers, "embed": args.embed,
                  "dropout": args.dropout, "vocab": "".join(sorted(set(text))), "text": text_path}
    corpus = Corpus(text, config["vocab"]) if text else None
    vocab_size = len(config["vocab"])

    rng = np.random.default_rng(args.seed)
    model = CharRNN(vocab_size, config["model"], config["hidden"], config["layers"], config["embed"], config["dropout"], rng)
    opt = optim.Adam(model.parameters(), lr=args.lr, clip_norm=args.clip)
    history: list[dict] = []
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        opt.load_state_dict(checkpoint["optim"])
        history = checkpoint["history"]
    sample_rng = np.random.default_rng(args.seed + 1)  # sampling never moves the training stream
    if not training:
        return generate_only(args, config, model, opt, history, sample_rng)

    # the three graphs, each built once: training (with dropout), evaluation and sampling (without)
    xb = ad.Variable(np.zeros((args.batch, args.seq_len), np.int64), name="x")
    yb = ad.Variable(np.zeros((args.batch, args.seq_len), np.int64), name="y")
    train_step = optim.TrainStep(nn.cross_entropy(model(xb)[0], yb), opt, inputs=[xb, yb])
    model.eval()
    eval_loss = ad.function(nn.cross_entropy(model(xb)[0], yb), inputs=[xb, yb])
    sampler = Sampler(model, config["vocab"])
    model.train()
    if checkpoint:  # after building: drawing the first dropout mask must not shift the stream
        rng.bit_generator.state = checkpoint["rng"]
        model.drop.rng.bit_generator.state = checkpoint["dropout_rng"]
    assert corpus is not None  # training always reads a text
    valid = corpus.valid_batches(args.batch, args.seq_len)
    spread = max(1, len(valid) // args.eval_batches) if args.eval_batches else 1
    periodic = valid[::spread][: args.eval_batches or None]
    # the samples while training start with --prime where the vocabulary has its characters
    # (the default "The " is not in every text), else with the text's first character
    sample_prime = args.prime if args.prime and set(args.prime) <= set(config["vocab"]) else text[0]

    def validate(batches) -> float:
        return float(np.mean([eval_loss(x, y) for x, y in batches]))

    def log(message: str) -> None:
        if not args.quiet:
            tqdm.write(message)

    log(f"{config['model']}: {sum(p.size for p in model.parameters()):,} parameters, vocabulary {vocab_size}, "
        f"{len(corpus.train):,} training / {len(corpus.valid):,} held-out characters")
    start = opt.steps
    seconds = history[-1]["seconds"] if history else 0.0
    losses: list[float] = []
    bar = tqdm(total=args.steps, initial=min(start, args.steps), unit="step", disable=args.quiet, dynamic_ncols=True)
    began, trained, chars = time.perf_counter(), 0.0, 0

    def record(val_loss: float) -> dict:
        return {"step": opt.steps, "seconds": round(seconds + trained, 2), "train_loss": float(np.mean(losses[-args.eval_every:])),
                "val_loss": val_loss}

    # Ctrl-C (or SIGTERM) is held back from here to the end of the final save: the loop stops at
    # the next step boundary, so the state saved is the one an uninterrupted run had there,
    # and a second Ctrl-C during the final save waits for it too
    with optim.defer_signals() as deferred:
        for step in range(start, args.steps):
            if deferred.received or (args.minutes is not None and trained >= 60 * args.minutes):
                break
            x, y = corpus.batch(rng, args.batch, args.seq_len)
            tick = time.perf_counter()
            losses.append(train_step(x, y))
            trained += time.perf_counter() - tick
            chars += x.size
            done = step + 1
            if args.minutes is not None:  # the bar ends where the time runs out, if that comes first
                projected = done + max(0.0, 60 * args.minutes - trained) * (done - start) / trained
                bar.total = min(args.steps, max(done, math.ceil(projected)))
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}", chars_s=f"{chars / trained:,.0f}")
            if done % args.eval_every == 0 and done != args.steps:  # the last step's check is the final one
                history.append(record(validate(periodic)))
                log(f"step {done}: train {history[-1]['train_loss']:.3f}, held-out {history[-1]['val_loss']:.3f} nats/char, "
                    f"{history[-1]['seconds']:.0f} s")
                if args.save:
                    save_checkpoint(args.save, model, opt, rng, config, history)
            if args.sample_every and done % args.sample_every == 0:
                log("---\n" + sampler(200, sample_prime, args.temperature, sample_rng) + "\n---")
        bar.close()
        stopped = bool(deferred.received)
        final = None
        if opt.steps > start:
            if history and history[-1]["step"] == opt.steps:  # checked just now on part of the text
                history.pop()
            # the final figure, over all held-out text; after an interrupt, the quick periodic one
            final = validate(periodic if stopped else valid)
            history.append(record(final))
            if args.save:
                save_checkpoint(args.save, model, opt, rng, config, history)
        interrupted = deferred.received[0] if deferred.received else None
        if interrupted:  # said while signals are still held, so a second Ctrl-C cannot cut it off
            saved = f"; {args.save} holds the state after it" if args.save and opt.steps > start else ""
            print(f"interrupted ({interrupted.name}) after step {opt.steps}{saved}", file=sys.stderr, flush=True)
        deferred.received.clear()  # handled: the run stops here, with exit status 128 + the signal
    result = {"losses": losses, "history": history, "steps": opt.steps, "interrupted": interrupted,
              "chars_per_sec": chars / trained if trained else math.nan, "elapsed": time.perf_counter() - began}
    if args.history:
        with open(args.history, "w") as file:
            json.dump(history, file, indent=1)
    if interrupted:  # stop now: no sample, no plot
        return result
    result["val_loss"] = final if final is not None else math.nan
    print(f"held-out loss {result['val_loss']:.3f} nats/char after {opt.steps} steps (all {len(corpus.valid):,} held-out "
          f"characters; train {history[-1]['train_loss']:.3f}); {result['chars_per_sec']:,.0f} chars/s while training")
    if args.generate:
        result["sample"] = sampler(args.generate, args.prime, args.temperature, sample_rng)
        print(result["sample"])
    if args.plot:
        plot(history, args.plot, f"{config['model'].upper()} {config['hidden']}x{config['layers']}, batch {args.batch} x {args.seq_len} chars, Adam")
    return result


def generate_only(args: argparse.Namespace, config: dict, model: CharRNN, opt: optim.Optimizer, history: list,
                  sample_rng: np.random.Generator) -> dict:
    """Nothing left to train (``--steps`` at most the checkpoint's): no text, no held-out check."""
    result = {"losses": [], "history": history, "steps": opt.steps, "interrupted": None, "chars_per_sec": math.nan,
              "elapsed": 0.0}
    if history:
        print(f"{opt.steps} steps trained; the last held-out loss was {history[-1]['val_loss']:.3f} nats/char")
    if args.history:
        with open(args.history, "w") as file:
            json.dump(history, file, indent=1)
    if args.generate:
        model.eval()
        result["sample"] = Sampler(model, config["vocab"])(args.generate, args.prime, args.temperature, sample_rng)
        print(result["sample"])
    if args.plot and history:
        plot(history, args.plot, f"{config['model'].upper()} {config['hidden']}x{config['layers']}, Adam")
    return result


def plot(history: list[dict], path: str, title: str) -> None:
    """The held-out loss against training time, as a small PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    minutes = [r["seconds"] / 60 for r in history]
    ax.plot(minutes, [r["val_loss"] for r in history], marker=".", label="held-out")
    ax.plot(minutes, [r["train_loss"] for r in history], alpha=0.6, label="training (mean since last point)")
    ax.axhline(1.25, color="grey", linestyle=":", linewidth=1, label="1.25")
    ax.set(xlabel="training time (minutes, one core)", ylabel="loss (nats/char)", title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    try:
        stopped_by = main()["interrupted"]
        if stopped_by:  # saved and stopping: a further Ctrl-C has nothing left to interrupt
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:  # a second Ctrl-C just after the checkpoint was saved and reported
        stopped_by = signal.SIGINT
    sys.exit(128 + stopped_by if stopped_by else 0)  # 130 after Ctrl-C (SIGINT), as shells report it
