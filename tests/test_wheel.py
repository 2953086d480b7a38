"""The HTML page's files and `py.typed` ship with the package, and an installed copy writes
the page.

Both tests build from a copy of the sources in a temporary folder (nothing is written into the
checkout), offline, with the setuptools already installed, then run `plot_html` from the built
copy in a fresh interpreter and check the page has `page.css` and `page.js` inline.

- `test_wheel_ships_the_page_files` builds the wheel (`pip wheel --no-deps --no-build-isolation
  --no-index`) and unzips it. Building a wheel needs setuptools >= 70.1 or the `wheel` package;
  without either it skips, saying so.
- `test_setuptools_build_ships_the_page_files` runs setuptools' `build_py`, the step that
  collects a wheel's files (package data included), so the check runs wherever setuptools is.
"""

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = ("page.html", "page.css", "page.js")

WRITE_A_PAGE = """
import json, pathlib, sys
import numpy as np
import autodiff as ad
x = ad.Variable(np.arange(3.0), name="x")
with ad.name_scope("layer"):
    y = ad.sum(ad.tanh(x) * x)
page = ad.plot_html([y, ad.grad(y, x)], pathlib.Path(sys.argv[1]), values=True, title="built")
print(json.dumps({"package": ad.__file__, "page": str(page)}))
"""


def why_no_wheel() -> str | None:
    """Why a wheel cannot be built offline with what is installed, or None when it can."""
    setuptools = importlib.util.find_spec("setuptools")
    if setuptools is None or importlib.util.find_spec("pip") is None:
        return "building a wheel needs pip and setuptools"
    has_bdist_wheel = (Path(setuptools.origin).parent / "command" / "bdist_wheel.py").exists()
    if not has_bdist_wheel and importlib.util.find_spec("wheel") is None:
        version = importlib.metadata.version("setuptools")
        return (
            f"building a wheel offline needs setuptools>=70.1 or the `wheel` package; "
            f"found setuptools {version} and no `wheel`"
        )
    return None


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{' '.join(command[:4])} ...:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def sources(tmp_path: Path) -> Path:
    """A copy of what a build reads: pyproject.toml, README.md and the package."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "autodiff", src / "autodiff", ignore=ignore)
    return src


def check_installed_copy(site: Path, tmp_path: Path) -> None:
    """`site` holds `py.typed` and the page's files, and its `plot_html` writes them into one
    page."""
    assert (site / "autodiff" / "py.typed").is_file()  # type checkers read the package's hints
    plotting = site / "autodiff" / "plotting"
    for name in PAGE_FILES:
        source = ROOT / "autodiff" / "plotting" / name
        assert (plotting / name).read_bytes() == source.read_bytes(), name
    env = {**os.environ, "PYTHONPATH": str(site)}
    target = tmp_path / "page.html"
    out = json.loads(run([sys.executable, "-c", WRITE_A_PAGE, str(target)], tmp_path, env))
    assert Path(out["package"]).is_relative_to(site)  # the built copy, not this checkout
    text = Path(out["page"]).read_text(encoding="utf-8")
    style, script = ((plotting / name).read_text(encoding="utf-8") for name in PAGE_FILES[1:])
    assert f"<style>\n{style.rstrip()}\n</style>" in text
    assert f"<script>\n{script.rstrip()}\n</script>" in text
    assert "<link" not in text and "<script src" not in text and "<title>built</title>" in text
    assert re.search(r"__(TITLE|STYLE|SCRIPT|DATA)__", text) is None
    data = re.search(
        r'<script type="application/json" id="graph-data">(.*?)</script>', text, re.DOTALL
    )
    nodes = json.loads(data.group(1))["nodes"]
    assert any(n["name"] == "x" and n["value"]["values"] == "[0, 1, 2]" for n in nodes)
    assert any(n["scope"] == "layer" and n["op"] == "Tanh" for n in nodes)


def test_wheel_ships_the_page_files(tmp_path):
    reason = why_no_wheel()
    if reason:
        pytest.skip(reason)
    src = sources(tmp_path)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    run([*pip, "--disable-pip-version-check", "-q", "-w", str(dist), str(src)], tmp_path)
    (wheel,) = dist.glob("autodiff-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
        assert "autodiff/py.typed" in names
        for name in PAGE_FILES:
            assert f"autodiff/plotting/{name}" in names and f"autodiff/plotting/{name}," in record
        archive.extractall(tmp_path / "site")
    check_installed_copy(tmp_path / "site", tmp_path)


def test_setuptools_build_ships_the_page_files(tmp_path):
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed")
    src = sources(tmp_path)
    setup = [sys.executable, "-c", "from setuptools import setup; setup()", "-q"]
    run([*setup, "build_py", "--build-lib", str(tmp_path / "site")], src)
    check_installed_copy(tmp_path / "site", tmp_path)
