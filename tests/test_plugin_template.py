"""docs/plugin-template is a working plugin: installed as a distribution, its own tests (the contract kit
and a NumPy oracle) pass in a process of their own."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "plugin-template"


def test_the_template_passes_its_tests_once_installed(tmp_path):
    copy = tmp_path / "invgen-myplugin"
    shutil.copytree(TEMPLATE, copy)
    site = tmp_path / "site"
    info = site / "invgen_myplugin-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: invgen-myplugin\nVersion: 0.1.0\n")
    entry = (copy / "pyproject.toml").read_text().split("[project.entry-points.invgen]")[1].split("\n")[1]
    (info / "entry_points.txt").write_text("[invgen]\n" + entry.split("#")[0].replace('"', "").strip() + "\n")
    path = os.pathsep.join([str(site), str(copy / "src")])
    env = {**os.environ, "PYTHONPATH": path, "INVGEN_STRICT_PLUGINS": "1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(copy / "tests")],
                            cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
