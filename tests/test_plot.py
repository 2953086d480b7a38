"""Static plots (to_dot / plot / write) and the data of the HTML page, without a browser."""

import importlib
import importlib.resources
import importlib.util
import json
import pkgutil
import re
import shutil
import tempfile
from pathlib import Path

import graphviz
import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.ops.creation import Eye, Fill
from autodiff.plotting import GraphvizNotFoundError, plot, plot_html, to_dot

ROOT = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (bash tests/install_system_deps.sh)")


def mlp():
    """A two-layer net in nested modules, its loss and the gradient of the loss."""
    rng = np.random.default_rng(0)
    x = ad.Variable(rng.normal(size=3), name="x")
    W1 = ad.Variable(rng.normal(size=(4, 3)), name="W1")
    W2 = ad.Variable(rng.normal(size=(2, 4)), name="W2")
    with ad.name_scope("mlp"):
        with ad.name_scope("layer1"):
            h = ad.tanh(W1 @ x)
        with ad.name_scope("layer2"):
            out = W2 @ h
        loss = ad.sum(out * out)
    return loss, ad.grad(loss, W1), (x, W1, W2)


def statements(dot):
    """{node id: attribute text} and [(tail, head)] of a DOT text from `to_dot`."""
    nodes = dict(re.findall(r"^\s*(\w+) \[(label=.*)\]$", dot, flags=re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+)", dot, flags=re.M)
    return nodes, edges


def no_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` to be found
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)


# -- DOT -----------------------------------------------------------------------------------------


def test_op_nodes_show_op_and_shape_and_kinds_look_different():
    loss, dW1, (x, W1, W2) = mlp()
    nodes, edges = statements(to_dot([loss, dW1]))
    assert nodes[f"n{W1._id}"].startswith(r'label="W1\n(4, 3)"')
    assert "shape=ellipse" in nodes[f"n{W1._id}"] and "#cfe2ff" in nodes[f"n{W1._id}"]
    tanh = next(n for n in ad.toposort([loss]) if n.name == "Tanh")
    assert nodes[f"n{tanh._id}"].startswith(r'label="Tanh\n(4,)"')
    assert "fillcolor=\"#ffffff\"" in nodes[f"n{tanh._id}"]  # a forward op
    assert "#ffe0c2" in nodes[f"n{dW1._id}"] and "penwidth=2.5" in nodes[f"n{dW1._id}"]  # derivative, output
    constants = [n for n in ad.toposort([dW1]) if isinstance(n, (ad.Constant, Fill, Eye))]
    assert constants and all("dashed" in nodes[f"n{c._id}"] for c in constants)
    assert (f"n{W1._id}", next(f"n{n._id}" for n in ad.toposort([loss]) if W1 in n.inputs)) in edges


def test_dtype_and_params_in_labels():
    x = ad.Variable(np.ones((2, 3), np.float32), name="x")
    y = ad.einsum("ij->j", x)
    dot = to_dot(y)
    assert r'label="x\n(2, 3) float32"' in dot
    assert re.search(r'label="Einsum\\n(\w+)->\w\\n\(3,\) float32"', dot).group(1) == y.equation.split("->")[0]


def test_to_dot_needs_no_dot_program(monkeypatch, tmp_path):
    no_dot_on_path(monkeypatch, tmp_path)
    x = ad.Variable(2.0, name="x")
    dot = to_dot(ad.exp(x) * x)
    assert dot.startswith("digraph autodiff {") and r'label="Exp\n()"' in dot


def test_modules_are_nested_clusters():
    loss, dW1, _ = mlp()
    dot = to_dot(loss)
    depth = {m.group(2): len(m.group(1)) for m in re.finditer(r"^(\t+)subgraph cluster_\w+ \{\n\t+.* label=(\w+)", dot, flags=re.M)}
    assert depth == {"mlp": 1, "layer1": 2, "layer2": 2}
    tanh = next(n for n in ad.toposort([loss]) if n.name == "Tanh")
    layer1 = dot.index("label=layer1")
    assert layer1 < dot.index(f"\tn{tanh._id} [") < dot.index("label=layer2")


def test_collapse_modules():
    loss, dW1, (x, W1, W2) = mlp()
    everything, _ = statements(to_dot([loss, dW1]))
    nodes, edges = statements(to_dot([loss, dW1], collapse=True))
    boxes = {k: v for k, v in nodes.items() if "box3d" in v}
    assert len(boxes) == 1 and r'label="output 0\nmlp\n5 nodes"' in next(iter(boxes.values()))
    inside = [n for n in ad.toposort([loss]) if n.scope]
    assert all(f"n{n._id}" not in nodes for n in inside) and all(f"n{n._id}" in everything for n in inside)
    to_box = [e for e in edges if e[0] in boxes or e[1] in boxes]
    assert len(to_box) == len(set(to_box))  # one edge per (node, module box) pair
    (box,) = boxes
    assert (f"n{W1._id}", box) in edges and (f"n{W2._id}", box) in edges

    by_name, _ = statements(to_dot(loss, collapse="layer1"))
    by_path, _ = statements(to_dot(loss, collapse=["mlp/layer1"]))
    assert by_name == by_path == statements(to_dot(loss, collapse=(name for name in ["layer1"])))[0]
    assert [v for v in by_name.values() if "box3d" in v] == [r'label="layer1\n2 nodes" fillcolor="#e4e0f5" shape=box3d style=filled tooltip="module mlp/layer1 (collapsed)"']


def test_hide_constants():
    x = ad.Variable(np.ones(3), name="x")
    y = ad.sum(2.0 * x + ad.ones(3))
    shown, _ = statements(to_dot(y))
    hidden, edges = statements(to_dot(y, hide_constants=True))
    assert len(shown) - len(hidden) == 2 and all("dashed" not in v for v in hidden.values())
    assert all(t in hidden and s in hidden for s, t in edges)
    constant, _ = statements(to_dot(ad.Constant(3.0), hide_constants=True))  # an output is always drawn
    assert len(constant) == 1


def test_max_nodes_keeps_the_nodes_near_the_outputs_and_says_what_was_cut():
    t = ad.Variable(np.array(0.5), name="t")
    d = ad.tanh(t)
    for _ in range(4):
        d = ad.grad(d, t)
    total = ad.count_nodes(d)
    dot = to_dot(d, max_nodes=15)
    nodes, edges = statements(dot)
    real = [k for k in nodes if k.startswith("n")]
    cuts = [k for k in nodes if k.startswith("cut_")]
    assert len(real) == 15 and f"n{d._id}" in real and cuts
    assert f"showing 15 of {total} nodes (max_nodes=15)" in dot
    assert all(re.search(r"\.\.\. \d+ more inputs?", nodes[c]) for c in cuts)
    assert all((c, c[4:]) in edges for c in cuts)
    full, _ = statements(to_dot(d, max_nodes=None))
    assert len(full) == total and "showing" not in to_dot(d, max_nodes=None)


def test_deep_graphs_need_no_recursion():
    x = ad.Variable(np.array(1.0), name="x")
    y = x
    for i in range(30_000):
        y = y + float(i % 7)
    total = ad.count_nodes(y)
    dot = to_dot(y, max_nodes=50)
    assert f"showing 50 of {total} nodes" in dot and len(statements(dot)[0]) == 51  # and one "... more"
    nodes, _ = statements(to_dot(y, max_nodes=None, hide_constants=True))
    assert len(nodes) == sum(not isinstance(n, ad.Constant) for n in ad.toposort([y])) > 25_000


@pytest.mark.parametrize("call, error, message", [
    (lambda: plot(3.0), TypeError, "expected a Node, a list of Nodes or a dict of labels to Nodes, got float"),
    (lambda: plot([]), ValueError, "the list of nodes is empty"),
    (lambda: plot([ad.Constant(1.0), "y"]), TypeError, "item 1 is a str, not a Node"),
    (lambda: plot(ad.Constant(1.0), max_nodes=0), ValueError, "max_nodes must be a positive int or None"),
    (lambda: plot(ad.Constant(1.0), rankdir="down"), ValueError, "rankdir must be one of TB, LR, BT, RL"),
    (lambda: plot(ad.Constant(1.0), collapse=3), TypeError, "collapse must be True/False"),
    (lambda: plot(ad.Constant(1.0), hide_constants="yes"), TypeError, "hide_constants must be True or False"),
    (lambda: plot(mlp()[0], collapse="layer9"), ValueError, "no module named 'layer9' in this graph (modules: mlp, mlp/layer1, mlp/layer2)"),
    (lambda: plot(ad.Constant(1.0)).write("graph.jpg"), ValueError, "use a name ending in one of .png, .svg, .pdf"),
    (lambda: plot_html(ad.Constant(1.0), "graph.svg"), ValueError, "give a path ending in .html"),
    (lambda: plot_html(ad.Constant(1.0), "no/such/folder/graph.html"), FileNotFoundError, "does not exist"),
    (lambda: plot_html(ad.Constant(1.0), "graph.html", values=1), TypeError, "values must be True or False"),
    (lambda: plot_html(ad.Constant(1.0), "graph.html", title=None), TypeError, "title must be a str, got NoneType"),
])
def test_bad_arguments_fail_at_once(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# -- rendering -----------------------------------------------------------------------------------


@needs_dot
def test_renders_png_svg_pdf_and_svg_for_jupyter(tmp_path):
    loss, dW1, _ = mlp()
    g = plot([loss, dW1], collapse="layer2")
    assert isinstance(g, graphviz.Digraph)
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    for kind, start in magic.items():
        path = g.write(tmp_path / f"graph.{kind}")
        assert path.read_bytes().startswith(start) and path.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.pdf", "graph.png", "graph.svg"]
    svg = g._repr_mimebundle_()["image/svg+xml"]
    assert "<svg" in svg and "layer2" in svg and "Tanh" in svg


def test_rendering_without_dot_says_how_to_install_graphviz(monkeypatch, tmp_path):
    no_dot_on_path(monkeypatch, tmp_path)
    g = plot(ad.exp(ad.Variable(1.0, name="x")))
    for render in (lambda: g.write(tmp_path / "g.png"), g._repr_mimebundle_, lambda: g.render(directory=tmp_path)):
        with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
            render()
        assert "brew install graphviz" in str(info.value) and "conda install" in str(info.value)
        assert isinstance(info.value, graphviz.ExecutableNotFound)


# -- the HTML page's data -------------------------------------------------------------------------


def page_data(path):
    text = Path(path).read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', text, flags=re.S)
    return text, json.loads(match.group(1))


def contains(outer, box):
    x, y, w, h = box
    return outer[0] <= x - w / 2 and x + w / 2 <= outer[2] and outer[1] <= y - h / 2 and y + h / 2 <= outer[3]


def overlaps(outer, box):
    x, y, w, h = box
    return x + w / 2 > outer[0] and x - w / 2 < outer[2] and y + h / 2 > outer[1] and y - h / 2 < outer[3]


@pytest.mark.parametrize("layout", ["dot", "built-in"])
def test_html_page_is_one_offline_file_with_a_layout(layout, tmp_path, monkeypatch):
    if layout == "dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    if layout == "built-in":
        no_dot_on_path(monkeypatch, tmp_path)
    loss, dW1, (x, W1, W2) = mlp()
    path = plot_html([loss, dW1], tmp_path / "page.html", title="<MLP> & grad")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]
    text, data = page_data(path)
    assert "<script src" not in text and "<link" not in text and "https://" not in text and "@import" not in text
    assert "<title>&lt;MLP&gt; &amp; grad</title>" in text
    assert len(data["nodes"]) == ad.count_nodes([loss, dW1]) and data["caption"] == ""
    nodes = {n["id"]: n for n in data["nodes"]}
    clusters = {c["path"]: c for c in data["clusters"]}
    assert set(clusters) == {"mlp", "mlp/layer1", "mlp/layer2"}
    in_mlp = sum(n.scope[:1] == ("mlp",) for n in ad.toposort([loss, dW1]))
    assert clusters["mlp/layer1"]["parent"] == clusters["mlp"]["id"] and clusters["mlp"]["size"] == in_mlp == 5
    for c in clusters.values():
        for n in nodes.values():
            if n["scope"] == c["path"] or n["scope"].startswith(c["path"] + "/"):
                assert contains(c["bbox"], n["box"]), (c["path"], n["label"])
            elif layout == "built-in":  # the built-in layout gives each module its own column
                assert not overlaps(c["bbox"], n["box"]), (c["path"], n["label"])
    w1 = nodes[f"n{W1._id}"]
    assert (w1["kind"], w1["shape"], w1["dtype"], w1["value"]["shape"]) == ("variable", "(4, 3)", "float64", "(4, 3)")
    assert float(w1["value"]["min"]) == pytest.approx(W1.value.min(), rel=1e-5)
    tanh = next(n for n in nodes.values() if n.get("op") == "Tanh")
    assert tanh["value"] is None and tanh["scope"] == "mlp/layer1" and tanh["inputs"][0]["text"] == "Einsum (4,)"
    assert len(tanh["consumers"]) >= 2 and all(c in nodes for c in tanh["consumers"])
    assert nodes[f"n{dW1._id}"]["kind"] == "derivative" and nodes[f"n{dW1._id}"]["output"]


def test_html_values_summaries_and_cut(tmp_path):
    x = ad.Variable(np.array([1.0, -1.0, 4.0]), name="x")
    y = ad.log(x)  # log(-1) is nan: the page shows it rather than failing
    z = ad.sum(y * y)
    _, data = page_data(plot_html(z, tmp_path / "v.html", values=True))
    log = next(n for n in data["nodes"] if n["op"] == "Log")
    assert log["value"]["non-finite"] == "1 of 3" and log["value"]["values"].startswith("[0, nan, 1.38629")
    assert next(n for n in data["nodes"] if n["output"])["value"]["values"] == "[nan]"
    assert next(n for n in data["nodes"] if n["op"] == "Variable")["value"]["max"] == "4"

    t = ad.Variable(np.array(0.5), name="t")
    d = ad.tanh(t)
    for _ in range(3):
        d = ad.grad(d, t)
    _, data = page_data(plot_html(d, tmp_path / "cut.html", max_nodes=10, collapse=[]))
    assert data["shown"] == 10 and data["total"] == ad.count_nodes(d) and "max_nodes=10" in data["caption"]
    cuts = [n for n in data["nodes"] if n["kind"] == "cut"]
    assert cuts and all(c["target"] in {n["id"] for n in data["nodes"]} for c in cuts)


def test_html_page_is_safe_for_any_name(tmp_path):
    x = ad.Variable(np.ones(2), name="</script><!--<script>alert(1)")
    text, data = page_data(plot_html(ad.exp(x), tmp_path / "names.html", title="</title><b>"))
    assert text.count("</script>") == 2 and "<b>" not in text  # the page's own two scripts
    assert data["nodes"][0]["name"] == "</script><!--<script>alert(1)"


def test_html_collapse_sets_the_modules_that_start_collapsed(tmp_path):
    loss, _, _ = mlp()
    _, data = page_data(plot_html(loss, tmp_path / "c.html", collapse="layer2"))
    assert data["collapsed"] == [c["id"] for c in data["clusters"] if c["path"] == "mlp/layer2"]


def test_html_page_inlines_the_package_files(tmp_path):
    text, _ = page_data(plot_html(mlp()[0], tmp_path / "p.html"))
    files = importlib.resources.files("autodiff.plotting")
    style = files.joinpath("page.css").read_text(encoding="utf-8")
    script = files.joinpath("page.js").read_text(encoding="utf-8")
    assert "</style" not in style.lower() and "</script" not in script.lower()  # safe to inline
    assert f"<style>\n{style.rstrip()}\n</style>" in text
    assert f"<script>\n{script.rstrip()}\n</script>" in text
    assert text.startswith("<!DOCTYPE html>") and text.count("<style>") == 1
    assert text.count("<script") == 2  # the data and the page's script
    assert re.search(r"__(TITLE|STYLE|SCRIPT|DATA)__", text) is None  # every slot filled


def test_html_title_and_names_that_look_like_slots_stay_text(tmp_path):
    x = ad.Variable(np.ones(2), name="__SCRIPT__")
    y = ad.exp(x) * ad.Variable(1.0, name="__TITLE__")
    text, data = page_data(plot_html(y, tmp_path / "s.html", title="__DATA__"))
    assert "<title>__DATA__</title>" in text and "<h1>__DATA__</h1>" in text
    assert {n["name"] for n in data["nodes"]} >= {"__SCRIPT__", "__TITLE__"}
    assert text.count("__DATA__") == 2  # the title and the heading; the data stays data


def test_plotting_is_a_package_of_modules_and_ad_plot_the_function():
    plotting = importlib.import_module("autodiff.plotting")
    assert ad.plot is plotting.plot and ad.plot_html is plotting.plot_html
    assert ad.to_dot is plotting.to_dot
    assert callable(ad.plot) and ad.plotting is plotting
    modules = {m.name for m in pkgutil.iter_modules(ad.__path__)}
    assert "plotting" in modules and not modules & {"plot", "plot_html", "to_dot"}  # none hidden
    folder = Path(plotting.__file__).parent
    data_files = sorted(p.name for p in folder.glob("page.*") if p.suffix != ".py")
    assert data_files == ["page.css", "page.html", "page.js"]
    for module in pkgutil.iter_modules(plotting.__path__):
        source = folder / f"{module.name}.py"
        loaded = importlib.import_module(f"autodiff.plotting.{module.name}")
        assert len(source.read_text().splitlines()) <= 800, module.name
        assert loaded.__doc__ and all(hasattr(loaded, name) for name in loaded.__all__), module.name
    public = {"plot", "plot_html", "to_dot", "GraphPlot", "GraphvizNotFoundError"}
    assert set(plotting.__all__) == public

# -- the example ---------------------------------------------------------------------------------


@needs_dot
def test_tanh_derivatives_example_writes_its_pictures(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("example_tanh_derivatives", ROOT / "examples" / "tanh_derivatives.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(["--out", str(tmp_path), "--points", "50"])
    names = ["tanh_d3_graph.png", "tanh_d3_simplified_graph.png", "tanh_derivatives.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names == sorted(p.name for p in result["files"])
    assert all((tmp_path / n).read_bytes().startswith(b"\x89PNG") for n in names)
    assert len(result["sizes"]) == 7 and result["sizes"] == sorted(result["sizes"])
    assert result["simplified_size"] <= result["sizes"][3] and result["max_difference"] < 1e-9
    assert "3rd derivative:" in capsys.readouterr().out


# -- pictures that name things: parameters in their modules, labelled outputs, library boxes ----


def nn_model():
    """A model of `nn` layers, its cross-entropy loss, and {label: node} of the loss and grads."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), ad.tanh, nn.LayerNorm(4), nn.Linear(4, 2, rng=1))
    x = ad.Variable(rng.normal(size=(5, 3)), name="x")
    loss = nn.cross_entropy(model(x), np.array([0, 1, 0, 1, 1]))
    named = model.named_parameters()
    grads = ad.grad(loss, [p for _, p in named])
    return model, x, loss, {"loss": loss, **{f"d loss / d {n}": g for (n, _), g in zip(named, grads)}}


def cluster_of(dot):
    """{node id: the label of the innermost cluster drawing it (None: outside every cluster)}."""
    found, stack = {}, [None]
    for line in dot.splitlines():
        line = line.strip()
        if line.startswith("subgraph cluster_"):
            stack.append("?")
        elif line == "}":
            stack.pop()
        elif line.startswith("color=") and len(stack) > 1:
            stack[-1] = re.search(r'label=("[^"]*"|\S+)', line).group(1).strip('"')
        elif match := re.match(r"(\w+) \[label=", line):
            found[match.group(1)] = stack[-1]
    return found


def test_parameters_are_drawn_in_their_modules_cluster_with_dotted_names():
    model, x, loss, _ = nn_model()
    dot = to_dot(loss, collapse_library=False)
    nodes, _ = statements(dot)
    where = cluster_of(dot)
    for name, p in model.named_parameters():
        assert nodes[f"n{p._id}"].startswith(f'label="{name}\\n'), name
        assert where[f"n{p._id}"] == name.rpartition(".")[0], name  # layers.0.weight in layers.0
    assert where[f"n{x._id}"] is None  # an input is no module's
    nodes, _ = statements(to_dot(loss, collapse="layers.0"))
    assert all(f"n{p._id}" not in nodes for p in model.layers[0].parameters())  # in the box


def test_dotted_names_of_nested_modules_and_under_a_user_scope():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(2, 3, rng=0), ad.relu)
            self.scale = ad.Variable(np.array(2.0), name="scale")

        def forward(self, x):
            return self.body(x) * self.scale

    net = Net()
    with ad.name_scope("experiment"):
        y = ad.sum(net(ad.Variable(np.ones((4, 2)), name="x")))
    dot = to_dot(y)
    nodes, _ = statements(dot)
    where = cluster_of(dot)
    weight = net.body.layers[0].weight
    assert [n for n, _ in net.named_parameters()] == ["body.layers.0.weight", "body.layers.0.bias", "scale"]
    assert nodes[f"n{weight._id}"].startswith(r'label="body.layers.0.weight\n(2, 3)"')
    assert where[f"n{weight._id}"] == "layers.0" and where[f"n{net.scale._id}"] == "Net"
    _, data = page_data(plot_html(y, Path(tempfile.mkdtemp()) / "net.html"))
    record = next(n for n in data["nodes"] if n["id"] == f"n{weight._id}")
    assert record["name"] == "body.layers.0.weight" and record["scope"] == "experiment/Net/body/layers.0"


def test_outputs_are_labelled():
    model, x, loss, outputs = nn_model()
    nodes, _ = statements(to_dot(outputs))
    for label, node in outputs.items():
        u = f"n{node._id}" if f"n{node._id}" in nodes else next(
            k for k, v in nodes.items() if "box3d" in v and v.startswith(f'label="{label}\\n'))
        assert nodes[u].startswith(f'label="{label}\\n') and "penwidth=2.5" in nodes[u], label
    dW = outputs["d loss / d layers.0.weight"]
    assert nodes[f"n{dW._id}"].startswith(r'label="d loss / d layers.0.weight\nEinsum')
    nodes, _ = statements(to_dot([loss, dW], collapse_library=False))
    assert nodes[f"n{loss._id}"].startswith(r'label="output 0\n') and nodes[f"n{dW._id}"].startswith(r'label="output 1\n')
    nodes, _ = statements(to_dot(dW))
    assert nodes[f"n{dW._id}"].startswith(r'label="Einsum\n')  # one output: no label
    nodes, _ = statements(to_dot({"a": dW, "b": dW}))
    assert nodes[f"n{dW._id}"].startswith(r'label="a\nb\nEinsum')  # one node, two labels
    with pytest.raises(TypeError, match="the labels of a dict of outputs must be strings, got 1"):
        to_dot({1: dW})


def test_library_compositions_are_clusters_collapsed_by_default():
    model, x, loss, outputs = nn_model()
    nodes, edges = statements(to_dot(loss))
    boxes = {k: v for k, v in nodes.items() if "box3d" in v}
    assert sorted(re.search(r'(\w+)\\n\d+ nodes"', v).group(1) for v in boxes.values()) == ["cross_entropy", "layer_norm"]
    assert all('fillcolor="#e2f0e4"' in v and "library composition" in v for v in boxes.values())
    assert not any(v.startswith(('label="TakeAdjoint', 'label="FiniteShift', 'label="Log\\n')) for v in nodes.values())
    loss_box = next(k for k, v in boxes.items() if "cross_entropy" in v)
    assert nodes[loss_box].startswith('label="cross_entropy\\n') and "penwidth=2.5" in nodes[loss_box]
    dot = to_dot(loss, collapse_library=False)
    nodes, _ = statements(dot)
    where = cluster_of(dot)
    assert "box3d" not in dot and where[f"n{loss._id}"] == "cross_entropy"
    assert 'label=cross_entropy labeljust=l style="rounded,filled,dashed"' in dot
    assert any(v.startswith('label="FiniteShift') for v in nodes.values())
    with pytest.raises(TypeError, match="collapse_library must be True or False"):
        to_dot(loss, collapse_library="no")


@pytest.mark.parametrize("build, name", [
    (lambda x: ad.softmax(x), "softmax"),
    (lambda x: ad.log_softmax(x), "log_softmax"),
    (lambda x: ad.logsumexp(x, axis=1), "logsumexp"),
    (lambda x: nn.cross_entropy(x, np.array([0, 1])), "cross_entropy"),
    (lambda x: nn.nll(x, np.array([0, 1])), "nll"),
    (lambda x: nn.mse(x, np.zeros((2, 3))), "mse"),
    (lambda x: nn.binary_cross_entropy_with_logits(x, np.ones((2, 3))), "binary_cross_entropy_with_logits"),
    (lambda x: nn.multiclass_hinge(x, np.array([0, 1])), "multiclass_hinge"),
    (lambda x: nn.l2_penalty([x]), "l2_penalty"),
    (lambda x: nn.LayerNorm(3)(x), "layer_norm"),
])
def test_each_library_composition_is_marked(build, name):
    x = ad.Variable(np.arange(6.0).reshape(2, 3), name="x")
    y = build(x)
    assert isinstance(y.scope[-1], ad.node.Composition) and y.scope[-1] == name
    nodes, _ = statements(to_dot(y))
    assert any("box3d" in v and f"{name}\\n" in v for v in nodes.values()), name
    assert ad.count_nodes(y) > 2  # a composition of several ops


def test_html_page_data_names_parameters_labels_outputs_and_collapses_the_library(tmp_path):
    model, x, loss, outputs = nn_model()
    _, data = page_data(plot_html(outputs, tmp_path / "nn.html"))
    nodes = {n["id"]: n for n in data["nodes"]}
    clusters = {c["id"]: c for c in data["clusters"]}
    for name, p in model.named_parameters():
        record = nodes[f"n{p._id}"]
        assert record["name"] == name and record["label"][0] == name
        assert clusters[record["cluster"]]["path"] == "Sequential/" + name.rpartition(".")[0]
    for label, node in outputs.items():
        assert nodes[f"n{node._id}"]["outputLabels"] == [label]
    library = sorted(c["path"] for c in data["clusters"] if c["library"])
    assert library == ["Sequential/layers.2/layer_norm", "cross_entropy"]
    assert sorted(clusters[c]["path"] for c in data["collapsed"]) == library
    start = data["start"]  # the compact layout, used while exactly these are collapsed
    assert set(data["collapsed"]) <= set(start["boxes"]) and not set(data["collapsed"]) & set(start["clusters"])
    inside = [n["id"] for n in data["nodes"] if n["scope"].split("/")[-1] in ("cross_entropy", "layer_norm")]
    assert inside and not set(inside) & set(start["boxes"])  # their insides take no room
    assert all(n["id"] in start["boxes"] for n in data["nodes"] if n["id"] not in inside)
    _, data = page_data(plot_html(outputs, tmp_path / "open.html", collapse_library=False))
    assert data["collapsed"] == [] and data["start"] is None
    _, data = page_data(plot_html(outputs, tmp_path / "cut.html", max_nodes=20))
    assert data["collapsed"] and data["start"] is None  # cut: one layout


def test_a_model_called_in_two_scopes_draws_each_graphs_parameters_in_that_graph():
    model = nn.Sequential(nn.Linear(2, 3, rng=0))
    x = ad.Variable(np.ones((4, 2)), name="x")
    with ad.name_scope("train"):
        train = ad.sum(model(x))
    with ad.name_scope("eval"):  # other inputs: new nodes (the same ones would be shared, hash-consed)
        evaluate = ad.mean(model(ad.Variable(np.zeros((4, 2)), name="x2")))  # called last: the latest owner
    weight = model.layers[0].weight
    for graph, outer in ((train, "train"), (evaluate, "eval")):
        dot = to_dot(graph)
        assert cluster_of(dot)[f"n{weight._id}"] == "layers.0"
        assert f"label={outer} " in dot and ("label=eval " in dot) == (outer == "eval")  # no empty cluster of the other
        _, data = page_data(plot_html(graph, Path(tempfile.mkdtemp()) / "g.html"))
        record = next(n for n in data["nodes"] if n["id"] == f"n{weight._id}")
        assert record["scope"] == f"{outer}/Sequential/layers.0" and record["name"] == "layers.0.weight"
