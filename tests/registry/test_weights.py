"""The weights cache: download with resume and checksum, local files, offline errors (loopback only)."""

import hashlib
import http.server
import threading

import pytest
from typer.testing import CliRunner

from invgen.cli.app import create_app
from invgen.registry.table import WeightsInfo
from invgen.registry.weights import WeightsError, add_local, cache_status, resolve

PAYLOAD = bytes(range(256)) * 4096
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    ranges_seen: list = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        start = 0
        header = self.headers.get("Range")
        _RangeHandler.ranges_seen.append(header)
        if header:
            start = int(header.split("=")[1].split("-")[0])
            self.send_response(206)
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _RangeHandler.ranges_seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/w.bin"
    httpd.shutdown()


@pytest.fixture(autouse=True)
def invgen_home(tmp_path, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_download_verifies_and_caches(server, invgen_home):
    info = WeightsInfo("w", "w.bin", url=server, sha256=DIGEST)
    assert cache_status(info).startswith("not downloaded")
    path = resolve(info)
    assert path == invgen_home / "weights" / "w.bin" and path.read_bytes() == PAYLOAD
    assert not path.with_name("w.bin.part").exists()
    assert cache_status(info) == "cached, verified"
    assert resolve(info) == path and len(_RangeHandler.ranges_seen) == 1


def test_partial_download_resumes(server, invgen_home):
    partial = invgen_home / "weights" / "w.bin.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(PAYLOAD[:1000])
    path = resolve(WeightsInfo("w", "w.bin", url=server, sha256=DIGEST))
    assert path.read_bytes() == PAYLOAD
    assert _RangeHandler.ranges_seen == ["bytes=1000-"]


def test_checksum_mismatch_leaves_nothing(server, invgen_home):
    with pytest.raises(WeightsError, match="fails its sha256 check"):
        resolve(WeightsInfo("w", "w.bin", url=server, sha256="0" * 64))
    assert not (invgen_home / "weights" / "w.bin").exists()


def test_offline_error_gives_url_and_command():
    info = WeightsInfo("net", "net.pkl", url="http://127.0.0.1:9/net.pkl")
    with pytest.raises(WeightsError) as caught:
        resolve(info)
    message = str(caught.value)
    assert "http://127.0.0.1:9/net.pkl" in message and "invgen weights add net FILE" in message
    assert "\n" not in message


def test_local_file_registration(tmp_path):
    local = tmp_path / "mine.bin"
    local.write_bytes(PAYLOAD)
    info = WeightsInfo("w", "w.bin", url=None, sha256=DIGEST)
    with pytest.raises(WeightsError, match="are not available: run `invgen weights add w FILE`"):
        resolve(info)
    add_local("w", local, info)
    assert resolve(info) == local.resolve()
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"x")
    with pytest.raises(WeightsError, match="does not match"):
        add_local("w", wrong, info)
    local.unlink()
    with pytest.raises(WeightsError, match="is gone"):
        resolve(info)


def test_weights_cli(fake_manager, tmp_path):
    fake_manager.registry.add_weights("tiny", "tiny.bin", sha256=DIGEST, summary="test file", plugin="fakes")
    runner = CliRunner()
    local = tmp_path / "tiny.bin"
    local.write_bytes(PAYLOAD)
    added = runner.invoke(create_app(), ["weights", "add", "tiny", str(local)])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(create_app(), ["weights", "list"])
    assert "tiny" in listed.output and "local file" in listed.output
    unknown = runner.invoke(create_app(), ["weights", "path", "nope"])
    assert unknown.exit_code == 1 and "unknown weights 'nope' (known: tiny)" in unknown.stderr
