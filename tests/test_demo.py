"""The README's main-job demo runs and prints the numbers it promises."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_runs_and_prints_derivatives():
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "demo.py"), "--steps", "4"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    out = result.stdout
    assert "z = x*y + exp(x+3) at x=3, y=4: 415.43" in out
    assert "dz/dx = 407.43, dz/dy = 3.00" in out
    assert "check_grads to order 3 against finite differences: passed" in out
    assert "10th derivative of tanh at 0.5: 7300.98" in out
    assert "held-out loss" in out and "after 4 steps" in out
