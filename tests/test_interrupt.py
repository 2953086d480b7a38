"""Interrupts: `optim.defer_signals`, and real Ctrl-Cs sent to examples/char_rnn.py.

The example promises exact resumption; a SIGINT at any moment (inside an update, after the
next batch was drawn, in the middle of a checkpoint, twice during the final save) must leave
a checkpoint from which the resumed run sees the losses of an uninterrupted one.
"""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import autodiff as ad
from autodiff import optim

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)
SCRIPT = os.path.join(ROOT, "examples", "char_rnn.py")
TINY = ["--hidden", "16", "--embed", "8", "--seq-len", "8", "--batch", "4", "--eval-every", "3", "--quiet"]


# -- defer_signals --------------------------------------------------------------------------
def test_a_signal_waits_for_the_block_and_comes_once():
    before = signal.getsignal(signal.SIGINT)
    done = []
    with pytest.raises(KeyboardInterrupt), optim.defer_signals() as deferred:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # a second Ctrl-C is held too
        done.append("finished")
    assert done == ["finished"]
    assert deferred.received == [signal.SIGINT, signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is before


def test_each_held_signal_goes_to_the_handler_from_before():
    calls = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
    try:
        with optim.defer_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)
            assert calls == []
        assert calls == [signal.SIGTERM]
        with optim.defer_signals():  # nothing came: nothing is delivered
            pass
        assert calls == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_nested_blocks_deliver_at_the_outer_end():
    order = []
    with pytest.raises(KeyboardInterrupt), optim.defer_signals():
        with optim.defer_signals() as inner:
            signal.raise_signal(signal.SIGINT)
        order.append("after the inner block")
    assert order == ["after the inner block"] and inner.received == []


def test_an_error_in_the_block_restores_the_handlers():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(RuntimeError, match="inside"), optim.defer_signals():
        raise RuntimeError("inside")
    assert signal.getsignal(signal.SIGINT) is before


def test_off_the_main_thread_it_does_nothing():
    errors = []

    def work():
        try:
            with optim.defer_signals() as deferred:
                errors.append(deferred.received)
        except ValueError as error:  # signal.signal off the main thread
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == [[]]


def test_an_update_that_fails_halfway_changes_nothing():
    class Flaky(optim.SGD):
        fail = False

        def update(self, value, g, state, lr):
            super().update(value, g, state, lr)
            if self.fail and value.size == 3:
                raise KeyboardInterrupt  # after the first parameter was updated

    a, b = ad.Variable(np.ones(2), name="a"), ad.Variable(np.ones(3), name="b")
    opt = Flaky([a, b], lr=0.5, momentum=0.9)
    opt.step([np.ones(2), np.ones(3)])
    state, values = opt.state_dict(), [a.value.copy(), b.value.copy()]
    opt.fail = True
    with pytest.raises(KeyboardInterrupt):
        opt.step([np.ones(2), np.ones(3)])
    np.testing.assert_array_equal(a.value, values[0])
    np.testing.assert_array_equal(b.value, values[1])
    assert opt.steps == 1
    for key, array in opt.state_dict().items():
        np.testing.assert_array_equal(array, state[key], err_msg=key)


# -- char-rnn under real SIGINTs -----------------------------------------------------------------
def char_rnn():
    spec = importlib.util.spec_from_file_location("example_char_rnn_interrupt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "text.txt"
    path.write_text("the quick brown fox jumps over the lazy dog. " * 60, encoding="utf-8")
    return str(path)


def interrupted_run(text_file: str, path: str, gaps: list[float], signum: int = signal.SIGINT) -> tuple[int, str]:
    """Train in a subprocess until the first checkpoint exists, then send `signum` after each gap;
    the exit status and stderr."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, SCRIPT, "--text", text_file, *TINY, "--steps", "1000000", "--save", path],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(path):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no checkpoint after 60 s"
            time.sleep(0.005)
        for gap in gaps:
            time.sleep(gap)
            process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, err


def check_resumes_exactly(example, text_file: str, path: str) -> int:
    """The checkpoint at `path` is the state of an uninterrupted run after as many steps, and
    resuming it gives that run's next losses; returns the step count."""
    steps = int(np.load(path)["optim.steps"])
    whole = example.main(["--text", text_file, *TINY, "--steps", str(steps + 4)])
    rest = example.main(["--text", text_file, *TINY, "--steps", str(steps + 4), "--resume", path])
    assert rest["losses"] == whole["losses"][steps:], f"resumed after step {steps}"
    return steps


@pytest.mark.parametrize("seed, signum", [(0, signal.SIGINT), (1, signal.SIGINT), (2, signal.SIGINT), (3, signal.SIGTERM)])
def test_a_ctrl_c_at_a_random_moment_saves_a_consistent_checkpoint(text_file, tmp_path, seed, signum):
    example = char_rnn()
    path = str(tmp_path / "run.npz")
    status, err = interrupted_run(text_file, path, [random.Random(seed).uniform(0, 0.25)], signum)
    assert status == 128 + signum, err
    steps = check_resumes_exactly(example, text_file, path)
    assert f"interrupted ({signum.name}) after step {steps}; {path} holds the state after it" in err
    # the checkpoint also equals the uninterrupted run's at that step, array for array
    stopped = str(tmp_path / "stopped.npz")
    example.main(["--text", text_file, *TINY, "--steps", str(steps), "--save", stopped])
    a, b = np.load(path), np.load(stopped)
    for name in a.files:
        if name.startswith(("model.", "optim.")) or name in ("rng", "dropout_rng"):
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


@pytest.mark.parametrize("seed", range(3))
def test_a_second_ctrl_c_during_the_final_save_does_not_lose_it(text_file, tmp_path, seed):
    example = char_rnn()
    path = str(tmp_path / "run.npz")
    draw = random.Random(100 + seed)
    status, err = interrupted_run(text_file, path, [draw.uniform(0, 0.2), draw.uniform(0, 0.003)])
    assert status in (130, -signal.SIGINT), err  # the second may come after the save, at the exit
    steps = check_resumes_exactly(example, text_file, path)
    assert f"interrupted (SIGINT) after step {steps}; {path} holds the state after it" in err
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
