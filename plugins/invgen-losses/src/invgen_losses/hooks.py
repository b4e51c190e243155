"""invgen hooks of the losses plugin (imported on every CLI start: no torch here)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

from invgen.plugin import Param, hookimpl

# The BRGM paper's weights converted to invgen's terms; the derivation is in docs/method.md.
PERCEPTUAL = "lpips:net=vgg,weight=1.2507"
PIXEL = "pixel:sigma=none,weight=16.256"
W_GAUSSIAN = "w-gaussian:scale=norm,reduce=mean,weight=100"
COLINEAR = "colinear:reduce=sum,weight=0.1"
BRGM_LOSSES = (PERCEPTUAL, PIXEL)
BRGM_PRIORS = (W_GAUSSIAN, COLINEAR)
# plain inversion: one w, the generator's noise inputs kept (StyleGAN2's "noise" parameter), perceptual only
PLAIN = {"losses": (PERCEPTUAL,), "tie_layers": True, "generator_params": {"noise": "const"}}


@hookimpl
def register_losses(register: Callable[..., None]) -> None:
    register("pixel", "invgen_losses.pixel:PixelLoss", params=(
        Param("sigma", "str", "auto", "noise std in [-1, 1] units: auto (from the forward chain), none "
              "(plain mean error) or a number"),
        Param("norm", "choice", "l2", "l2 (Gaussian) or l1 (Laplace)", choices=("l2", "l1")),
    ), summary="pixel likelihood on the known pixels: sum d^2 / (2 sigma^2)")
    register("rician", "invgen_losses.rician:RicianLoss", params=(
        Param("sigma", "str", "auto", "noise std in [-1, 1] units: auto (from the forward chain) or a number"),
    ), summary="Rician likelihood of MRI magnitude images on the known pixels")
    register("lpips", "invgen_losses.perceptual:LPIPSLoss", params=(
        Param("net", "choice", "vgg", "backbone: vgg (BRGM) or alex (LPIPS default)", choices=("vgg", "alex")),
        Param("download", "bool", True, "fall back to torchvision's download when no local weights are found"),
    ), summary="LPIPS v0.1 perceptual distance (offline backbone weights)")


@hookimpl
def register_priors(register: Callable[..., None]) -> None:
    register("w-gaussian", "invgen_losses.priors:WGaussian", params=(
        Param("scale", "choice", "scalar", "std: scalar, per-dim, or norm (sqrt of the total variance)",
              choices=("scalar", "per-dim", "norm")),
        Param("reduce", "choice", "sum", "sum or mean over layers and dimensions", choices=("sum", "mean")),
    ), summary="Gaussian prior on W+: sum ((w - mu) / sigma)^2 from the generator's latent statistics")
    register("colinear", "invgen_losses.priors:Colinear", params=(
        Param("reduce", "choice", "mean", "mean over layer pairs, or sum over ordered pairs (BRGM code)",
              choices=("mean", "sum")),
    ), summary="colinearity of the per-layer latents: 1 - cos(w_i, w_j) per batch element")
    register("z-gaussian", "invgen_losses.priors:ZGaussian", summary="standard normal prior 0.5 ||w||^2")
    register("sphere", "invgen_losses.priors:Sphere", summary="PULSE's sphere constraint as a penalty")


@hookimpl
def register_presets(register: Callable[..., None]) -> None:
    register("brgm", losses=BRGM_LOSSES, priors=BRGM_PRIORS, default_for=("map",),
             summary="the BRGM objective: LPIPS-VGG + pixel + Gaussian and colinearity priors on W+")
    register("brgm-pixel", losses=BRGM_LOSSES[1:], priors=BRGM_PRIORS,
             summary="BRGM without the perceptual term: works offline (no LPIPS weights needed)")
    register("bayes", losses=("pixel:sigma=0.003",), priors=("w-gaussian:scale=per-dim,weight=0.5",),
             default_for=("vi",),
             summary="a proper log posterior (Gaussian pixel likelihood, sigma 0.003: near noise-free data; "
                     "Gaussian prior): default for VI")
    register("pixel", losses=("pixel",), summary="pixel likelihood only (W+)")
    register("pulse", losses=("pixel:sigma=none",), priors=("sphere:weight=0.01",), tie_layers=True,
             summary="PULSE-like: pixel error with a sphere penalty, one w for all layers")


@hookimpl
def register_weights(register: Callable[..., None]) -> None:
    for backbone in ("vgg16", "alexnet"):
        register(f"lpips-{backbone}", filename=f"{backbone}_imagenet_features.safetensors",
                 licence="BSD-3-Clause (torchvision weights)",
                 summary=f"ImageNet {backbone} features.* weights for LPIPS (add a local copy)",
                 check=partial(_check_backbone_file, backbone))


def _check_backbone_file(backbone: str, path: Path) -> None:
    from invgen_losses.perceptual import check_backbone_file

    check_backbone_file(backbone, path)


@hookimpl
def register_methods(register: Callable[..., None]) -> None:
    register("brgm", "BRGM MAP (preset brgm)", preset="brgm")
    register("brgm-vi", "VI posterior mean (preset bayes), MAP warm start", preset="bayes", vi=True)
    register("pulse", "PULSE-like (preset pulse): one w, sphere penalty", preset="pulse", tie_layers=True)
    register("pixel", "pixel loss only, W+ (preset pixel)", preset="pixel")
    register("plain", "plain inversion: one w, noise on, perceptual only", **PLAIN)


@hookimpl
def register_ablations(register: Callable[..., None]) -> None:
    steps = [{"name": "1 plain inversion", **PLAIN}]
    steps.append({**steps[-1], "name": "2 noise removed", "generator_params": {"noise": "none"}})
    steps.append({**steps[-1], "name": "3 W+", "tie_layers": False})
    steps.append({**steps[-1], "name": "4 + pixel loss", "losses": (PERCEPTUAL, PIXEL)})
    steps.append({**steps[-1], "name": "5 + Gaussian prior", "priors": (W_GAUSSIAN,)})
    steps.append({**steps[-1], "name": "6 + colinearity (BRGM)", "priors": (W_GAUSSIAN, COLINEAR)})
    register("brgm", steps, summary="the BRGM paper's cumulative changes, from plain inversion to BRGM")


@hookimpl
def register_metrics(register: Callable[..., None]) -> None:
    register("lpips", "invgen_losses.perceptual:lpips_metric", "LPIPS", digits=3,
             summary="LPIPS (AlexNet, the LPIPS default); only with local backbone weights (never downloads)")
