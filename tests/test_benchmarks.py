"""The benchmark workloads compute what their hand-written NumPy references compute.

`benchmarks/run.py` checks each first result when it times them; this keeps the workloads
(above all the user-written forms of `benchmarks/user_forms.py`) right between benchmark runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import user_forms  # noqa: E402


@pytest.mark.parametrize("case", user_forms.cases(), ids=lambda c: c.name)
def test_a_user_form_agrees_with_its_numpy_reference(case):
    rng = np.random.default_rng(0)
    reference, autodiff = case.builders["numpy"](), case.builders["autodiff"]()
    for _ in range(3 if case.stateful else 2):  # stateful: three training steps in lockstep
        args = case.inputs(rng)
        got, want = autodiff(*args), reference(*args)
        several = isinstance(want, tuple)  # several outputs (a Newton step's three)
        for value, expected in zip(*((got, want) if several else ([got], [want])), strict=True):
            np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12)
    assert case.nodes() > 0
