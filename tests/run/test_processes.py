"""Real processes: torchrun shares a folder between two workers, and a killed run resumes where it stopped."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

COMMAND = ["run", "-g", "toy:size=16,layers=2", "-f", "test-blur:sigma=1", "--loss", "test-sse", "--simulate",
           "--lr", "0.1"]


@pytest.fixture
def folder(tmp_path, make_toy_folder):
    make_toy_folder(tmp_path / "in", 7, "image", seed=5)
    return tmp_path / "in"


def test_torchrun_splits_a_folder_with_no_overlap_and_no_gap(folder, tmp_path, installed_fakes):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                             "-m", "invgen", *COMMAND, "--steps", "5", "-i", str(folder), "-o", str(out)],
                            env=installed_fakes, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    shards = {}
    for path in sorted((out / "index").glob("shard-*.jsonl")):
        shards[path.stem] = [json.loads(line)["name"] for line in path.read_text().splitlines()]
    assert sorted(shards) == ["shard-0-of-2", "shard-1-of-2"]
    done = [name for names in shards.values() for name in names]
    assert sorted(done) == [f"image{i}.png" for i in range(7)] and len(done) == len(set(done))
    assert shards["shard-0-of-2"] == ["image0.png", "image2.png", "image4.png", "image6.png"]
    merged = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert [row["name"] for row in merged] == [f"image{i}.png" for i in range(7)]
    assert {row["status"] for row in merged} == {"ok"}


def test_a_killed_run_resumes_without_redoing_finished_inputs(folder, tmp_path, installed_fakes):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "invgen", *COMMAND, "--steps", "1500", "--batch", "1", "-i", str(folder),
               "-o", str(out)]
    with open(tmp_path / "first.log", "w") as log:
        process = subprocess.Popen(command, env=installed_fakes, stdout=log, stderr=log)
        deadline = time.monotonic() + 600
        while not list(out.glob("*/run.json")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finished = {path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/run.json")}
    assert 1 <= len(finished) < 7, (tmp_path / "first.log").read_text()[-2000:]
    assert not (out / "index.jsonl").exists()
    resumed = subprocess.run([*command, "--resume"], env=installed_fakes, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{len(finished)} complete already" in resumed.stderr
    assert all((out / name / "run.json").stat().st_mtime_ns == stamp for name, stamp in finished.items())
    rows = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert [row["status"] for row in rows] == ["ok"] * 7
