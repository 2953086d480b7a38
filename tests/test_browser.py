"""The interactive HTML page in a real headless Chromium (driven by Playwright, system browser).

`bash tests/install_system_deps.sh` installs Debian's chromium; `pip install playwright` brings
the driver (Playwright's own browser download is not used). Without either the tests skip.
"""

import os
import re
import shutil

import numpy as np
import pytest

import autodiff as ad
from autodiff.plotting import plot_html

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (it drives the system chromium)")

CHROMIUM = os.environ.get("CHROMIUM") or next(
    (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: bash tests/install_system_deps.sh (Debian: apt-get install chromium)"
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Open a page file; fail the test on any script error or any request that leaves the file."""
    pages = []

    def open_(path):
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on("request", lambda r: r.url.startswith("file:") or page.problems.append(f"request: {r.url}"))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        pages.append(page)
        return page

    yield open_
    for page in pages:
        assert page.problems == []
        page.close()


def mlp():
    rng = np.random.default_rng(0)
    inputs = ad.Variable(rng.normal(size=(5, 3)), name="inputs")
    W1 = ad.Variable(rng.normal(size=(3, 4)), name="W1")
    W2 = ad.Variable(rng.normal(size=(4, 2)), name="W2")
    with ad.name_scope("mlp"):
        with ad.name_scope("layer1"):
            hidden = ad.tanh(inputs @ W1)
        with ad.name_scope("layer2"):
            outputs = hidden @ W2
        loss = ad.mean(outputs * outputs)
    return [loss, *ad.grad(loss, [W1, W2])]


def detail(page, key):
    """The value in the details panel's row `key`."""
    return page.locator("#details-table tr", has=page.locator(f"td:text-is('{key}')")).locator("td").nth(1).inner_text()


def test_click_a_node_then_follow_its_consumer(open_page, tmp_path):
    page = open_page(plot_html(mlp(), tmp_path / "mlp.html", values=True))
    page.click('g.node[data-name="W1"]')
    assert page.locator("#details h2").inner_text() == "Variable W1"
    assert detail(page, "shape") == "(3, 4)" and detail(page, "dtype") == "float64"
    assert "selected" in page.get_attribute('g.node[data-name="W1"]', "class")
    assert page.locator("#value").inner_text().count("(3, 4)") == 1  # the value summary: its shape, min, ...
    assert re.search(r"min\s+-?\d", page.locator("#value").inner_text())

    page.locator("#details a", has_text="Einsum (5, 4)").click()  # W1's consumer: inputs @ W1
    assert page.locator("#details h2").inner_text() == "Einsum"
    assert detail(page, "shape") == "(5, 4)" and detail(page, "module") == "mlp/layer1"
    assert detail(page, "params") == "ab,bc->ac"
    assert "W1 (3, 4)" in detail(page, "inputs") and "Tanh (5, 4)" in detail(page, "consumers")


def test_collapse_and_expand_a_module(open_page, tmp_path):
    page = open_page(plot_html(mlp(), tmp_path / "mlp.html"))
    tanh = 'g.node[data-name="Tanh"]'
    assert page.locator(tanh).count() == 1
    edges_before = page.locator("path.edge").count()

    page.click('.cluster-title[data-cluster-name="layer1"]')
    assert page.locator(tanh).count() == 0  # members are gone ...
    box = page.locator('g.kind-module[data-cluster-name="layer1"]')
    assert box.is_visible() and "2 nodes" in box.text_content()  # ... into one box
    assert page.locator('g.node[data-name="W1"]').count() == 1  # outside the module: still there
    assert page.locator(f'path.edge[data-t="{box.get_attribute("data-cluster")}"]').count() == 2  # inputs, W1 -> box
    assert page.locator("path.edge").count() < edges_before

    box.click()
    assert page.locator(tanh).count() == 1 and page.locator("g.kind-module").count() == 0

    page.click("#collapse-all")
    assert page.locator('g.kind-module[data-cluster-name="mlp"]').count() == 1
    assert page.locator('.cluster-title[data-cluster-name="layer1"]').count() == 0  # nested inside mlp


def test_search_finds_and_opens_a_node_in_a_collapsed_module(open_page, tmp_path):
    page = open_page(plot_html(mlp(), tmp_path / "mlp.html", collapse=True))
    assert page.locator('g.node[data-name="Tanh"]').count() == 0  # mlp starts collapsed
    page.fill("#search", "tanh")
    assert page.inner_text("#matches") == "1 match"
    page.press("#search", "Enter")
    assert page.locator('g.node.selected[data-name="Tanh"]').count() == 1
    assert detail(page, "shape") == "(5, 4)"
    page.fill("#search", "no such node")
    assert page.inner_text("#matches") == "0 matches"


def test_pan_and_zoom(open_page, tmp_path):
    page = open_page(plot_html(mlp(), tmp_path / "mlp.html"))

    def transform():
        numbers = re.findall(r"-?[\d.]+(?:e-?\d+)?", page.get_attribute("#viewport", "transform"))
        return [float(n) for n in numbers]  # x, y, scale

    x, y, k = transform()
    page.mouse.move(600, 400)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"!document.getElementById('viewport').getAttribute('transform').endsWith('scale({k})')")
    assert transform()[2] > k
    x, y, k = transform()
    page.mouse.move(5, 790)  # empty canvas, bottom left
    page.mouse.down()
    page.mouse.move(105, 740, steps=5)
    page.mouse.up()
    assert transform() == pytest.approx([x + 100, y - 50, k], abs=1)


def test_page_without_graphviz_uses_the_built_in_layout(open_page, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    page = open_page(plot_html(mlp(), tmp_path / "simple.html", hide_constants=True))
    assert page.locator("g.node").count() > 10
    assert page.locator("path.edge").count() > 10
    page.click('g.node[data-name="W2"]')
    assert detail(page, "shape") == "(4, 2)"


def nn_outputs():
    """A model of `nn` layers: {label: node} of its cross-entropy loss and every gradient."""
    from autodiff import nn

    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), ad.tanh, nn.LayerNorm(4), nn.Linear(4, 2, rng=1))
    loss = nn.cross_entropy(model(ad.Variable(rng.normal(size=(5, 3)), name="x")), np.array([0, 1, 0, 1, 1]))
    named = model.named_parameters()
    grads = ad.grad(loss, [p for _, p in named])
    return model, {"loss": loss, **{f"d loss / d {n}": g for (n, _), g in zip(named, grads)}}


def inside(outer, inner):
    return (outer["x"] <= inner["x"] and outer["y"] <= inner["y"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"])


def test_parameters_are_named_inside_their_module_clusters(open_page, tmp_path):
    model, outputs = nn_outputs()
    page = open_page(plot_html(outputs, tmp_path / "nn.html"))
    for name, _ in model.named_parameters():
        node = page.locator(f'g.node[data-name="{name}"]')
        assert node.count() == 1 and node.locator("text").first.text_content() == name
        module = name.rpartition(".")[0]
        cluster = page.get_attribute(f'.cluster-title[data-cluster-name="{module}"]', "data-cluster")
        assert inside(page.locator(f'rect.cluster-box[data-cluster="{cluster}"]').bounding_box(), node.bounding_box()), name
    page.click('g.node[data-name="layers.0.weight"]')
    assert page.locator("#details h2").inner_text() == "Variable layers.0.weight"
    assert detail(page, "module") == "Sequential/layers.0"


def test_outputs_are_labelled_and_library_compositions_start_collapsed(open_page, tmp_path):
    _, outputs = nn_outputs()
    page = open_page(plot_html(outputs, tmp_path / "nn.html"))
    labels = page.locator("text.output-label").all_text_contents()
    assert sorted(labels) == sorted(outputs)  # every output, the loss on its collapsed box
    loss_box = page.locator('g.kind-library[data-cluster-name="cross_entropy"]')
    assert loss_box.is_visible() and "output" in loss_box.get_attribute("class")
    assert loss_box.locator("text.output-label").text_content() == "loss"
    assert page.locator('g.kind-library[data-cluster-name="layer_norm"]').count() == 1
    assert page.locator('g.node[data-name="FiniteShift"]').count() == 0  # cross-entropy's max shift: hidden
    loss_box.locator("rect").click()
    assert page.locator('g.node[data-name="FiniteShift"]').count() == 1
    assert page.locator('.cluster-title[data-cluster-name="cross_entropy"]').count() == 1
    assert page.locator('rect.cluster-box.library').count() == 1
    page.click('.cluster-title[data-cluster-name="cross_entropy"]')
    assert page.locator('g.node[data-name="FiniteShift"]').count() == 0
    page.click("#expand-all")
    assert page.locator("g.kind-library").count() == 0 and page.locator("rect.cluster-box.library").count() == 2


def test_collapsed_library_boxes_take_no_room(open_page, tmp_path):
    _, outputs = nn_outputs()
    page = open_page(plot_html(outputs, tmp_path / "nn.html"))
    area = "(() => { const b = document.getElementById('viewport').getBBox(); return b.width * b.height; })()"
    compact = page.evaluate(area)  # laid out with the library boxes collapsed
    page.click("#expand-all")
    expanded = page.evaluate(area)
    page.click('.cluster-title[data-cluster-name="cross_entropy"]')  # another state: the full layout
    assert page.evaluate(area) == pytest.approx(expanded, rel=0.05)
    page.click('.cluster-title[data-cluster-name="layer_norm"]')  # back to the start: compact again
    assert page.evaluate(area) == pytest.approx(compact, rel=0.05) and compact < 0.8 * expanded


def test_labels_are_legible_at_fit_and_a_screenshot_shows_the_graph(open_page, tmp_path):
    import io

    import matplotlib.image

    _, outputs = nn_outputs()
    page = open_page(plot_html(outputs, tmp_path / "nn.html", collapse_library=False))
    page.click("#fit")
    k = float(re.findall(r"scale\(([-\d.e]+)\)", page.get_attribute("#viewport", "transform"))[0])
    assert 10 * k < 9 and "tiny" in page.get_attribute("#canvas", "class")  # a graph too big to read whole
    assert not page.locator("g.node text.label").first.is_visible()  # node labels wait for a hover ...
    for selector in (".cluster-title text", "text.output-label"):  # ... names stay at least 9 px tall
        heights = [box["height"] for box in (t.bounding_box() for t in page.locator(selector).all())]
        assert heights and min(heights) >= 8.5, (selector, min(heights))
    boxes = [t.bounding_box() for t in page.locator("text.output-label").all()]
    for i, a in enumerate(boxes):  # and the output labels, grown, do not cover each other
        for b in boxes[:i]:
            apart = a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1 or \
                a["y"] + a["height"] <= b["y"] + 1 or b["y"] + b["height"] <= a["y"] + 1
            assert apart, (a, b)
    page.hover('g.node[data-name="layers.0.weight"]')
    assert page.locator("#hover").is_visible() and page.inner_text("#hover").startswith("layers.0.weight")
    page.mouse.move(5, 790)
    assert page.locator("#hover").is_hidden()
    page.mouse.move(600, 400)
    page.mouse.wheel(0, -2000)  # zoomed in, labels show as they are
    page.wait_for_function("!document.getElementById('canvas').classList.contains('tiny')")
    assert page.locator("g.node text.label").first.is_visible()

    page.click("#fit")
    canvas = page.locator("#canvas").bounding_box()
    pixels = matplotlib.image.imread(io.BytesIO(page.screenshot(clip=canvas)), format="png")[..., :3]
    ink = (pixels < 0.9).any(axis=-1).mean()
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    assert ink > 0.02 and colours > 20, (ink, colours)  # nodes, clusters and edges were drawn
