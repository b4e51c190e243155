"""The fast/plain switch and the allocator setting of the fast path."""

import subprocess
import sys

import pytest

from invgen.runtime.speed import fast_paths, plain_paths


def test_plain_paths_hold_inside_the_block_only_even_after_an_error():
    assert fast_paths()
    with pytest.raises(RuntimeError):
        with plain_paths():
            assert not fast_paths()
            with plain_paths():
                assert not fast_paths()
            assert not fast_paths()
            raise RuntimeError("inside")
    assert fast_paths()


FAULTS = """
import resource, sys, torch
from invgen.runtime.speed import kept_memory, memory_kept

def faults_of_a_step():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    held = [torch.ones(8 * 2**20) for _ in range(4)]  # a step's activations: 4 x 32 MB written, then freed
    del held
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20

default = [faults_of_a_step() for _ in range(4)]
with kept_memory() as kept:
    with kept_memory():
        inside = [faults_of_a_step() for _ in range(8)]  # glibc settles within 3 to 5 steps
    still = memory_kept()
    held = rss_mb()
print(default[-1], kept, inside[-1], still, memory_kept(), held - rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings: Linux only")
def test_kept_memory_is_reused_without_page_faults_until_the_block_ends():
    """The kernel's own count of page faults in steady state (the last of 4, or 8 inside): every 4 KB page of the step's
    128 MB faults by default, none inside the block; leaving it returns the kept memory (resident size)."""
    result = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True, check=True)
    default, kept, inside, still, kept_after, returned_mb = result.stdout.split()
    assert (kept, still, kept_after) == ("True", "True", "False")  # nested blocks: the outer one decides
    assert int(default) > 30_000 and int(inside) < 100 and float(returned_mb) > 100
