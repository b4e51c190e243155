"""LPIPS: the published known answers, grey and small inputs, masks, and a clear error without weights."""

import warnings

import pytest
import torch

import invgen
from invgen.io.images import load_image


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
    from invgen.registry.manager import registry
    from invgen.registry.weights import add_local

    add_local("lpips-alexnet", lpips_weights_folder / "alexnet_imagenet_features.safetensors",
              registry().weights["lpips-alexnet"])
    ref, p0, _ = _examples(lpips_examples)
    assert invgen.loss("lpips:net=alex")(p0, ref, None).item() == pytest.approx(0.722, abs=1e-3)


def test_observations_that_are_not_images_get_a_clear_error(lpips_weights):
    from invgen.errors import UserError

    loss = invgen.loss("lpips:net=alex")
    with pytest.raises(UserError, match="lpips compares images of 1 or 3 channels.*--preset pixel"):
        loss(torch.zeros(1, 2, 32, 32), torch.zeros(1, 2, 32, 32), None)


def _random_backbone_lpips():
    """An LPIPSLoss around lpips.LPIPS with a random VGG backbone (no weights needed: the identities below hold
    for any weights)."""
    import lpips

    from invgen_losses.perceptual import LPIPSLoss

    loss = LPIPSLoss.__new__(LPIPSLoss)
    torch.nn.Module.__init__(loss)
    loss.net, loss._target = "vgg", None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's note on pretrained=False
        model = lpips.LPIPS(net="vgg", pnet_rand=True, verbose=False)
    loss.model = model.eval().requires_grad_(False)
    return loss


def test_the_observations_features_are_computed_once_and_the_value_is_lpips():
    from invgen.plugin import plain_paths

    loss = _random_backbone_lpips()
    rng = torch.Generator().manual_seed(0)
    prediction = (torch.rand(2, 3, 40, 40, generator=rng) * 2 - 1).requires_grad_(True)
    observation = torch.rand(2, 3, 40, 40, generator=rng) * 2 - 1
    mask = (torch.rand(2, 1, 40, 40, generator=rng) > 0.3).float()
    calls = []
    loss.model.net.register_forward_hook(lambda *args: calls.append(1))

    def oracle():  # the lpips package's own forward on the masked pair (it calls net.forward: no hook sees it)
        return loss.model(prediction * mask, observation * mask).flatten(1)

    value = loss(prediction, observation, mask)
    grad, = torch.autograd.grad(value.sum(), prediction)
    assert len(calls) == 2
    expected = oracle()
    expected_grad, = torch.autograd.grad(expected.sum(), prediction)
    assert torch.allclose(value, expected[:, 0], rtol=1e-5) and torch.allclose(grad, expected_grad, atol=1e-7)
    calls.clear()
    assert torch.allclose(loss(prediction, observation, mask), expected[:, 0], rtol=1e-5) and len(calls) == 1
    observation.add_(0.25)  # changed in place: its features are computed again
    calls.clear()
    assert torch.allclose(loss(prediction, observation, mask), oracle()[:, 0], rtol=1e-5) and len(calls) == 2
    with plain_paths():  # the plain path: lpips's own forward on both images (net.forward, unhooked)
        assert torch.allclose(loss(prediction, observation, mask), oracle()[:, 0], rtol=1e-5)
