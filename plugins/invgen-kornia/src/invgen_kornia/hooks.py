"""invgen hooks of the kornia forward-model plugin (imported on every CLI start: no torch here)."""

from __future__ import annotations

from typing import Callable

from invgen.plugin import Param, hookimpl

BORDER = Param("border", "choice", "reflect", "image border: reflect (mirror), replicate, circular or zeros",
               choices=("reflect", "replicate", "circular", "zeros"))


@hookimpl
def register_forward_models(register: Callable[..., None]) -> None:
    register("downsample", "invgen_kornia.resample:Downsample", params=(
        Param("factor", "int", 4, "integer down-sampling factor; must divide the size", min=2, max=256),
        Param("mode", "choice", "area", "area (block mean), bicubic or bilinear", choices=("area", "bicubic", "bilinear")),
        Param("antialias", "bool", True, "low-pass before bicubic/bilinear interpolation"),
    ), summary="super-resolution: the observation is H/K x W/K")
    register("blur", "invgen_kornia.blur:GaussianBlur", params=(
        Param("sigma", "float", None, "standard deviation in pixels", min=0.0, min_exclusive=True, max=100.0,
              required=True),
        Param("size", "int", None, "odd kernel size (default 2*ceil(3*sigma)+1)", min=1, max=401),
        BORDER,
    ), summary="Gaussian blur (deblurring)")
    register("motion-blur", "invgen_kornia.blur:MotionBlur", params=(
        Param("length", "int", None, "odd length of the motion in pixels", min=3, max=201, required=True),
        Param("angle", "float", 0.0, "direction in degrees", min=-360.0, max=360.0),
        BORDER,
    ), summary="linear motion blur")
    register("box-blur", "invgen_kornia.blur:BoxBlur", params=(
        Param("size", "int", None, "odd window size", min=1, max=201, required=True), BORDER,
    ), summary="mean over a square window")
    register("defocus", "invgen_kornia.blur:Defocus", params=(
        Param("radius", "float", None, "disk radius in pixels", min=0.0, min_exclusive=True, max=100.0,
              required=True), BORDER,
    ), summary="out-of-focus (uniform disk) blur")
    register("kernel", "invgen_kornia.blur:FileKernel", params=(
        Param("path", "path", None, "a .npy array or a greyscale image; normalised to sum 1", required=True), BORDER,
    ), summary="blur with a user kernel from a file")
    register("mask", "invgen_kornia.masks:BoxMask", params=(
        Param("box", "floats", None, "[x0,y0,x1,y1] unknown rectangle, fractions (<= 1) or pixels", min=0.0,
              length=4),
        Param("path", "path", None, "PNG/NPY mask, white = known"),
        Param("resize", "bool", False, "resize a mask file of another size (nearest neighbour)"),
    ), summary="inpainting: a box or a mask file (give box or path)", roles=("mask-file",))
    register("center-mask", "invgen_kornia.masks:CenterMask", params=(
        Param("fraction", "float", 0.5, "fraction of the area that is unknown", min=0.0, min_exclusive=True, max=0.95),
    ), summary="inpainting: a centred square is unknown")
    register("random-mask", "invgen_kornia.masks:RandomMask", params=(
        Param("kind", "choice", "strokes", "boxes, strokes (free-form) or pixels", choices=("boxes", "strokes", "pixels")),
        Param("fraction", "float", 0.3, "fraction of the pixels that is unknown (at least)", min=0.0,
              min_exclusive=True, max=0.95),
        Param("seed", "int", 0, "seed of the mask", min=0),
    ), summary="inpainting: a seeded random mask")
    register("noise", "invgen_kornia.noise:GaussianNoise", params=(
        Param("std", "float", None, "standard deviation in [-1, 1] units", min=0.0, min_exclusive=True, max=2.0,
              required=True),
    ), summary="additive Gaussian noise (denoising; sets the likelihood's sigma)")
    register("poisson", "invgen_kornia.noise:PoissonNoise", params=(
        Param("peak", "float", None, "expected photon count of a white pixel", min=0.0, min_exclusive=True,
              max=1e9, required=True),
    ), summary="Poisson (shot) noise")
    register("rician", "invgen_kornia.noise:RicianNoise", params=(
        Param("std", "float", None, "std of the complex Gaussian noise in [-1, 1] units (on Re and Im of the "
                                    "magnitude)", min=0.0, min_exclusive=True, max=2.0, required=True),
    ), summary="Rician noise of MRI magnitude images (the likelihood: the rician loss)")
    register("grayscale", "invgen_kornia.color:Grayscale", summary="colour to luminance (colourisation)")


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register("sr4", ["downsample:factor=4"], summary="x4 super-resolution (area down-sampling)")
    register("sr8", ["downsample:factor=8"], summary="x8 super-resolution (area down-sampling)")
    register("inpaint-center", ["center-mask:fraction=0.25"], summary="a centred square (25%) is unknown")
    register("inpaint-large", ["random-mask:kind=strokes,fraction=0.3,seed={seed}"], variants=10,
             summary="free-form strokes (30%), ten masks over the set")
    register("deblur", ["blur:sigma=1.5", "noise:std=0.02"], summary="Gaussian blur (sigma 1.5 px) and noise")
