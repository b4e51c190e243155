"""Fuzzing the checkpoint reader: randomly damaged checkpoints get a one-line ``CheckpointError``, never a raw
exception (``INVGEN_FUZZ_EXAMPLES=1500`` runs more)."""

import os
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invgen.errors import UserError


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    """A small valid checkpoint in each format, as bytes to damage."""
    from invgen_stylegan2.checkpoints.loading import save_safetensors
    from invgen_stylegan2.testing import make_network, write_nvidia_pickle

    folder = tmp_path_factory.mktemp("checkpoints")
    network, config = make_network()
    save_safetensors(network, config, folder / "g.safetensors")
    write_nvidia_pickle(network, config, folder / "g.pkl")
    return {suffix: (folder / f"g{suffix}").read_bytes() for suffix in (".safetensors", ".pkl")}


@pytest.mark.timeout(300)
@settings(max_examples=int(os.environ.get("INVGEN_FUZZ_EXAMPLES", "150")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), suffix=st.sampled_from([".safetensors", ".pkl"]))
def test_the_checkpoint_reader_answers_damaged_files_with_a_checkpoint_error(checkpoint_bytes, tmp_path, data,
                                                                           suffix):
    from invgen_stylegan2.checkpoints.loading import load_checkpoint

    original = bytearray(checkpoint_bytes[suffix])
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)), min_size=1,
                               max_size=8))
    for position, byte in edits:
        original[position] = byte
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(original))))
    damaged = bytes(original if cut is None else original[:cut])
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(damaged)
    try:
        load_checkpoint(path)  # a change inside a weight's bytes can leave a valid file
    except UserError as error:
        assert "\n" not in str(error) and str(path) in str(error)
    except (pickle.UnpicklingError, MemoryError) as error:  # pragma: no cover - the failure this test looks for
        pytest.fail(f"raw {type(error).__name__} escaped the reader: {error}")
