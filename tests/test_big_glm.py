"""examples/big_glm.py on tiny settings (threads, processes, a 2-worker LocalCluster) and the
smoke run of benchmarks/dask_glm.py: the NumPy and Dask backends agree and Newton descends."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from test_examples import example

pytest.importorskip("dask")

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)
TINY = ["--rows", "20000", "--chunk", "5000", "--steps", "3", "--check-rows", "10000", "--quiet"]


def big_glm():
    """examples/big_glm.py as a module."""
    return example("big_glm")


def check_fit(result: dict) -> None:
    assert result["check"] < 1e-10  # the NumPy backend's loss, gradient, Hessian = Dask's
    losses = result["losses"]
    assert len(losses) == 3 and all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert result["grad_norms"][-1] < 0.1 * result["grad_norms"][0]
    assert result["error"] < 0.2  # 20 000 rows recover beta_true to about sqrt(d / n)


def test_threads():
    check_fit(big_glm().main([*TINY, "--scheduler", "threads"]))


def test_same_fit_on_every_scheduler_and_loss():
    """The data are the seeded generator's whatever runs them, and the three ways of writing
    the NLL are one function: the fits agree."""
    glm = big_glm()
    base = glm.main([*TINY, "--scheduler", "threads", "--check-rows", "0"])
    for extra in (["--scheduler", "processes"], ["--loss", "logaddexp"]):
        other = glm.main([*TINY, "--check-rows", "0", *extra])
        np.testing.assert_allclose(other["beta"], base["beta"], rtol=1e-9)


def test_prints_progress(capsys):
    big_glm().main(["--rows", "8000", "--chunk", "4000", "--steps", "2", "--check-rows", "4000"])
    out = capsys.readouterr().out
    assert "relative difference" in out and "step 1  loss" in out and "beta_true" in out


def test_distributed():
    """A LocalCluster of 2 worker processes on 127.0.0.1 (about 5 s, most of it starting it)."""
    pytest.importorskip("distributed")
    t = time.perf_counter()
    result = big_glm().main([*TINY, "--scheduler", "distributed", "--workers", "2"])
    check_fit(result)
    assert time.perf_counter() - t < 20


def test_benchmark_smoke():
    pytest.importorskip("distributed")
    command = [sys.executable, os.path.join(ROOT, "benchmarks", "dask_glm.py")]
    command += ["--rows", "2e4", "--chunk", "5000", "--repeat", "1"]
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ROOT))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 2e4")]
    assert len(rows) == 3 and not any("failed" in line for line in rows), done.stdout
