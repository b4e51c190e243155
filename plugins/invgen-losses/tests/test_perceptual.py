"""LPIPS: the published known answers, grey and small inputs, masks, and a clear error without weights."""

import pytest
import torch

import invgen
from invgen.io import load_image


def _examples(folder):
    return [load_image(folder / name, 3) for name in ("ex_ref.png", "ex_p0.png", "ex_p1.png")]


@pytest.mark.parametrize(("net", "d0", "d1"), [("alex", 0.722, 0.138), ("vgg", 0.569, 0.422)])
def test_published_lpips_values(net, d0, d1, lpips_examples, lpips_weights):
    ref, p0, p1 = _examples(lpips_examples)
    loss = invgen.loss(f"lpips:net={net}")
    assert loss(p0, ref, None).item() == pytest.approx(d0, abs=1e-3)
    assert loss(p1, ref, None).item() == pytest.approx(d1, abs=1e-3)


def test_grey_and_small_images_are_handled(lpips_weights):
    loss = invgen.loss("lpips:net=alex")
    a, b = torch.rand(2, 1, 8, 8) * 2 - 1, torch.rand(2, 1, 8, 8) * 2 - 1
    value = loss(a, b, None)
    assert value.shape == (2,) and (value > 0).all()
    assert torch.allclose(loss(a, a, None), torch.zeros(2), atol=1e-6)


def test_missing_weights_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("INVGEN_LPIPS_WEIGHTS", str(tmp_path))
    from invgen.errors import UserError

    with pytest.raises(UserError) as caught:
        invgen.loss("lpips:net=vgg")
    assert "INVGEN_LPIPS_WEIGHTS" in str(caught.value) and "\n" not in str(caught.value)


def test_no_silent_random_backbone_when_offline(monkeypatch, tmp_path):
    monkeypatch.delenv("INVGEN_LPIPS_WEIGHTS", raising=False)
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    from invgen_losses import perceptual

    monkeypatch.setattr(perceptual.torch.hub, "load_state_dict_from_url",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(perceptual.LPIPSWeightsMissing, match="invgen weights add lpips-vgg16 FILE"):
        invgen.loss("lpips")


def test_weights_cache_registration_is_used(monkeypatch, tmp_path, lpips_weights_folder, lpips_examples):
    monkeypatch.delenv("INVGEN_LPIPS_WEIGHTS", raising=False)
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    from invgen.plugins import registry
    from invgen.weights import add_local

    add_local("lpips-alexnet", lpips_weights_folder / "alexnet_imagenet_features.safetensors",
              registry().weights["lpips-alexnet"])
    ref, p0, _ = _examples(lpips_examples)
    assert invgen.loss("lpips:net=alex")(p0, ref, None).item() == pytest.approx(0.722, abs=1e-3)


def test_observations_that_are_not_images_get_a_clear_error(lpips_weights):
    from invgen.errors import UserError

    loss = invgen.loss("lpips:net=alex")
    with pytest.raises(UserError, match="lpips compares images of 1 or 3 channels.*--preset pixel"):
        loss(torch.zeros(1, 2, 32, 32), torch.zeros(1, 2, 32, 32), None)
