"""autodiff.nn: gradient checks for every layer and loss, the window ops, modules, errors."""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad
from autodiff import nn
from autodiff.ops.window import Windows, WindowsAdjoint, windows


def _set(module: nn.Module, dotted: str, value) -> None:
    """Put `value` at the dotted parameter name (attributes and list indices)."""
    *path, last = dotted.split(".")
    owner = module
    for part in path:
        owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
    if last.isdigit():
        owner[int(last)] = value
    else:
        setattr(owner, last, value)


def check_module(module: nn.Module, inputs, order: int = 2, call=None) -> None:
    """check_grads of `call(module, *inputs)` w.r.t. the float inputs and every parameter."""
    call = call or (lambda m, *xs: m(*xs))
    named = module.named_parameters()
    originals = [p for _, p in named]

    def f(*variables):
        for (name, _), p in zip(named, variables[len(inputs):]):
            _set(module, name, p)
        return call(module, *variables[: len(inputs)])

    try:
        ad.check_grads(f, [*inputs, *(p.value for p in originals)], order=order)
    finally:
        for (name, _), p in zip(named, originals):
            _set(module, name, p)


RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.normal(size=shape)


# -- the window ops ------------------------------------------------------------------------------
def _reference_windows(x, k, s):
    kh, kw = k
    oh, ow = (x.shape[-2] - kh) // s[0] + 1, (x.shape[-1] - kw) // s[1] + 1
    out = np.zeros(x.shape[:-2] + (oh, ow, kh, kw))
    for a in range(oh):
        for b in range(ow):
            out[..., a, b, :, :] = x[..., a * s[0] : a * s[0] + kh, b * s[1] : b * s[1] + kw]
    return out


@pytest.mark.parametrize("shape, kernel, stride", [((5, 6), 2, 1), ((2, 3, 7, 5), (3, 2), (2, 1)), ((1, 4, 4), 4, 3)])
def test_windows_forward_and_gradients(shape, kernel, stride):
    x0 = normal(*shape)
    y = windows(ad.Variable(x0), kernel, stride)
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    s = (stride, stride) if isinstance(stride, int) else stride
    np.testing.assert_allclose(y(), _reference_windows(x0, k, s))
    ad.check_grads(lambda x: ad.tanh(windows(x, kernel, stride)) * 2, [x0], order=2)
    g0 = normal(*y.shape)  # the adjoint as an op of its own, to order 2
    ad.check_grads(lambda g: ad.tanh(WindowsAdjoint(g, kernel=k, stride=s, hw=shape[-2:])), [g0], order=2)


def test_windows_adjoint_is_the_transpose():
    x0, g0 = normal(2, 6, 5), normal(2, 2, 2, 3, 2)
    y = windows(ad.Variable(x0), (3, 2), (2, 2))
    back = WindowsAdjoint(ad.Constant(g0), kernel=(3, 2), stride=(2, 2), hw=(6, 5))()
    assert np.isclose(np.sum(y() * g0), np.sum(x0 * back))  # <W x, g> = <x, W^T g>


@pytest.mark.parametrize("op", ["windows", "adjoint"])
def test_window_ops_batched_cotangent_is_one_vjp_per_row(op):
    x = ad.Variable(normal(3, 5, 4) if op == "windows" else normal(3, 5, 4, 2, 1))
    y = windows(x, 2, (2, 1)) if op == "windows" else WindowsAdjoint(x, kernel=(2, 1), stride=(1, 1), hw=(6, 4))
    y = y * y  # nonlinear, so the vjp depends on x
    seeds = normal(4, *y.shape)
    batched = ad.grad(y, x, seed=seeds)()
    single = np.stack([ad.grad(y, x, seed=s)() for s in seeds])
    assert batched.shape == (4,) + x.shape
    np.testing.assert_allclose(batched, single)


def test_window_errors():
    with pytest.raises(ValueError, match="Windows: kernel"):
        windows(ad.Variable(np.zeros((3, 3))), 4)
    with pytest.raises(ValueError, match=r"WindowsAdjoint: input of shape \(2, 2, 2\) must end with"):
        WindowsAdjoint(ad.Variable(np.zeros((2, 2, 2))), kernel=(2, 2), stride=(1, 1), hw=(3, 3))
    with pytest.raises(ValueError, match="needs at least two axes"):
        windows(ad.Variable(np.zeros(3)), 1)
    with pytest.raises(ValueError, match="stride must be positive"):
        windows(ad.Variable(np.zeros((3, 3))), 2, stride=0)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        windows(ad.Variable(np.zeros((3, 3))), 2.5)
    assert isinstance(windows(ad.Variable(np.zeros((3, 3))), 2), Windows)


# -- layers: gradient checks -----------------------------------------------------------------
def test_linear_gradients():
    check_module(nn.Linear(3, 4, rng=1), [normal(2, 5, 3)])
    check_module(nn.Linear(3, 2, bias=False, rng=1), [normal(3)])


def test_embedding_gradients_and_values():
    embed = nn.Embedding(5, 3, rng=1)
    ids = np.array([[0, 4], [4, 2]])
    np.testing.assert_array_equal(embed(ids)(), embed.weight.value[ids])
    check_module(embed, [], call=lambda m: ad.tanh(m(ids)))


@pytest.mark.parametrize("cell", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_gradients(cell):
    layer = cell(3, 4, rng=1)
    state = [normal(2, 4) for _ in range(layer.state_size)]
    check_module(layer, [normal(2, 3), *state], call=lambda m, x, *s: ad.stack(list(m(x, s))))


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
def test_recurrent_gradients_through_time(layer):
    rnn = layer(3, 4, num_layers=2, rng=1)
    check_module(rnn, [normal(2, 3, 3)], call=lambda m, xs: m(xs)[0])


def test_lstm_matches_a_numpy_reference():
    lstm = nn.LSTM(3, 4, rng=1)
    xs = normal(2, 5, 3)
    ys, [(h, c)] = lstm(ad.Variable(xs))
    cell = lstm.cells[0]
    w = np.concatenate([cell.weight_ih.value, cell.weight_hh.value])
    sig = lambda z: 1 / (1 + np.exp(-z))
    h_ref, c_ref, outputs = np.zeros((2, 4)), np.zeros((2, 4)), []
    for t in range(5):
        z = np.concatenate([xs[:, t], h_ref], axis=1) @ w + cell.bias.value
        i, f, g, o = np.split(z, 4, axis=1)
        c_ref = sig(f) * c_ref + sig(i) * np.tanh(g)
        h_ref = sig(o) * np.tanh(c_ref)
        outputs.append(h_ref)
    np.testing.assert_allclose(ys(), np.stack(outputs, axis=1))
    np.testing.assert_allclose(c(), c_ref)
    assert np.all(cell.bias.value[4:8] == 1)  # the forget gate starts open


def test_gru_matches_a_numpy_reference():
    cell = nn.GRUCell(3, 2, rng=1)
    cell.bias_hh.value = normal(6)
    x, h = normal(4, 3), normal(4, 2)
    (new,) = cell(ad.Variable(x), [ad.Variable(h)])
    sig = lambda z: 1 / (1 + np.exp(-z))
    gx, gh = x @ cell.weight_ih.value + cell.bias.value, h @ cell.weight_hh.value + cell.bias_hh.value
    r, u = sig(gx[:, :2] + gh[:, :2]), sig(gx[:, 2:4] + gh[:, 2:4])
    n = np.tanh(gx[:, 4:] + r * gh[:, 4:])
    np.testing.assert_allclose(new(), (1 - u) * n + u * h)


def test_recurrent_list_and_tensor_forms_agree():
    gru = nn.GRU(3, 4, rng=1)
    xs = normal(2, 6, 3)
    as_tensor, _ = gru(ad.Variable(xs))
    as_list, _ = gru([ad.Constant(xs[:, t]) for t in range(6)])
    np.testing.assert_allclose(as_tensor(), np.stack([y() for y in as_list], axis=1))


def _reference_conv(x, w, b, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    kh, kw, c, o = w.shape
    oh, ow = (x.shape[2] - kh) // stride + 1, (x.shape[3] - kw) // stride + 1
    out = np.zeros((x.shape[0], o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("ncij,ijco->no", patch, w) + b
    return out


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 2)])
def test_conv2d_values_and_gradients(stride, padding):
    conv = nn.Conv2d(2, 3, (3, 2), stride=stride, padding=(padding, padding), rng=1)
    conv.bias.value = normal(3)
    x0 = normal(2, 2, 5, 4)
    expected = _reference_conv(x0, conv.weight.value, conv.bias.value, stride, padding)
    np.testing.assert_allclose(conv(ad.Constant(x0))(), expected)
    check_module(conv, [x0])


def test_pooling_values_and_gradients():
    x0 = RNG.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 10.0  # no ties
    pooled = nn.MaxPool2d(3, stride=2, padding=1)(ad.Constant(x0))()
    padded = np.pad(x0, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    np.testing.assert_allclose(pooled, _reference_windows(padded, (3, 3), (2, 2)).max(axis=(-2, -1)))
    check_module(nn.MaxPool2d(2), [x0])
    check_module(nn.MaxPool2d(3, stride=2, padding=1), [x0 - 3.0])  # all negative: padding must not win
    average = nn.AvgPool2d(2, padding=1)(ad.Constant(x0))()
    np.testing.assert_allclose(average[0, 0, 0, 0], x0[0, 0, 0, 0] / 4)
    check_module(nn.AvgPool2d(3, stride=1, padding=1), [x0])


def test_layer_norm_flatten_sequential_gradients():
    norm = nn.LayerNorm((3, 4))
    norm.weight.value, norm.bias.value = normal(3, 4), normal(3, 4)
    check_module(norm, [normal(2, 3, 4)])
    y = nn.LayerNorm(5)(ad.Constant(normal(4, 5)))()
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)
    model = nn.Sequential(nn.Conv2d(1, 2, 2, rng=1), ad.tanh, nn.Flatten(), nn.Linear(18, 2, rng=2))
    check_module(model, [normal(2, 1, 4, 4)])


def test_dropout_training_and_evaluation():
    drop = nn.Dropout(0.25, rng=3)
    x = ad.Variable(np.ones((200, 50)))
    y = drop(x)
    values = y()
    assert set(np.unique(values)) == {0.0, 1 / 0.75}
    assert abs((values == 0).mean() - 0.25) < 0.02
    (noise,) = nn.resample(y)
    assert not np.array_equal(y(), values)  # a new mask
    ad.check_grads(lambda v: ad.tanh(drop(v)), [normal(3, 4)], order=2)  # a fixed mask between resamples
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x


# -- losses ------------------------------------------------------------------------------------
def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_loss_values_against_numpy():
    logits, labels = normal(4, 3, 5), RNG.integers(0, 5, size=(4, 3))
    picked = np.take_along_axis(_log_softmax(logits), labels[..., None], -1)[..., 0]
    np.testing.assert_allclose(nn.cross_entropy(ad.Constant(logits), labels)(), -picked.mean())
    np.testing.assert_allclose(nn.cross_entropy(ad.Constant(logits), labels, reduction="none")(), -picked)
    np.testing.assert_allclose(nn.nll(ad.Constant(_log_softmax(logits)), labels, reduction="sum")(), -picked.sum())
    p, t = normal(3, 2), normal(3, 2)
    np.testing.assert_allclose(nn.mse(ad.Constant(p), t)(), np.mean((p - t) ** 2))
    z, targets = normal(6) * 5, RNG.uniform(size=6)
    sig = 1 / (1 + np.exp(-z))
    bce = -(targets * np.log(sig) + (1 - targets) * np.log(1 - sig))
    np.testing.assert_allclose(nn.binary_cross_entropy_with_logits(ad.Constant(z), targets)(), bce.mean())
    scores, y = normal(5, 4), RNG.integers(0, 4, size=5)
    margins = np.maximum(0, scores - scores[np.arange(5), y][:, None] + 1)
    margins[np.arange(5), y] = 0
    np.testing.assert_allclose(nn.multiclass_hinge(ad.Constant(scores), y)(), margins.sum(axis=1).mean())
    ws = [normal(2, 2), normal(3)]
    np.testing.assert_allclose(nn.l2_penalty([ad.Constant(w) for w in ws], 0.1)(), 0.1 * sum((w**2).sum() for w in ws))


def test_stable_losses_do_not_overflow():
    huge = ad.Constant(np.array([[1e4, -1e4, 0.0]]))
    assert np.isfinite(nn.cross_entropy(huge, np.array([1]))())
    assert np.isclose(nn.cross_entropy(huge, np.array([1]))(), 2e4)
    logits = ad.Variable(np.array([1e4, -1e4]))
    loss = nn.binary_cross_entropy_with_logits(logits, np.array([0.0, 1.0]))
    assert np.isclose(loss(), 1e4)
    assert np.all(np.isfinite(ad.grad(loss, logits)()))


def test_loss_gradients():
    labels = np.array([2, 0, 1])
    ad.check_grads(lambda z: nn.cross_entropy(z, labels), [normal(3, 4)], order=3)
    ad.check_grads(lambda z: nn.nll(ad.log_softmax(z), labels, reduction="sum"), [normal(3, 4)], order=2)
    ad.check_grads(lambda p, t: nn.mse(p, t), [normal(2, 3), normal(2, 3)], order=2)
    ad.check_grads(lambda z: nn.binary_cross_entropy_with_logits(z, np.array([0.0, 1.0, 0.3])), [normal(3)], order=3)
    ad.check_grads(lambda s: nn.multiclass_hinge(s, labels, margin=0.5), [normal(3, 4)], order=2)
    ad.check_grads(lambda a, b: nn.l2_penalty([a, b], 0.3), [normal(2), normal(2, 2)], order=2)


# -- modules -----------------------------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        self.encoder = nn.Sequential(nn.Linear(3, 4, rng=1), ad.tanh)
        self.heads = [nn.Linear(4, 2, rng=2), nn.Linear(4, 1, rng=3)]
        self.scale = ad.Variable(np.array(1.5), name="scale")
        self._cache = ad.Variable(np.zeros(2))  # private: not a parameter

    def forward(self, x):
        h = self.encoder(x)
        return [head(h) * self.scale for head in self.heads]


def test_named_parameters_and_modules():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["encoder.layers.0.weight", "encoder.layers.0.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias", "scale"]
    assert [name for name, _ in net.named_modules()] == ["", "encoder", "encoder.layers.0", "heads.0", "heads.1"]
    assert len(net.parameters()) == 7
    shared = nn.Sequential(net.heads[0], net.heads[0])
    assert len(shared.parameters()) == 2  # each parameter once
    assert "heads" in repr(net) and "Linear(4 -> 2)" in repr(net)


def test_calling_a_module_opens_name_scopes():
    net = Net()
    a, b = net(ad.Variable(np.ones((2, 3))))
    assert a.scope[0] == "Net"
    scopes = {node.scope for node in ad.toposort([a, b])}
    assert ("Net", "encoder", "layers.0") in scopes
    assert ("Net", "heads.1") in scopes


def test_state_dict_round_trip_and_files(tmp_path):
    net, other = Net(), Net()
    for p in other.parameters():
        p.value = p.value + 1
    x = ad.Variable(normal(2, 3))
    state = net.state_dict()
    state["scale"][...] = 99  # a copy: changing it leaves the parameter alone
    assert net.scale.value == 1.5
    other.load_state_dict(net.state_dict())
    for (name, p), (_, q) in zip(net.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.value, q.value, err_msg=name)
    np.testing.assert_array_equal(net(x)[0](), other(x)[0]())

    path = tmp_path / "net.npz"
    net.save(path)
    third = Net()
    third.heads[0].bias.value = np.ones(2)
    third.load(path)
    np.testing.assert_array_equal(third.heads[0].bias.value, net.heads[0].bias.value)
    assert os.listdir(tmp_path) == ["net.npz"]


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "weights.npz"
    nn.save(path, {"w": np.arange(3.0)})

    def broken(file, array, **options):
        file.write(b"half a file")
        raise KeyboardInterrupt  # killed in the middle of writing

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(KeyboardInterrupt):
        nn.save(path, {"w": np.zeros(3)})
    monkeypatch.undo()
    np.testing.assert_array_equal(nn.load(path)["w"], np.arange(3.0))
    assert os.listdir(tmp_path) == ["weights.npz"]  # no temporary file left behind


def test_save_takes_any_entry_name(tmp_path):
    # np.savez(file, **arrays) takes "file" as its own argument and "allow_pickle" as an option
    arrays = {"file": np.arange(2.0), "allow_pickle": np.ones(3, bool), "layers.0.weight": np.eye(2), "ключ": np.array("é")}
    nn.save(tmp_path / "w.npz", arrays)
    loaded = nn.load(tmp_path / "w.npz")
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name], array, err_msg=name)
        assert loaded[name].dtype == array.dtype


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(
    st.sampled_from(["file", "allow_pickle", "a.b"]) | st.text(min_size=1, max_size=12).filter(lambda name: "\x00" not in name and not name.endswith("/")),
    hnp.arrays(st.sampled_from(["<f2", "<f4", ">f8", "<i1", "<u8", "?", "<c16", "<U3", "S2"]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)),
    max_size=4,
))
def test_save_load_round_trip_property(tmp_path, arrays):
    nn.save(tmp_path / "p.npz", arrays)
    loaded = nn.load(tmp_path / "p.npz")
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)


def test_save_refuses_object_arrays_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match=r"nn.save: entry 'meta' is an array of Python objects \(dtype object\)"):
        nn.save(tmp_path / "w.npz", {"w": np.zeros(2), "meta": np.array({"lr": 0.1})})
    assert os.listdir(tmp_path) == []


def test_load_refuses_a_file_that_would_inflate_past_max_bytes(tmp_path):
    """A 64 kB file that inflates to 64 MiB is refused from its headers: no time, no memory."""
    path = tmp_path / "bomb.npz"
    chunk = np.zeros(2**17)  # 1 MiB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("w.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (64 * chunk.size,)})
        for _ in range(64):
            member.write(chunk.tobytes())
    assert os.path.getsize(path) < 2**17
    tracemalloc.start()
    began = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=r"declares \d+ bytes of arrays by entry 'w' \(shape \(8388608,\), float64\), more than max_bytes=33554432"):
            nn.load(path, max_bytes=2**25)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 1.0 and peak < 2**20
    assert nn.load(path)["w"].shape == (2**23,)  # under the default limit it loads


def test_a_later_save_removes_what_killed_saves_left(tmp_path):
    path = tmp_path / "weights.npz"
    old = time.time() - 3600
    stale = [tmp_path / "weights.npz.0123abcd.tmp", tmp_path / "weights.npz.deadbeef.tmp"]
    kept = [
        tmp_path / "weights.npz.feedf00d.tmp",  # written just now: perhaps another process's save in flight
        tmp_path / "weights.npz.DEADBEEF.tmp",  # not our pattern
        tmp_path / "weights.npz.1234.tmp",
        tmp_path / "other.npz.0123abcd.tmp",  # another file's
        tmp_path / "xweights.npz.0123abcd.tmp",
        tmp_path / "weights.npz.0123abcd.tmp.bak",
    ]
    for name in stale + kept:
        name.write_bytes(b"half a file")
        if name != kept[0]:
            os.utime(name, (old, old))
    (tmp_path / "weights.npz.abcdef01.tmp").mkdir()  # a directory is never removed
    os.utime(tmp_path / "weights.npz.abcdef01.tmp", (old, old))
    nn.save(path, {"w": np.zeros(2)})
    assert sorted(os.listdir(tmp_path)) == sorted([p.name for p in kept] + ["weights.npz", "weights.npz.abcdef01.tmp"])


def test_load_state_dict_errors():
    net = Net()
    state = net.state_dict()
    del state["scale"]
    state["extra"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing \['scale'\], unexpected \['extra'\]"):
        net.load_state_dict(state)
    state = net.state_dict()
    state["heads.0.bias"] = np.zeros(3)
    before = net.encoder.layers[0].weight.value.copy()
    state["encoder.layers.0.weight"] = before + 1
    with pytest.raises(ValueError, match=r"'heads.0.bias' has shape \(3,\), the parameter has shape \(2,\)"):
        net.load_state_dict(state)
    np.testing.assert_array_equal(net.encoder.layers[0].weight.value, before)  # nothing was set


def test_train_and_eval_modes():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_initialisers_are_seeded():
    a, b = nn.Linear(5, 5, rng=7), nn.Linear(5, 5, rng=7)
    np.testing.assert_array_equal(a.weight.value, b.weight.value)
    nn.init.seed(3)
    c = nn.LSTM(4, 6).cells[0].weight_hh.value
    nn.init.seed(3)
    np.testing.assert_array_equal(c, nn.LSTM(4, 6).cells[0].weight_hh.value)
    for k in range(4):  # each gate's recurrent block is orthogonal
        block = c[:, 6 * k : 6 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)
    assert nn.Linear(3, 4, dtype=np.float32).weight.dtype == np.float32
    with pytest.raises(TypeError, match="rng must be"):
        nn.init.normal(3, rng="seed")


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: nn.Linear(3, 2)(ad.Variable(np.zeros((4, 5)))), ValueError, r"Linear: input of shape \(4, 5\) must end with 3 features"),
        (lambda: nn.Linear(3, 0), ValueError, "Linear: out_features must be positive"),
        (lambda: nn.Linear(3.0, 2), TypeError, "Linear: in_features must be an int"),
        (lambda: nn.Embedding(5, 2)(ad.Variable(np.zeros(3))), TypeError, "Embedding: token ids must be integers"),
        (lambda: nn.Embedding(5, 2)(np.array([1, 7])), ValueError, r"Embedding: token ids must lie in \[0, 5\), got 7"),
        (lambda: nn.cross_entropy(ad.Variable(np.zeros((4, 3))), np.zeros(4)), TypeError, "cross_entropy: labels must be integers"),
        (lambda: nn.cross_entropy(ad.Variable(np.zeros((4, 3))), np.zeros(3, int)), ValueError, r"cross_entropy: scores of shape \(4, 3\) need labels of shape \(4,\)"),
        (lambda: nn.cross_entropy(ad.Variable(np.zeros((2, 3))), np.array([0, 3])), ValueError, r"cross_entropy: labels must lie in \[0, 3\), got 3"),
        (lambda: nn.nll(ad.Variable(np.zeros((2, 3))), np.array([-1, 0])), ValueError, r"nll: labels must lie in \[0, 3\), got -1"),
        (lambda: nn.cross_entropy(ad.Variable(np.zeros((2, 3))), np.array([0, 1]), reduction="avg"), ValueError, "cross_entropy: unknown reduction 'avg'"),
        (lambda: nn.mse(ad.Variable(np.zeros(3)), np.zeros((3, 1))), ValueError, r"mse: prediction of shape \(3,\) and target of shape \(3, 1\) differ"),
        (lambda: nn.binary_cross_entropy_with_logits(ad.Variable(np.zeros(2)), np.array([0.0, 2.0])), ValueError, r"targets must lie in \[0, 1\]"),
        (lambda: nn.multiclass_hinge(ad.Variable(np.zeros((2, 3))), np.array([0, 1]), margin=-1), ValueError, "margin must not be negative"),
        (lambda: nn.l2_penalty([]), ValueError, "l2_penalty: no parameters"),
        (lambda: nn.Conv2d(3, 4, 3)(ad.Variable(np.zeros((2, 1, 8, 8)))), ValueError, r"Conv2d: input of shape \(2, 1, 8, 8\) has 1 channels, expected 3"),
        (lambda: nn.Conv2d(1, 4, 3)(ad.Variable(np.zeros((1, 8, 8)))), ValueError, r"Conv2d: input of shape \(1, 8, 8\) must be \(batch, channels, height, width\)"),
        (lambda: nn.Conv2d(1, 4, 5)(ad.Variable(np.zeros((1, 1, 3, 3)))), ValueError, r"Conv2d: kernel \(5, 5\) is larger"),
        (lambda: nn.Conv2d(1, 4, 3, padding=-1), ValueError, "Conv2d: padding must not be negative"),
        (lambda: nn.MaxPool2d(2, padding=2), ValueError, "MaxPool2d: padding"),
        (lambda: nn.Dropout(1.0), ValueError, r"Dropout: p must be in \[0, 1\)"),
        (lambda: nn.LayerNorm(4)(ad.Variable(np.zeros((2, 3)))), ValueError, r"LayerNorm: input of shape \(2, 3\) must end with \(4,\)"),
        (lambda: nn.LSTMCell(3, 4)(ad.Variable(np.zeros((2, 3))), [ad.zeros((2, 4))]), ValueError, r"LSTMCell: state must be 2 node\(s\) of shape \(2, 4\)"),
        (lambda: nn.GRU(3, 4)(ad.Variable(np.zeros((2, 5)))), ValueError, r"GRU: input of shape \(2, 5\) must be \(batch, time, features\)"),
        (lambda: nn.RNN(3, 4)(ad.Variable(np.zeros((2, 5, 2)))), ValueError, r"RNNCell: input of shape \(2, 2\) must be \(batch, 3\)"),
        (lambda: nn.RNN(3, 4, num_layers=2)([ad.zeros((2, 3))], state=[(ad.zeros((2, 4)),)]), ValueError, "RNN: state has 1 layers, the layer has 2"),
        (lambda: nn.Sequential(nn.Linear(2, 2), "relu"), TypeError, "Sequential: layer 1 is a str"),
        (lambda: nn.Flatten(3)(ad.Variable(np.zeros((2, 3)))), ValueError, "Flatten: start_axis 3 is out of range"),
    ],
)
def test_bad_input_gives_a_clear_error(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_label_range_is_checked_when_values_arrive():
    labels = ad.Variable(np.zeros(2, np.int64), name="y")
    loss = nn.cross_entropy(ad.Variable(np.zeros((2, 3))), labels)
    plan = ad.function(loss, inputs=[labels])
    assert np.isclose(plan(np.array([0, 2])), np.log(3))
    with pytest.raises(ValueError, match=r"cross_entropy: labels must lie in \[0, 3\), got 5"):
        plan(np.array([0, 5]))
    with pytest.raises(ValueError, match=r"got -2"):
        plan(np.array([-2, 0]))
