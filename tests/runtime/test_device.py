"""``--device``: auto picks what is there, anything else is checked, TF32 stays off unless asked for."""

import pytest
import torch

from invgen.errors import UsageError
from invgen.runtime.device import resolve_device


def test_auto_and_cpu_resolve_and_tf32_follows_the_request():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu", tf32=True) == torch.device("cpu") and torch.backends.cudnn.allow_tf32
    assert resolve_device(torch.device("cpu")) == torch.device("cpu") and not torch.backends.cudnn.allow_tf32
    assert not torch.backends.cuda.matmul.allow_tf32


@pytest.mark.parametrize(("device", "message"), [("gpu7", "unknown device 'gpu7'"), ("meta", "not supported")])
def test_other_devices_are_usage_errors(device, message):
    with pytest.raises(UsageError, match=message):
        resolve_device(device)
