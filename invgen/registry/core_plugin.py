"""Components that ship with the core itself, registered like any plugin (listed as ``invgen.builtins``)."""

from __future__ import annotations

from typing import Callable

from invgen.registry.hookspecs import hookimpl
from invgen.registry.params import Param


@hookimpl
def register_generators(register: Callable[..., None]) -> None:
    register(
        "toy",
        "invgen.testing.toy:ToyGenerator",
        params=(
            Param("size", "int", 16, "image size in pixels (a power of two)", min=4, max=256),
            Param("channels", "int", 1, "image channels", min=1, max=4),
            Param("layers", "int", 4, "number of latent layers L", min=1, max=32),
            Param("dim", "int", 8, "latent dimension D", min=1, max=512),
            Param("seed", "int", 0, "seed of the fixed random weights", min=0),
            Param("linear", "bool", False, "a linear decoder (image = A w): Gaussian posteriors in closed form"),
        ),
        summary="a small fixed random decoder with a known latent, for tests and demos",
    )


@hookimpl
def register_forward_models(register: Callable[..., None]) -> None:
    register("identity", "invgen.problem.chain:Identity", summary="no corruption: the observation is the image")


@hookimpl
def register_baselines(register: Callable[..., None]) -> None:
    register("bicubic", "invgen.evaluation.classical:bicubic", "invgen.evaluation.classical:is_super_resolution",
             summary="bicubic up-sampling of a low-resolution observation")
    register("biharmonic", "invgen.evaluation.classical:biharmonic", "invgen.evaluation.classical:is_inpainting",
             summary="scikit-image's biharmonic inpainting of the unknown pixels")
    register("richardson-lucy", "invgen.evaluation.classical:richardson_lucy", "invgen.evaluation.classical:is_deblurring",
             summary="Richardson-Lucy deconvolution (30 iterations) with the chain's kernel")
    register("wiener", "invgen.evaluation.classical:wiener", "invgen.evaluation.classical:is_deblurring",
             summary="Wiener deconvolution (balance 0.1) with the chain's kernel")
