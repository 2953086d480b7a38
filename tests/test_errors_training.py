"""The bad-input table of training: optimizers, their state, modules, and files.

Each row does one bad thing and pins the error type and message; nothing is changed by a
call that raises.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn, optim


def w() -> ad.Variable:
    return ad.Variable(np.zeros(2), name="w")


def adam(**options) -> optim.Adam:
    opt = optim.Adam([w()], lr=0.1, **options)
    opt.step([np.ones(2)])
    return opt


def adam_state(**changes) -> dict:
    return {**adam().state_dict(), **changes}


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """Only the header of an .npy file: it declares `shape` but holds no data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def archive(tmp, members: dict[str, bytes], name: str = "bad.npz") -> str:
    path = tmp / name
    with zipfile.ZipFile(path, "w") as file:
        for member, data in members.items():
            file.writestr(member, data)
    return str(path)


def not_a_zip(tmp) -> str:
    path = tmp / "weights.npz"
    path.write_bytes(b"not a zip file at all")
    return str(path)


BAD = [
    # (what, do(tmp), error type, message pattern)
    # -- optimizer options and attributes
    ("steps set negative", lambda tmp: setattr(adam(), "steps", -1), ValueError, r"Adam: steps must not be negative, got -1"),
    ("steps set to a float", lambda tmp: setattr(adam(), "steps", 2.7), TypeError, r"Adam: steps must be an integer, got 2.7 \(float\)"),
    ("steps set to a bool", lambda tmp: setattr(adam(), "steps", True), TypeError, r"Adam: steps must be an integer, got True \(bool\)"),
    ("lr set negative", lambda tmp: setattr(adam(), "lr", -0.1), ValueError, r"Adam: lr must be positive and finite, got -0.1"),
    ("lr infinite", lambda tmp: optim.SGD([w()], lr=math.inf), ValueError, r"SGD: lr must be positive and finite, got inf"),
    ("lr nan", lambda tmp: optim.SGD([w()], lr=math.nan), ValueError, r"SGD: lr must be positive and finite, got nan"),
    ("lr a string", lambda tmp: optim.SGD([w()], lr="0.1"), TypeError, r"SGD: lr must be a real number, got '0.1' \(str\)"),
    ("schedule gives nan", lambda tmp: optim.Adam([w()], lr=lambda step: math.nan).step([np.ones(2)]), ValueError, r"Adam: the lr schedule at step 0 gave lr=nan; a rate must be finite and not negative"),
    ("schedule gives a string", lambda tmp: optim.Adam([w()], lr=lambda step: "big").step([np.ones(2)]), TypeError, r"Adam: the lr schedule at step 0: its value must be a real number, got 'big' \(str\)"),
    ("eps zero", lambda tmp: optim.Adam([w()], eps=0), ValueError, r"Adam: eps must be positive and finite, got 0"),
    ("eps negative", lambda tmp: optim.RMSProp([w()], eps=-1e-8), ValueError, r"RMSProp: eps must be positive and finite, got -1e-08"),
    ("Adagrad eps nan", lambda tmp: optim.Adagrad([w()], eps=math.nan), ValueError, r"Adagrad: eps must be positive and finite, got nan"),
    ("weight_decay nan", lambda tmp: optim.SGD([w()], weight_decay=math.nan), ValueError, r"SGD: weight_decay must not be negative, got nan"),
    ("AdamW weight_decay negative", lambda tmp: optim.AdamW([w()], weight_decay=-0.1), ValueError, r"AdamW: weight_decay must not be negative, got -0.1"),
    ("momentum nan", lambda tmp: optim.SGD([w()], momentum=math.nan), ValueError, r"SGD: momentum must be in \[0, 1\), got nan"),
    ("betas one number", lambda tmp: optim.Adam([w()], betas=0.9), ValueError, r"Adam: betas must be two numbers in \[0, 1\), got 0.9"),
    ("betas with a string", lambda tmp: optim.Adam([w()], betas=(0.9, "x")), TypeError, r"Adam: betas must be a real number, got 'x' \(str\)"),
    ("betas of one", lambda tmp: optim.Adam([w()], betas=(0.9, 1.0)), ValueError, r"Adam: betas must be in \[0, 1\), got 1.0"),
    ("clip_norm a string", lambda tmp: optim.SGD([w()], clip_norm="5"), TypeError, r"SGD: clip_norm must be a real number, got '5' \(str\)"),
    ("nonfinite unknown", lambda tmp: optim.SGD([w()], nonfinite="warn"), ValueError, r"SGD: nonfinite must be 'raise', 'skip' or None, got 'warn'"),
    ("nonfinite set to True", lambda tmp: setattr(adam(), "nonfinite", True), ValueError, r"Adam: nonfinite must be 'raise', 'skip' or None, got True"),
    ("params one Variable", lambda tmp: optim.SGD(w()), TypeError, r"SGD: params must be a list of ad.Variables, got a Variable"),
    ("params a module", lambda tmp: optim.SGD(nn.Linear(2, 2)), TypeError, r"SGD: params must be a list of ad.Variables, got a Linear"),
    # -- steps
    ("gradient complex", lambda tmp: optim.SGD([w()]).step([np.ones(2, complex)]), TypeError, r"SGD: gradient 0 \(parameter 'w'\) has dtype complex128; gradients must be real numbers"),
    ("gradient nan, raise", lambda tmp: adam(nonfinite="raise").step([np.array([np.nan, 1.0])]), ValueError, r"Adam: gradient 0 \(parameter 'w'\) has 1 non-finite entries \(1 nan\) at step 1"),
    ("gradient inf, raise", lambda tmp: optim.SGD([w()], nonfinite="raise").step([np.array([np.inf, -np.inf])]), ValueError, r"SGD: gradient 0 \(parameter 'w'\) has 2 non-finite entries \(0 nan\) at step 0"),
    # -- optimizer state dicts
    ("state not a mapping", lambda tmp: adam().load_state_dict([("steps", 1)]), TypeError, r"Adam.load_state_dict: expected a mapping of names to arrays, got a list"),
    ("state steps a float", lambda tmp: adam().load_state_dict(adam_state(steps=np.array(2.7))), TypeError, r"Adam.load_state_dict: 'steps' must be an integer, got 2.7 \(dtype float64\)"),
    ("state steps negative", lambda tmp: adam().load_state_dict(adam_state(steps=np.array(-1))), ValueError, r"Adam.load_state_dict: 'steps' must not be negative, got -1"),
    ("state steps an array", lambda tmp: adam().load_state_dict(adam_state(steps=np.array([1, 2]))), ValueError, r"Adam.load_state_dict: 'steps' must be one integer, got an array of shape \(2,\)"),
    ("state steps a string", lambda tmp: adam().load_state_dict(adam_state(steps=np.array("3"))), TypeError, r"Adam.load_state_dict: 'steps' must be an integer, got '3' \(dtype <U1\)"),
    ("state v negative", lambda tmp: adam().load_state_dict(adam_state(**{"0.v": np.array([1.0, -1.0])})), ValueError, r"Adam.load_state_dict: '0.v' is a sum of squares but has negative entries \(the least is -1.0\)"),
    ("state m nan", lambda tmp: adam().load_state_dict(adam_state(**{"0.m": np.array([np.nan, 0.0])})), ValueError, r"Adam.load_state_dict: '0.m' has 1 non-finite entries \(as float64\)"),
    ("state m strings", lambda tmp: adam().load_state_dict(adam_state(**{"0.m": np.array(["a", "b"])})), TypeError, r"Adam.load_state_dict: '0.m' has dtype <U1; state arrays hold real numbers"),
    ("state too large for float32", lambda tmp: optim.RMSProp([ad.Variable(np.zeros(2, np.float32))]).load_state_dict({"steps": np.array(1), "0.mean_square": np.array([1e300, 0.0])}), ValueError, r"RMSProp.load_state_dict: '0.mean_square' has 1 non-finite entries \(as float32\)"),
    ("state Adagrad negative", lambda tmp: optim.Adagrad([w()]).load_state_dict({"steps": np.array(1), "0.sum_squares": np.array([-2.0, 0.0])}), ValueError, r"'0.sum_squares' is a sum of squares but has negative entries \(the least is -2.0\)"),
    # -- modules and their state dicts
    ("module state not a mapping", lambda tmp: nn.Linear(2, 2, rng=0).load_state_dict([np.zeros((2, 2))]), TypeError, r"Linear.load_state_dict: expected a mapping of names to arrays, got a list"),
    ("module state missing", lambda tmp: nn.Linear(2, 2, rng=0).load_state_dict({"weight": np.zeros((2, 2))}), ValueError, r"Linear.load_state_dict: missing \['bias'\], unexpected \[\]"),
    ("module file of another model", lambda tmp: (nn.Linear(2, 2, rng=0).save(tmp / "m.npz"), nn.Linear(2, 3, rng=0).load(tmp / "m.npz")), ValueError, r"Linear.load_state_dict: 'weight' has shape \(2, 2\), the parameter has shape \(2, 3\)"),
    ("module load over max_bytes", lambda tmp: (nn.Linear(20, 20, rng=0).save(tmp / "m.npz"), nn.Linear(20, 20).load(tmp / "m.npz", max_bytes=1000)), ValueError, r"nn.load: .* declares \d+ bytes of arrays by entry 'weight' \(shape \(20, 20\), float64\), more than max_bytes=1000"),
    # -- nn.save
    ("save an object array", lambda tmp: nn.save(tmp / "a.npz", {"names": np.array(["a", None])}), TypeError, r"nn.save: entry 'names' is an array of Python objects \(dtype object\), which nn.load never reads"),
    ("save a list of objects", lambda tmp: nn.save(tmp / "a.npz", {"w": [np.zeros(2), np.zeros(3)]}), ValueError, r"nn.save: entry 'w' is not one array \(.*inhomogeneous"),
    ("save a Variable", lambda tmp: nn.save(tmp / "a.npz", {"w": w()}), TypeError, r"nn.save: entry 'w' is a Variable node; save its value \(an array\)"),
    ("save a list", lambda tmp: nn.save(tmp / "a.npz", [np.zeros(2)]), TypeError, r"nn.save: expected a mapping of names to arrays, got a list"),
    ("save a number as a name", lambda tmp: nn.save(tmp / "a.npz", {3: np.zeros(2)}), TypeError, r"nn.save: entry names must be non-empty strings, got 3"),
    ("save an empty name", lambda tmp: nn.save(tmp / "a.npz", {"": np.zeros(2)}), TypeError, r"nn.save: entry names must be non-empty strings, got ''"),
    # -- nn.load
    ("load a 8 TiB header", lambda tmp: nn.load(archive(tmp, {"w.npy": header((2**40,))})), ValueError, r"nn.load: .*bad.npz' declares 8796093022208 bytes of arrays by entry 'w' \(shape \(1099511627776,\), float64\), more than max_bytes=4294967296; pass a larger max_bytes"),
    ("load two entries past the limit", lambda tmp: nn.load(archive(tmp, {"a.npy": npy(np.zeros(100)), "b.npy": npy(np.zeros(100))}), max_bytes=1500), ValueError, r"declares 1\d\d\d bytes of arrays by entry 'b'.*max_bytes=1500"),
    ("load max_bytes zero", lambda tmp: nn.load(archive(tmp, {}), max_bytes=0), ValueError, r"nn.load: max_bytes must be positive, got 0"),
    ("load max_bytes a float", lambda tmp: nn.load(archive(tmp, {}), max_bytes=1e9), TypeError, r"nn.load: max_bytes must be an integer, got 1000000000.0"),
    ("load not a zip", lambda tmp: nn.load(not_a_zip(tmp)), ValueError, r"nn.load: .*weights.npz' is not an .npz file"),
    ("load an object array", lambda tmp: nn.load(archive(tmp, {"o.npy": npy(np.array([None]), allow_pickle=True)})), ValueError, r"nn.load: entry 'o' of .* holds Python objects \(dtype object\), which are never loaded"),
    ("load a stray member", lambda tmp: nn.load(archive(tmp, {"w.npy": npy(np.zeros(2)), "notes.txt": b"hello"})), ValueError, r"nn.load: .* holds 'notes.txt', which is not an .npy array"),
    ("load a member that is no npy", lambda tmp: nn.load(archive(tmp, {"w.npy": b"hello"})), ValueError, r"nn.load: entry 'w' of .* is not a valid .npy array"),
    ("load a header without its data", lambda tmp: nn.load(archive(tmp, {"w.npy": header((10,))})), ValueError, r"nn.load: entry 'w' of .* is damaged \(EOF"),
]


@pytest.mark.parametrize("what, do, error, message", BAD, ids=[row[0] for row in BAD])
def test_bad_input_gives_a_clear_error(what, do, error, message, tmp_path):
    with pytest.raises(error, match=message):
        do(tmp_path)


def test_a_bad_load_changes_nothing():
    opt = adam()
    before = opt.state_dict()
    with pytest.raises(ValueError, match="'0.v' is a sum of squares"):
        opt.load_state_dict({**before, "steps": np.array(7), "0.m": before["0.m"] + 1, "0.v": np.array([-1.0, 0.0])})
    assert opt.steps == 1
    for key, array in opt.state_dict().items():
        np.testing.assert_array_equal(array, before[key], err_msg=key)
