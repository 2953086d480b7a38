"""What the benchmark scripts print: ratios that agree with the times beside them, missed
targets flagged, and progress from benchmarks/checkpoint.py while it builds its graphs."""

from __future__ import annotations

import importlib.util
import os
import re
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")


@pytest.fixture
def script(monkeypatch):
    """benchmarks/<name>.py imported by path, leaving os.environ and sys.path as they were."""
    monkeypatch.setattr(os, "environ", os.environ.copy())
    monkeypatch.setattr(sys, "path", [BENCHMARKS, *sys.path])

    def load(name):
        spec = importlib.util.spec_from_file_location(f"benchmark_{name}", os.path.join(BENCHMARKS, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def case(workloads, name, target):
    return workloads.Case(name=name, kind=name, data={}, target=target, inputs=lambda rng: (), builders={})


def test_the_ratio_is_that_of_the_medians_shown_and_a_missed_target_is_flagged(script):
    run = script("run")
    workloads = sys.modules["workloads"]
    results = [
        # per-round ratios can say 0.90x while the medians say 1.30x: the table shows the medians' ratio
        (case(workloads, "slow", "<= 1.2x"), {"times": {"numpy": 1e-3, "autodiff": 1.3e-3}, "ratios": {"numpy": 1.0, "autodiff": 0.9},
                                              "first": {"numpy": 0.001, "autodiff": 0.01}, "agrees": {}, "nodes": 40}),
        (case(workloads, "fine", "<= 1.2x; first <= 50 ms; <= 100 nodes"),
         {"times": {"numpy": 2e-3, "autodiff": 2.2e-3}, "ratios": {"numpy": 1.0, "autodiff": 1.3},
          "first": {"numpy": 0.001, "autodiff": 0.02}, "agrees": {}, "nodes": 90}),
        (case(workloads, "late", "first <= 50 ms; <= 5x; <= 100 nodes"),
         {"times": {"numpy": 1e-4, "autodiff": 2e-4}, "ratios": {"numpy": 1.0, "autodiff": 2.0},
          "first": {"numpy": 0.001, "autodiff": 0.08}, "agrees": {}, "nodes": 120}),
        (case(workloads, "no target", ""), {"times": {"numpy": 1e-4, "autodiff": 2e-4}, "ratios": {"numpy": 1.0, "autodiff": 2.0},
                                            "first": {"numpy": 0.001, "autodiff": 0.08}, "agrees": {}, "nodes": None}),
    ]
    text = run.table(results, ["numpy", "autodiff"])
    head, _, *rows = text.splitlines()
    assert "NumPy (median)" in head and "autodiff (median)" in head and "ratio of medians" in head and "target met" in head
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    assert cells[0][2:5] == ["1.00 ms", "1.30 ms", "1.30x"] and cells[0][7] == "**MISSED**: ratio 1.30x > 1.2x"
    assert cells[1][4] == "1.10x" and cells[1][7] == "yes"
    assert cells[2][7] == "**MISSED**: first call 80.00 ms > 50 ms, 120 nodes > 100"
    assert cells[3][7] == ""
    for row in cells:  # every ratio is the ratio of the two times beside it, as printed
        numpy_time, autodiff_time = (float(re.match(r"[\d.]+", c)[0]) * {"us": 1e-6, "ms": 1e-3, "s": 1}[c.split()[1]] for c in row[2:4])
        assert float(row[4].rstrip("x")) == pytest.approx(autodiff_time / numpy_time, abs=0.006)


def test_checkpoint_benchmark_shows_progress_and_checks_its_targets(script, capsys):
    checkpoint = script("checkpoint")
    result = checkpoint.main(["--steps", "24", "--every", "8", "--hidden", "16", "--batch", "4", "--repeats", "2"])
    out, err = capsys.readouterr()
    assert re.search(r"^\[\s*[\d.]+ s\] building, differentiating and planning the plain graph", err, flags=re.M)
    assert "gradients built" in err and "round 2/2: plain" in err
    assert result["time_ratio"] == pytest.approx(result["step_checkpointed_s"] / result["step_plain_s"])
    assert "(median)" in out and re.search(r"^target\s+<= 0.25x\s+<= 1.5x$", out, flags=re.M)
    met = re.search(r"^met\s+(yes|MISSED)\s+(yes|MISSED)$", out, flags=re.M)
    assert met and result["targets_met"] == (met.groups() == ("yes", "yes"))
