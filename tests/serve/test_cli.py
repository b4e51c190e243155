"""``invgen serve`` without a browser: the missing extra, the exposure warning, the working folder."""

import re
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from invgen.cli.app import create_app


def test_without_gradio_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio raises ImportError
    result = CliRunner().invoke(create_app(), ["serve"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("invgen: error: invgen serve needs gradio, which is not installed: "
                                     "pip install 'invgen-core[serve]'")


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("0.0.0.0", True)])
def test_the_page_is_local_unless_asked_and_its_folder_is_removed_after(monkeypatch, tmp_path, host, warned):
    pytest.importorskip("gradio", reason="the serve extra is not installed")
    import invgen.serve.page as page

    seen = {}

    def launch(blocks, server, host, port, max_upload):
        root = server.workspace.root
        seen.update(host=host, port=port, root=root, max_upload=max_upload, exists=root.is_dir())
        return False
    monkeypatch.setattr(page, "launch", launch)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for name in ("GRADIO_TEMP_DIR", "GRADIO_EXAMPLES_CACHE", "GRADIO_ANALYTICS_ENABLED"):
        monkeypatch.delenv(name, raising=False)  # serve sets them; restored after the test
    result = CliRunner().invoke(create_app(), ["serve", "--host", host, "--port", "7999", "--max-upload", "2mb"])
    assert result.exit_code == 0, result.output
    assert ("anyone who can reach this machine" in result.stderr) is warned
    folder = Path(re.search(r"working folder (\S+)", result.stderr).group(1))
    assert seen == {"host": host, "port": 7999, "root": folder, "max_upload": 2_000_000, "exists": True}
    assert folder.parent == tmp_path and not folder.exists()
