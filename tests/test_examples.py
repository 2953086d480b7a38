"""The training examples, each run on tiny settings; char-rnn checkpoints and resuming."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def example(name: str):
    """The module examples/<name>.py, imported by path (examples is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_digits():
    pytest.importorskip("sklearn")
    result = example("mlp_digits").main(["--epochs", "3"])
    assert result["test_accuracy"] > 0.85


def test_iris():
    pytest.importorskip("sklearn")
    result = example("iris").main(["--epochs", "60"])
    assert result["svm_test_accuracy"] > 0.8 and result["mlp_test_accuracy"] > 0.8


def test_conv_digits():
    pytest.importorskip("sklearn")
    result = example("conv_digits").main(["--epochs", "2", "--channels", "8"])
    assert result["test_accuracy"] > 0.75


def test_multi_loss():
    pytest.importorskip("sklearn")
    result = example("multi_loss").main(["--epochs", "2", "--hidden", "32"])
    assert result["digit_accuracy"] > 0.7 and result["even_accuracy"] > 0.7


# -- char-rnn --------------------------------------------------------------------------------
TINY = ["--hidden", "16", "--embed", "8", "--seq-len", "8", "--batch", "4", "--eval-every", "3", "--quiet"]


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("the quick brown fox jumps over the lazy dog. " * 60, encoding="utf-8")
    return str(path)


def test_char_rnn_learns_and_generates(text_file, capsys):
    char_rnn = example("char_rnn")
    result = char_rnn.main(["--text", text_file, *TINY, "--steps", "40", "--lr", "0.01", "--generate", "30", "--prime", "the "])
    assert result["steps"] == 40
    assert np.mean(result["losses"][-5:]) < np.mean(result["losses"][:5]) - 0.5
    assert result["history"][-1]["val_loss"] < np.log(28)  # better than guessing among the characters
    assert result["sample"].startswith("the ") and len(result["sample"]) == 34
    assert set(result["sample"]) <= set("the quick brown fox jumps over the lazy dog.")
    assert "nats/char" in capsys.readouterr().out


@pytest.mark.parametrize("model", ["rnn", "gru"])
def test_char_rnn_other_cells_and_layers(text_file, model):
    result = example("char_rnn").main(["--text", text_file, *TINY, "--model", model, "--layers", "2", "--steps", "3"])
    assert np.isfinite(result["val_loss"])


def test_char_rnn_default_text_runs_offline():
    char_rnn = example("char_rnn")
    assert len(char_rnn.default_text()) > 100_000
    result = char_rnn.main([*TINY, "--steps", "2", "--eval-batches", "1"])
    assert np.isfinite(result["val_loss"])


def test_char_rnn_resume_gives_the_same_next_losses(text_file, tmp_path):
    char_rnn = example("char_rnn")
    whole = char_rnn.main(["--text", text_file, *TINY, "--steps", "7", "--save", str(tmp_path / "whole.npz")])
    first = char_rnn.main(["--text", text_file, *TINY, "--steps", "4", "--save", str(tmp_path / "part.npz")])
    rest = char_rnn.main(["--text", text_file, *TINY, "--steps", "7", "--resume", str(tmp_path / "part.npz"), "--save", str(tmp_path / "part.npz")])
    assert first["losses"] == whole["losses"][:4]
    assert rest["losses"] == whole["losses"][4:]  # exactly: same batches, parameters and Adam state
    a, b = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "part.npz")
    for name in a.files:
        if name.startswith(("model.", "optim.")):
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert [r["step"] for r in rest["history"]] == [3, 4, 6, 7]
    assert sorted(os.listdir(tmp_path)) == ["part.npz", "text.txt", "whole.npz"]  # no temporary files


def test_char_rnn_generate_from_a_checkpoint(text_file, tmp_path):
    char_rnn = example("char_rnn")
    path = str(tmp_path / "model.npz")
    char_rnn.main(["--text", text_file, *TINY, "--steps", "3", "--save", path])
    result = char_rnn.main(["--text", text_file, *TINY, "--resume", path, "--steps", "0", "--generate", "10", "--prime", "fox"])
    assert result["steps"] == 3 and result["losses"] == []
    assert result["sample"].startswith("fox") and len(result["sample"]) == 13


def test_char_rnn_bad_input(text_file, tmp_path):
    char_rnn = example("char_rnn")
    with pytest.raises(SystemExit):
        char_rnn.main(["--text", text_file, "--model", "transformer"])
    with pytest.raises(SystemExit):
        char_rnn.main(["--text", text_file, "--temperature", "0"])
    with pytest.raises(ValueError, match="never saw"):
        char_rnn.main(["--text", text_file, *TINY, "--steps", "0", "--generate", "5", "--prime", "XYZ"])
    other = tmp_path / "other.txt"
    other.write_text("completely different text!" * 50, encoding="utf-8")
    path = str(tmp_path / "model.npz")
    char_rnn.main(["--text", text_file, *TINY, "--steps", "1", "--save", path])
    with pytest.raises(ValueError, match="vocabulary lacks"):
        char_rnn.main(["--text", str(other), *TINY, "--resume", path, "--steps", "0"])
