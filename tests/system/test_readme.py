"""The README's Python example as written, on the embedded model (a user's first contact with the API)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_readmes_python_example_runs_as_written(monkeypatch):
    """The block under "In Python" in README.md, executed; it must match the CLI demo's figure (16.74 dB)."""
    pytest.importorskip("invgen_stylegan2", reason="the README's example uses the embedded stylegan2-mnist32")
    block = re.search(r"## In Python\s+```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    result, posterior = namespace["result"], namespace["posterior"]
    assert result.image.shape == (1, 1, 32, 32) and result.metrics["psnr"][0] == pytest.approx(16.7423, abs=1e-3)
    assert len(namespace["objective"]) == 200 and namespace["objective"][-1] < namespace["objective"][0]
    assert posterior.samples.shape == (1, 8, 1, 32, 32) and posterior.std.shape == (1, 1, 32, 32)
    assert (posterior.std > 0).any()
