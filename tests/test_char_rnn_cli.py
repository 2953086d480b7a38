"""examples/char_rnn.py from the command line: generating from a checkpoint without its text,
the progress bar's ETA under --minutes, --help's defaults and the one held-out figure at the end."""

from __future__ import annotations

import argparse
import os
import re

import numpy as np
import pytest
from test_examples import TINY, example


@pytest.fixture
def other_text(tmp_path):
    """A text the default (pydoc) text does not cover: a vocabulary of its own."""
    path = tmp_path / "greek.txt"
    path.write_text("αβγ δεζ ηθι κλμ νξο πρσ τυφ χψω. " * 80, encoding="utf-8")
    return str(path)


def test_generate_from_a_checkpoint_without_the_text_and_without_a_held_out_pass(other_text, tmp_path, capsys, monkeypatch):
    char_rnn = example("char_rnn")
    path = str(tmp_path / "ck.npz")
    char_rnn.main(["--text", other_text, *TINY, "--steps", "3", "--save", path])
    os.remove(other_text)
    capsys.readouterr()
    checks = []
    monkeypatch.setattr(char_rnn.Corpus, "valid_batches", lambda *a: checks.append(a) or [])
    result = char_rnn.main(["--resume", path, "--steps", "0", "--generate", "20", "--prime", "αβ", "--quiet"])
    assert result["steps"] == 3 and result["losses"] == [] and checks == []  # no text read, nothing validated
    assert result["sample"].startswith("αβ") and len(result["sample"]) == 22
    assert set(result["sample"]) <= set("αβγ δεζ ηθι κλμ νξο πρσ τυφ χψω.")
    out = capsys.readouterr().out
    assert "3 steps trained; the last held-out loss was" in out and out.count("held-out") == 1
    with pytest.raises(FileNotFoundError, match="greek.txt, which is not there: pass --text FILE"):
        char_rnn.main(["--resume", path, "--steps", "5", "--quiet"])  # more training needs the text


def test_resume_without_text_goes_on_with_the_checkpoints_text(other_text, tmp_path):
    char_rnn = example("char_rnn")
    whole = char_rnn.main(["--text", other_text, *TINY, "--steps", "6"])
    path = str(tmp_path / "ck.npz")
    char_rnn.main(["--text", other_text, *TINY, "--steps", "4", "--save", path])
    rest = char_rnn.main([*TINY, "--steps", "6", "--resume", path])  # not the pydoc text: the checkpoint's
    assert rest["losses"] == whole["losses"][4:]


def test_the_progress_bar_ends_where_minutes_run_out(other_text, monkeypatch):
    char_rnn = example("char_rnn")
    totals = []

    class Bar(char_rnn.tqdm):
        def update(self, n=1):
            totals.append(self.total)
            return super().update(n)

    monkeypatch.setattr(char_rnn, "tqdm", Bar)
    tiny = [a for a in TINY if a != "--quiet"]
    result = char_rnn.main(["--text", other_text, *tiny, "--steps", "1000000", "--minutes", "0.01", "--eval-every", "1000"])
    steps = result["steps"]
    assert 3 < steps < 1_000_000 and len(totals) == steps
    assert max(totals) < 1_000_000  # a projection of the time left, never the million steps
    assert abs(totals[-1] - steps) <= max(3, steps // 2)


def test_help_shows_every_default(capsys):
    char_rnn = example("char_rnn")
    with pytest.raises(SystemExit):
        char_rnn.parse_args(["--help"])
    text = capsys.readouterr().out
    blocks = re.split(r"\n(?=  -)", text.split("options:", 1)[1])
    defaults = {k: v for k, v in vars(char_rnn.parse_args([])).items() if v not in (None, False)}
    assert len(defaults) >= 14
    for name, value in defaults.items():
        block = next(b for b in blocks if f"--{name.replace('_', '-')}" in b.split()[0:2] or b.strip().startswith(f"--{name.replace('_', '-')} "))
        assert f"(default: {value})" in " ".join(block.split()), name
    assert "default: None" not in text and "default: False" not in text


def test_one_held_out_figure_at_the_end(other_text, capsys):
    char_rnn = example("char_rnn")
    tiny = [a for a in TINY if a != "--quiet"]
    result = char_rnn.main(["--text", other_text, *tiny, "--steps", "6", "--eval-batches", "1"])
    out = capsys.readouterr().out
    assert [r["step"] for r in result["history"]] == [3, 6]
    assert len(re.findall(r"^step 3\b", out, flags=re.M)) == 1 and "step 6" not in out  # periodic checks only
    (final,) = [line for line in out.splitlines() if line.startswith("held-out loss")]
    assert final.startswith(f"held-out loss {result['val_loss']:.3f} nats/char after 6 steps (all")
    assert result["history"][-1]["val_loss"] == result["val_loss"]  # the final record is the figure printed
    assert isinstance(char_rnn.HelpFormatter("x"), argparse.HelpFormatter) and np.isfinite(result["val_loss"])
