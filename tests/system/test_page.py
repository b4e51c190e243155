"""``invgen serve`` end to end in a real browser: headless Chromium driven by Playwright paints a mask on an
example digit, runs MAP and VI, stops a long run, downloads the zip; the server writes only in its own folder.

Skipped, with the reason, where gradio, Playwright or Chromium is missing (``make test`` installs them here).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio", reason="the serve extra (gradio) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium here (Debian: apt-get install chromium)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "out" / "test-artifacts"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update"]
START_S, RUN_MS = 120, 120_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``invgen serve`` in its own process, with empty working, temporary and home folders to watch (invgen's
    own cache, ``$INVGEN_HOME``, is elsewhere: the page may add latent statistics to it, as ``invgen run`` does)."""
    base = tmp_path_factory.mktemp("serve")
    places = {name: base / name for name in ("cwd", "tmp", "home")}
    for folder in places.values():
        folder.mkdir()
    port = _free_port()
    env = {**os.environ, "TMPDIR": str(places["tmp"]), "HOME": str(places["home"]),
           "INVGEN_HOME": os.environ.get("INVGEN_HOME", str(base / "invgen-home")),
           "GRADIO_SHARE": "True"}  # must not open gradio's public tunnel
    env.pop("MPLCONFIGDIR", None)
    process = subprocess.Popen([sys.executable, "-m", "invgen", "serve", "--port", str(port), "--device", "cpu"],
                               cwd=places["cwd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=_default_sigint)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_S
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"invgen serve did not start: {process.communicate()[0][-2000:]}")
            time.sleep(0.5)
    yield url, process, places
    if process.poll() is None:
        process.kill()


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1900}, accept_downloads=True)
        tab.set_default_timeout(RUN_MS)
        tab.goto(server[0], wait_until="load")
        tab.wait_for_selector("#invgen-run-map")
        yield tab
        browser.close()


def _examples():
    from invgen.registry.manager import new_manager

    return new_manager().registry.examples_for("stylegan2-mnist32")


def _default_sigint() -> None:
    """The server must take Ctrl-C even when the test runner was started in the background, where shells
    start commands with SIGINT ignored (and a process keeps an ignored SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_clicking_an_example_loads_it_for_painting(page):
    page.get_by_text("mnist-digit3 (stylegan2-mnist32)").click()
    sync_api.expect(page.locator("#invgen-upload-note")).to_contain_text("32x32 pixels")


def _paint_a_bar(tab) -> None:
    """Three horizontal strokes over the middle of the canvas (the digit's upper half)."""
    canvas = tab.locator("#invgen-paint canvas").first.bounding_box()
    for row in (0.40, 0.47, 0.54):
        y = canvas["y"] + canvas["height"] * row
        tab.mouse.move(canvas["x"] + canvas["width"] * 0.3, y)
        tab.mouse.down()
        tab.mouse.move(canvas["x"] + canvas["width"] * 0.7, y, steps=12)
        tab.mouse.up()


def _upload(tab, path: Path) -> None:
    """Upload ``path`` as the image, as a user would: the file box cleared first if it holds one."""
    clear = tab.locator("#invgen-image button[aria-label='Clear']")
    if clear.count():
        clear.first.click()
    tab.locator("#invgen-image input[type=file]").set_input_files(str(path))


def _set_steps(tab, steps: int) -> None:
    box = tab.locator("input[aria-label='number input for steps']")
    box.fill(str(steps))
    box.press("Enter")


def _run(tab, button: str) -> str:
    """Click a run button and wait for this run's "Done" (not the previous run's)."""
    status = tab.locator("#invgen-status")
    before = status.inner_text()
    tab.locator(button).click()
    sync_api.expect(status).not_to_have_text(before, timeout=RUN_MS)
    sync_api.expect(status).to_contain_text("Done", timeout=RUN_MS)
    return status.inner_text()


def test_the_chain_builder_offers_every_forward_model_with_typed_parameters(page):
    page.get_by_text("add a corruption").click()
    page.locator("#invgen-add-kind input").click()
    page.get_by_role("option", name="downsample", exact=True).click()
    factor = page.get_by_label("factor: an int >= 2 and <= 256")
    assert factor.input_value() == "4"  # the registered default
    factor.fill("2")
    page.locator("#invgen-add-downsample").click()
    chain = page.locator("#invgen-chain textarea")
    sync_api.expect(chain).to_have_value("downsample:factor=2")
    factor.fill("1")  # below the parameter's range: refused, the chain unchanged
    page.locator("#invgen-add-downsample").click()
    page.wait_for_timeout(1000)
    assert chain.input_value() == "downsample:factor=2"
    chain.fill("")
    page.get_by_text("add a corruption").click()  # closed again


def test_upload_paint_run_map_and_download_the_result(page, tmp_path):
    assert page.get_by_text("mnist-digit7 (stylegan2-mnist32)").is_visible()  # the examples are offered
    digit = next(e.path for e in _examples() if e.name == "mnist-digit7")
    _upload(page, digit)
    page.wait_for_selector("#invgen-paint canvas")
    page.wait_for_timeout(1000)
    _paint_a_bar(page)
    _set_steps(page, 40)
    status = _run(page, "#invgen-run-map")
    assert "against your image: PSNR" in status
    assert page.locator("#invgen-reconstruction img").count() == 1
    with page.expect_download() as download:
        page.locator("#invgen-zip a").first.click()
    archive = tmp_path / "result.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as packed:
        record = json.loads(packed.read("run.json"))
        hidden = np.asarray(Image.open(packed.open("inputs/mask.png"))) == 0
        pictures = {name: np.asarray(Image.open(packed.open(f"{name}.png")), dtype=float)
                    for name in ("reconstruction", "observation", "inputs/input")}
        command = packed.read("command.sh").decode()
        assert set(record["files"]) | {"run.json"} <= set(packed.namelist())
    assert record["solver"]["method"] == "map" and record["solver"]["steps"] == 40 and record["simulate"] is True
    assert record["forward"][0].split(":")[0] == "mask" and record["generator"] == "stylegan2-mnist32"
    assert 60 <= hidden.sum() <= 500 and hidden[14:18, 10:22].all()  # the strokes, in the digit's pixels
    filled = np.abs(pictures["reconstruction"] - pictures["observation"])[hidden].mean()
    assert filled > 40  # the hidden pixels (grey in the observation) were filled in
    assert not np.array_equal(pictures["reconstruction"][hidden], pictures["inputs/input"][hidden])
    assert "--forward mask:path=inputs/mask.png,resize=true" in command and "--steps 40" in command


@pytest.mark.parametrize("where, spec", [
    ("chain", "mask:path=/etc/hostname"), ("chain", "mask:path=/no/such/file.png"),
    ("chain", "mask:path=../../../../etc/passwd"), ("generator", "stylegan2:weights=/etc/passwd"),
    ("generator", "stylegan2:weights=/no/such/weights.pkl")])
def test_the_page_reads_no_server_file_a_client_names(page, where, spec):
    """Existing or not, a server path typed on the page gets the same one line, and nothing is read."""
    box = page.locator("#invgen-chain textarea" if where == "chain" else "#invgen-generator input")
    kept = box.input_value()
    box.fill(spec)
    box.press("Tab")
    status = page.locator("#invgen-status")
    before = status.inner_text()
    page.locator("#invgen-run-map").click()
    sync_api.expect(status).not_to_have_text(before, timeout=RUN_MS)
    named = spec.partition("=")[2]
    sync_api.expect(status).to_contain_text(f"Failed: '{named}' is not a file uploaded on this page",
                                            timeout=RUN_MS)
    box.fill(kept)
    box.press("Tab")


def test_a_file_uploaded_in_the_chain_builder_is_shown_by_its_name(page, tmp_path):
    holes = np.full((32, 32), 255, np.uint8)
    holes[8:24, 8:24] = 0
    Image.fromarray(holes).save(tmp_path / "holes.png")
    page.get_by_text("add a corruption").click()
    page.locator("#invgen-add-kind input").click()
    page.get_by_role("option", name="mask", exact=True).click()
    page.locator("#invgen-mask-path input[type=file]").set_input_files(str(tmp_path / "holes.png"))
    page.wait_for_timeout(1500)
    page.locator("#invgen-add-mask").click()
    chain = page.locator("#invgen-chain textarea")
    sync_api.expect(chain).to_have_value("mask:path=holes.png")  # not where the server keeps it
    _set_steps(page, 10)
    _run(page, "#invgen-run-map")
    assert "--forward mask:path=inputs/holes.png" in page.locator("#invgen-command").inner_text()
    chain.fill("")
    page.get_by_text("add a corruption").click()


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024


def test_a_huge_upload_is_refused_before_it_is_decoded(server, page, tmp_path):
    """A 12000x12000 PNG (140 KB of zeros) would take 144 MB decoded, more as the page's copies."""
    Image.fromarray(np.zeros((12000, 12000), np.uint8)).save(tmp_path / "huge.png", optimize=False)
    before = _peak_rss_mb(server[1].pid)
    _upload(page, tmp_path / "huge.png")
    sync_api.expect(page.locator("#invgen-upload-note")).to_contain_text(
        "the upload: 12000x12000 pixels is more than invgen reads", timeout=RUN_MS)
    assert _peak_rss_mb(server[1].pid) - before < 100  # the header was read, not the pixels
    digit = next(e.path for e in _examples() if e.name == "mnist-digit7")
    _upload(page, digit)
    sync_api.expect(page.locator("#invgen-upload-note")).to_contain_text("32x32 pixels")


def test_run_vi_shows_samples_and_the_uncertainty_map(page):
    _set_steps(page, 20)
    status = _run(page, "#invgen-run-vi")
    assert "against your image: PSNR" in status
    page.wait_for_selector("#invgen-std img")
    assert page.locator("#invgen-gallery img").count() >= 8
    assert page.locator("#invgen-mean img").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-page.png"), full_page=True)
    if os.environ.get("INVGEN_SCREENSHOT"):  # the README's picture: from the top to the samples
        samples = page.locator("#invgen-samples").bounding_box()
        top = page.evaluate("window.scrollY")
        page.screenshot(path=os.environ["INVGEN_SCREENSHOT"], full_page=True,
                        clip={"x": 0, "y": 0, "width": 1400, "height": top + samples["y"] + samples["height"] + 12})


def test_several_starts_show_the_modes_ranked(page):
    _set_steps(page, 20)
    box = page.locator("input[aria-label='number input for starts']")
    box.fill("3")
    box.press("Enter")
    _run(page, "#invgen-run-map")
    page.wait_for_selector("#invgen-modes img")
    assert page.locator("#invgen-modes img").count() >= 3
    assert "--starts 3" in page.locator("#invgen-command").inner_text()
    box.fill("1")
    box.press("Enter")


def test_stop_ends_a_long_run_with_its_best_result(page):
    _set_steps(page, 2000)
    status = page.locator("#invgen-status")
    page.locator("#invgen-run-map").click()
    sync_api.expect(status).to_contain_text("step ", timeout=RUN_MS)
    page.locator("#invgen-stop").click()
    sync_api.expect(status).to_contain_text("stopped early: the best result so far", timeout=RUN_MS)


def test_sigterm_during_a_solve_ends_the_server_cleanly_and_it_wrote_only_in_its_folder(server, page):
    _url, process, places = server
    _set_steps(page, 2000)
    page.locator("#invgen-run-map").click()
    sync_api.expect(page.locator("#invgen-status")).to_contain_text("step ", timeout=RUN_MS)
    process.send_signal(signal.SIGTERM)  # a scheduler's stop, in the middle of the solve
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 130, output[-2000:]
    assert "terminate called" not in output and "Aborted" not in output, output[-3000:]
    assert "public URL" not in output and "share link" not in output  # GRADIO_SHARE=True had no effect
    folder = Path(next(line for line in output.splitlines() if "working folder" in line).split()[3])
    assert not folder.exists()
    for name, place in places.items():
        assert not any(place.iterdir()), (name, sorted(p.name for p in place.iterdir()))
