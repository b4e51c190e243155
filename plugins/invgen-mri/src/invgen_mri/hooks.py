"""invgen hooks of the MRI plugin (imported on every CLI start: no torch here)."""

from __future__ import annotations

from typing import Callable

from invgen.plugin import Param, hookimpl


@hookimpl
def register_forward_models(register: Callable[..., None]) -> None:
    register("kspace", "invgen_mri.kspace:KSpace", params=(
        Param("R", "float", 4.0, "acceleration: 1/R of the phase-encode lines are acquired", min=1.0, max=256.0),
        Param("center", "float", 0.08, "fraction of lines fully sampled around the centre", min=0.0, max=1.0),
        Param("pattern", "choice", "random", "the other lines: random (seeded) or equispaced",
              choices=("random", "equispaced")),
        Param("seed", "int", 0, "seed of the random pattern", min=0),
        Param("mask", "path", None, "a sampling mask file instead (.npy or image, [H, W] or [W], non-zero = "
                                    "acquired)"),
        Param("noise", "float", 0.0, "std of complex Gaussian noise on each of Re and Im (in the image's "
                                     "[-1, 1] units; orthonormal FFT), on every coil", min=0.0, max=10.0),
        Param("coils", "int", 1, "receive coils: y_c = M F (S_c x) for each", min=1, max=64),
        Param("maps", "choice", "birdcage", "coil sensitivity maps (coils > 1): birdcage (simulated) or file "
                                            "(maps_file)", choices=("birdcage", "file")),
        Param("maps_file", "path", None, "with maps=file: a .npy of complex [coils, H, W] maps"),
        Param("sampling", "choice", "lines", "lines (phase-encode columns), variable-density (2-D random) or "
                                             "poisson (2-D Poisson disc), seeded, centre fully sampled",
              choices=("lines", "variable-density", "poisson")),
        Param("image", "choice", "signed", "what the coils see: signed (the image in [-1, 1]) or magnitude "
                                           "((x + 1) / 2: black is no signal, as in acquired MRI)",
              choices=("signed", "magnitude")),
    ), summary="MRI: undersampled Cartesian k-space (orthonormal FFT), one or many coils; observations are "
               "(Re, Im) channels")


@hookimpl
def register_baselines(register: Callable[..., None]) -> None:
    register("zero-filled", "invgen_mri.baselines:zero_filled", "invgen_mri.baselines:applies",
             summary="inverse FFT of the acquired k-space, the rest set to 0 (coils combined by their maps)")
    register("sense", "invgen_mri.baselines:sense", "invgen_mri.baselines:applies_sense",
             summary="SENSE: least squares over the image through every coil (conjugate gradients, stopped at "
                     "the noise)")
    register("rss", "invgen_mri.baselines:rss", "invgen_mri.baselines:applies_rss",
             summary="root-sum-of-squares of the zero-filled coil images (magnitude images, no maps needed)")


@hookimpl
def register_tasks(register: Callable[..., None]) -> None:
    register("mri4", ["kspace:R=4,center=0.08"], summary="4x undersampled k-space, 8% of the lines at the centre")
    register("mri8", ["kspace:R=8,center=0.04"], summary="8x undersampled k-space, 4% of the lines at the centre")
    register("mri4-multicoil", ["kspace:coils=8,R=4,center=0.08,noise=0.02"],
             summary="8 birdcage coils, 4x undersampled lines (8% at the centre), noise 0.02 on every sample")
    register("mri8-multicoil", ["kspace:coils=8,R=8,center=0.04,noise=0.02"],
             summary="8 birdcage coils, 8x undersampled lines (4% at the centre), noise 0.02 on every sample")
