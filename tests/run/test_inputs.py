"""What --input names: files, folders, globs and manifests, in a fixed order with unique output names."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invgen.run.inputs import collect_inputs, glob_files, is_single
from invgen.errors import InputError


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_a_folder_is_searched_recursively_in_sorted_order(tmp_path):
    for name in ("b.png", "a.jpg", "sub/c.npy", "sub/a.png", "notes.txt", ".hidden/x.png"):
        touch(tmp_path / name)
    items = collect_inputs(tmp_path)
    assert [item.path.relative_to(tmp_path).as_posix() for item in items] == ["a.jpg", "b.png", "sub/a.png", "sub/c.npy"]
    assert [item.name for item in items] == ["a.jpg", "b.png", "sub__a.png", "sub__c.npy"]


def test_globs_single_files_and_missing_paths(tmp_path):
    for name in ("x1.png", "x2.png", "y.png"):
        touch(tmp_path / name)
    assert [item.name for item in collect_inputs(str(tmp_path / "x*.png"))] == ["x1.png", "x2.png"]
    assert is_single(tmp_path / "y.png") and [i.name for i in collect_inputs(tmp_path / "y.png")] == ["y.png"]
    with pytest.raises(InputError, match="no such file or folder"):
        collect_inputs(tmp_path / "nope.png")
    with pytest.raises(InputError, match="holds no images"):
        collect_inputs(str(tmp_path / "z*.png"))


def test_manifests_list_paths_names_and_forward_specs(tmp_path):
    touch(tmp_path / "imgs" / "one.png")
    (tmp_path / "list.txt").write_text("# comment\nimgs/one.png\n\nimgs/missing.png\n")
    items = collect_inputs(tmp_path / "list.txt")
    assert not is_single(tmp_path / "list.txt")
    assert [item.path for item in items] == [tmp_path / "imgs/one.png", tmp_path / "imgs/missing.png"]
    (tmp_path / "list.csv").write_text('path,name,forward\nimgs/one.png,first,"test-noise:std=0.1"\n'
                                       "imgs/one.png,,\n")
    first, second = collect_inputs(tmp_path / "list.csv")
    assert (first.name, first.forward) == ("first", ("test-noise:std=0.1",))
    assert (second.name, second.forward) == ("imgs__one.png", ())
    (tmp_path / "bad.csv").write_text("file\nimgs/one.png\n")
    with pytest.raises(InputError, match="needs a header with a 'path' column"):
        collect_inputs(tmp_path / "bad.csv")


GLOB_TREE = ["a.png", "b.jpg", "x/c.png", "x/y/d.png", "x/y/.h/e.png", ".hid/f.png", "x/.g.png", "x/y/[1].png",
             "x/y/a1.png", "x/y/ab.png"]
GLOBS = ["*.png", "**/*.png", "**", "x/*", "x/y/a[0-9].png", "x/y/a[!0-9].png", "?.png", "**/.*.png", "x/y/.h/*.png",
         "*/y/*.png", "x/**/d.png", "nothing/*.png"]


@pytest.mark.parametrize("pattern", GLOBS)
def test_globs_match_what_python_s_glob_matches(tmp_path, monkeypatch, pattern):
    """Python's own ``glob`` as the oracle, on a tree with hidden names and brackets, absolute and relative."""
    import glob

    for name in GLOB_TREE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    oracle = sorted(Path(p) for p in glob.glob(str(tmp_path / pattern), recursive=True) if Path(p).is_file())
    assert glob_files(str(tmp_path / pattern)) == oracle
    monkeypatch.chdir(tmp_path)
    assert glob_files(pattern) == sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


@pytest.mark.timeout(30)
def test_a_glob_over_symlink_loops_ends_and_lists_each_file_once(tmp_path):
    """Two links back up in each of 12 nested folders: Python's glob would walk 2^12 paths per level into the
    loops (and list one file thousands of times); the walk does not enter links to folders."""
    folder = tmp_path
    for depth in range(12):
        folder = folder / f"d{depth}"
        folder.mkdir()
        (folder / "up").symlink_to("..")
        (folder / "top").symlink_to(tmp_path)
    (folder / "digit.png").write_bytes(b"")
    assert glob_files(str(tmp_path / "**" / "*.png")) == [folder / "digit.png"]
    assert [item.path for item in collect_inputs(str(tmp_path / "**" / "*.png"))] == [folder / "digit.png"]


def test_output_names_depend_on_each_input_s_own_path_alone():
    """Readable where the path is plain; a hash of the path where the rewriting would lose information."""
    from invgen.run.inputs import output_name

    assert [output_name(p) for p in ("a.jpg", "a.bmp", "sub/a.png", "vol.nii.gz:slice=40")] == [
        "a.jpg", "a.bmp", "sub__a.png", "vol.nii.gz_slice40"]
    for lossy in ("a b.png", "x__y.png", "index", "index.csv", "/data/x.png", "_a.png", "..\\a.png"):
        name = output_name(lossy)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*-[0-9a-f]{8}", name), name
    assert output_name("/data/x.png").startswith("x.png-")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text("ab_. -/é", min_size=1, max_size=4), min_size=1, max_size=3).map("/".join),
                unique=True, min_size=2, max_size=8))
def test_output_names_are_distinct_for_distinct_paths(paths):
    from invgen.run.inputs import output_name

    distinct = [path for path in paths if all(part not in ("", ".") for part in path.split("/"))]  # no a/./b
    names = [output_name(path) for path in distinct]
    assert len(set(names)) == len(names)
