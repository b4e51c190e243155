"""Shards from torchrun's and Slurm's environments or --shard: disjoint, complete, and checked."""

import pytest

from invgen.run.sharding import Shard, detect_shard
from invgen.errors import UsageError


def test_every_item_goes_to_exactly_one_shard():
    items = list(range(23))
    shares = [Shard(index, 4).share(items) for index in range(4)]
    assert sorted(x for share in shares for x in share) == items
    assert all(set(a).isdisjoint(b) for i, a in enumerate(shares) for b in shares[i + 1:])


def test_the_environment_and_the_option():
    assert detect_shard(environ={}) == Shard()
    torchrun = detect_shard(environ={"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (torchrun.index, torchrun.count, torchrun.local_rank) == (3, 4, 1)
    slurm = detect_shard(environ={"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "4",
                                  "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2"})
    assert (slurm.index, slurm.count) == (3, 4)  # ids 1, 3, 5, 7
    assert detect_shard("1/3", environ={"RANK": "0", "WORLD_SIZE": "2"}) == Shard(1, 3, "--shard")


@pytest.mark.parametrize("option", ["3/3", "1-3", "a/b", "-1/2", "0/0"])
def test_impossible_shards_are_usage_errors(option):
    with pytest.raises(UsageError):
        detect_shard(option, environ={})
