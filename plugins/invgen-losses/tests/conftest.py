"""The LPIPS authors' example images, shipped beside the project in ../shared (tests skip without them)."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


@pytest.fixture
def lpips_examples():
    """The LPIPS authors' example images (ex_ref, ex_p0, ex_p1)."""
    folder = SHARED / "data" / "lpips-examples"
    if not folder.is_dir():
        pytest.skip(f"the LPIPS example images are not here ({folder}: only beside this project's checkout)")
    return folder
