"""Output folders appear whole or not at all, are replaced whole, and the index joins every shard's rows."""

import json

from invgen.run.inputs import InputItem
from invgen.run.store import RunStore


def files(tag: str, *extra: str) -> dict[str, bytes]:
    record = {"files": ["a.png", *extra], "tag": tag}
    return {"a.png": tag.encode(), **{name: b"x" for name in extra}, "run.json": json.dumps(record).encode()}


def test_a_folder_is_complete_only_with_its_record(tmp_path):
    store = RunStore(tmp_path / "out")
    (tmp_path / "out" / "half").mkdir(parents=True)
    (tmp_path / "out" / "half" / "a.png").write_bytes(b"left by a killed process")
    assert store.has_output("half") and not store.is_complete("half")
    store.write("done", files("first"))
    assert store.is_complete("done") and not (tmp_path / "out" / ".partial").exists()
    (tmp_path / "out" / "late" ).mkdir()
    (tmp_path / "out" / "late" / "run.json").write_text('{"interrupted": true}')
    assert not store.is_complete("late")  # the best-so-far of an interrupted solve is redone on --resume


def test_a_rewrite_replaces_the_folder_whole(tmp_path):
    store = RunStore(tmp_path / "out")
    store.write("x", files("vi", "sample_000.png", "sample_001.png"))
    store.write("x", files("map"))
    assert sorted(p.name for p in (tmp_path / "out" / "x").iterdir()) == ["a.png", "run.json"]
    assert (tmp_path / "out" / "x" / "a.png").read_bytes() == b"map"


def test_a_flat_folder_with_other_files_keeps_them_and_drops_the_old_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    store = RunStore(out, flat=True)
    store.write("", files("vi", "sample_000.png"))
    store.write("", files("map"))
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "notes.txt", "run.json"]
    assert not list(tmp_path.glob(".out.*"))


def test_the_index_joins_shards_prefers_successes_and_waits_for_every_input(tmp_path):
    store = RunStore(tmp_path)
    items = [InputItem(tmp_path / f"{n}.png", n) for n in ("a", "b", "c")]
    store.add_row({"input": "a.png", "name": "a", "status": "error", "error": "bad", "metrics": {}}, "0-of-2")
    store.add_row({"input": "a.png", "name": "a", "status": "ok", "error": None, "metrics": {"psnr": 20.0}}, "1-of-2")
    store.add_row({"input": "b.png", "name": "b", "status": "error", "error": "unreadable", "metrics": {}}, "1-of-2")
    (tmp_path / "index" / "shard-1-of-2.jsonl").open("a").write('{"name": "c", "sta')  # a killed writer
    assert not store.merge_index(items)
    store.write("c", {"run.json": json.dumps({"metrics": {"psnr": [30.0]}, "timings_s": {"total": 1.5}}).encode()})
    assert store.merge_index(items)
    rows = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text().splitlines()]
    assert [(r["name"], r["status"]) for r in rows] == [("a", "ok"), ("b", "error"), ("c", "ok")]
    assert rows[2]["metrics"] == {"psnr": 30.0}
    assert (tmp_path / "index.csv").read_text().splitlines()[0] == "input,name,status,seconds,error,psnr,shard"
