"""The notebooks run top to bottom in a fresh kernel, in a temp folder, and show what they promise."""

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install nbformat nbclient ipykernel")
nbclient = pytest.importorskip("nbclient", reason="pip install nbformat nbclient ipykernel")
pytest.importorskip("ipykernel", reason="pip install ipykernel (the kernel that runs the notebooks)")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(name, folder, monkeypatch):
    """Execute a committed notebook in `folder` (so whatever it writes next to itself lands there),
    with its temporary files under ``folder / "tmp"``; nothing new may appear in notebooks/."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    before = sorted(NOTEBOOKS.iterdir())
    (folder / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(folder / "tmp"))
    for cell in notebook.cells:  # committed without outputs: diffs stay readable
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: clear its outputs before committing"
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # plots as outputs
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    assert sorted(NOTEBOOKS.iterdir()) == before, f"{name} wrote into notebooks/"
    return notebook


def outputs(notebook):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def text_of(notebook):
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs(notebook))


def test_hessians_in_a_repl(tmp_path, monkeypatch):
    notebook = run("01_hessians_in_a_repl.ipynb", tmp_path, monkeypatch)
    text = text_of(notebook)
    assert "symmetric: True" in text and "hvp == H @ u: True ; jvp == J @ u: True" in text
    assert "orders 1 to 3 agree with finite differences" in text and "GradientError: order 1" in text
    images = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert len(images) == 3  # derivatives of tanh, the Hessian, graph sizes
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (bash tests/install_system_deps.sh)")
def test_plotting_graphs(tmp_path, monkeypatch):
    notebook = run("02_plotting_graphs.ipynb", tmp_path, monkeypatch)
    svgs = [o["data"]["image/svg+xml"] for o in outputs(notebook) if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) == 8 and all("<svg" in s for s in svgs)
    assert "cluster" in svgs[3] and "layer1" in svgs[3]  # modules as clusters
    assert "more input" in svgs[6]  # the big graph is cut at max_nodes
    assert "layers.0.weight" in svgs[7] and "d loss / d layers.0.weight" in svgs[7]  # named parameters, labelled outputs
    assert "cross_entropy" in svgs[7] and "FiniteShift" not in svgs[7]  # a library box, collapsed
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"]  # nothing next to the notebook
    (folder,) = (tmp_path / "tmp").glob("autodiff-plots-*")
    assert sorted(p.name for p in folder.iterdir()) == ["mlp.svg", "model.html"]
    assert "graph-data" in (folder / "model.html").read_text()


def test_char_rnn(tmp_path, monkeypatch):
    notebook = run("03_char_rnn.ipynb", tmp_path, monkeypatch)
    text = text_of(notebook)
    assert "characters per second while training" in text
    before, after = (float(v) for v in text.split("held-out loss: ")[1].split(" nats/char")[0].split(" -> "))
    assert after < before - 0.3  # it learns
    images = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the loss curve
    assert "The " in notebook.cells[6].outputs[0]["text"]  # the sample starts with its prime
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"]
