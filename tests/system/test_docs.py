"""The documentation as a user meets it: the site builds strictly (every page, link and API reference), and
every Python block in docs/*.md runs as written (a block marked ``<!-- docs-test: skip REASON -->`` on the
line before it is skipped with that reason: one that needs a download or a GPU)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"(?:<!-- docs-test: skip (?P<skip>.*?) -->\n)?```python\n(?P<code>.*?)```", re.S)
PAGES = sorted(path for path in (ROOT / "docs").glob("*.md") if "```python" in path.read_text())


def test_the_site_builds_strictly(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip("the docs extra (mkdocs, mkdocs-material, mkdocstrings) is not installed")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stderr[-3000:]
    reference = (tmp_path / "reference" / "invgen" / "index.html").read_text()
    assert "load_result" in reference and "reconstruct_many" in reference  # made from the docstrings


def test_some_pages_have_python_to_run():
    assert {path.name for path in PAGES} >= {"user-guide.md", "hooks.md"}


@pytest.mark.parametrize("page", PAGES, ids=[path.name for path in PAGES])
def test_every_python_block_runs_as_written(page, tmp_path, monkeypatch):
    pytest.importorskip("invgen_stylegan2", reason="the docs' examples use the embedded stylegan2-mnist32")
    blocks = [(match["skip"], match["code"]) for match in BLOCK.finditer(page.read_text())]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)  # relative paths as from the repository's root; outputs land here
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    ran = 0
    for number, (skip, code) in enumerate(blocks, 1):
        if skip:
            continue
        exec(compile(code, f"{page.name} (python block {number})", "exec"), namespace)  # noqa: S102 - our docs
        ran += 1
    if not ran:
        pytest.skip(f"every block of {page.name} is marked to skip")
