"""The C kernels' build: made once per source, compiler and CPU, kept, and never in the way when they cannot be made."""

import ctypes
import os
import stat
import subprocess

import pytest

from invgen_stylegan2.fast import native


@pytest.fixture(autouse=True)
def fresh_state():
    """Each test decides afresh; the next user of the kernels does too (with the session's own settings)."""
    native.forget()
    yield
    native.forget()


def _needs_compiler() -> None:
    if native.library() is None:
        pytest.skip(f"no C kernels on this machine: {native.status()}")
    native.forget()


def test_the_library_is_built_into_invgen_home_once_and_then_loaded_from_there(tmp_path, monkeypatch):
    _needs_compiler()
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    library = native.library()
    assert isinstance(library, ctypes.CDLL)
    built = list((tmp_path / "native").glob("winograd_transforms-*.so"))
    assert len(built) == 1 and native.status() == f"on: {built[0]}"
    assert not [p for p in (tmp_path / "native").iterdir() if p not in built]  # no temporary files left

    native.forget()
    version = subprocess.check_output([os.environ.get("CC") or "cc", "--version"], text=True)

    def no_compiling(command, *args, **kwargs):
        assert "-o" not in command, "compiled again although the library was kept"
        return subprocess.CompletedProcess(command, 0, stdout=version, stderr="")
    monkeypatch.setattr(subprocess, "run", no_compiling)
    assert native.library() is not None and native.status() == f"on: {built[0]}"


def test_a_changed_source_or_cpu_gets_its_own_file(tmp_path, monkeypatch):
    _needs_compiler()
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    native.library()
    native.forget()
    monkeypatch.setattr(native, "_cpu", lambda: "another CPU with other instruction sets")
    native.library()
    assert len(list((tmp_path / "native").glob("*.so"))) == 2


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("INVGEN_NATIVE", "0")
    assert native.library() is None
    assert native.status() == "off: INVGEN_NATIVE=0"
    assert native.threads() == 1


def test_without_a_compiler_it_says_so_and_builds_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    assert native.library() is None
    assert native.status() == "off: no C compiler (install gcc, or set CC)"
    assert not (tmp_path / "native").exists()


def test_a_failed_build_leaves_no_file_and_gives_the_compilers_first_line(tmp_path, monkeypatch):
    broken = tmp_path / "broken-cc"
    broken.write_text("#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --version ] && { echo broken-cc 1.0; exit 0; }; done\n"
                      "echo 'fatal: this compiler cannot build anything' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CC", str(broken))
    assert native.library() is None
    assert native.status() == (f"off: {broken} could not build winograd_transforms.c: "
                               "fatal: this compiler cannot build anything")
    assert list((tmp_path / "home" / "native").iterdir()) == []


def test_an_unwritable_home_falls_back_with_the_reason(tmp_path, monkeypatch):
    _needs_compiler()
    blocked = tmp_path / "home"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setenv("INVGEN_HOME", str(blocked))
    assert native.library() is None
    assert native.status().startswith(f"off: cannot build into {blocked / 'native'} (")


def test_the_kernels_share_pytorchs_openmp_runtime():
    """Loaded after PyTorch, the library brings no OpenMP runtime of its own (so it may use PyTorch's threads)."""
    _needs_compiler()
    runtimes = native._openmp_runtimes()
    native.library()
    assert native._openmp_runtimes() == runtimes
    assert native.status().startswith("on: ") and "one thread" not in native.status()
