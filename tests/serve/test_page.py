"""The page's server without a browser: what a request may make it read, and how it stops."""

import os
import signal
import threading
import time

import pytest

pytest.importorskip("gradio", reason="the serve extra (gradio) is not installed")

from invgen.serve.jobs import LiveRun, Workspace  # noqa: E402
from invgen.serve.page import Server, launch  # noqa: E402


def test_a_request_may_name_only_uploads_and_examples(tmp_path):
    server = Server(Workspace(tmp_path / "root"), "cpu")
    (tmp_path / "root" / "gradio").mkdir(parents=True)
    upload, example = tmp_path / "root" / "gradio" / "up.png", tmp_path / "example.png"
    for path in (upload, example):
        path.write_bytes(b"x")
    server.examples.add(example)
    assert server.received(str(upload)) == str(upload) and server.received(str(example)) == str(example)
    for crafted in ("/etc/passwd", str(tmp_path / "root" / ".." / "example2.png"), str(tmp_path / "other.png")):
        assert server.received(crafted) is None


class FakePage:
    """What launch needs of a gradio page, recording how it was launched."""

    is_running = True

    def queue(self, **_):
        pass

    def launch(self, **options):
        self.options = options

    def close(self):
        self.closed = True


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_stop_ends_the_running_solve_and_waits_for_it_before_closing(tmp_path, monkeypatch, stop):
    monkeypatch.setenv("GRADIO_SHARE", "True")
    server = Server(Workspace(tmp_path), "cpu")
    live, finished = LiveRun(), threading.Event()

    def solve():  # a job that runs until asked to stop, then writes for a moment
        live.stop.wait(60)
        time.sleep(0.3)
        finished.set()
    worker = threading.Thread(target=solve, daemon=True)
    server.live["session"], page = live, FakePage()
    server.workers.add(worker)
    worker.start()
    before = signal.getsignal(stop)
    threading.Timer(0.5, os.kill, (os.getpid(), stop)).start()
    assert launch(page, server, "127.0.0.1", 7860, 1000) is True
    assert finished.is_set() and not worker.is_alive() and page.closed
    assert page.options["share"] is False  # whatever GRADIO_SHARE says
    assert signal.getsignal(stop) is before  # the handlers are given back
