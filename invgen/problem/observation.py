"""The one path from an input to what a solver may trust: the forward chain built from its specs once and
checked against the generator, and the observation read or simulated and checked, with one set of messages.

:func:`build_chain` and :func:`observe` are used by every caller (the Python API, ``invgen run``, the page,
the evaluation harness, the domain check); :class:`~invgen.problem.build.Setup` then only puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor

from invgen.errors import InputError, SpecError, UserError
from invgen.io.images import load_image
from invgen.problem.chain import Chain, chain
from invgen.problem.components import ForwardSpec, build_forward
from invgen.problem.interfaces import ForwardModel, Generator


def build_chain(forward: ForwardSpec | Chain) -> Chain:
    """The forward chain of ``forward`` (a spec, a model or a list of them; each spec parsed once); a built
    :class:`Chain` passes through, so callers that hold one never build it again."""
    if isinstance(forward, Chain):
        return forward
    built = build_forward(list(forward) if isinstance(forward, tuple) else forward)
    return built if isinstance(built, Chain) else chain(built)


@dataclass(frozen=True)
class Observation:
    """An observation checked against a generator and chain (made only by :func:`observe`), on the CPU, with
    the clean images when they are known (``simulate``, or given as ``ground_truth``), and which of its
    pixels are the input's own (``known [B, 1, H', W']``: 0 on ``--fit pad``'s padding; None: all)."""

    values: Tensor
    ground_truth: Tensor | None = None
    known: Tensor | None = None


def observe(observed: Tensor | str | Path, generator: Generator, forward: Chain, simulate: bool = False,
            seed: int = 0, ground_truth: Tensor | None = None, what: str | None = None) -> Observation:
    """Read (a path) or take (a tensor) an observation and check it; with ``simulate`` the input is a clean
    image and the observation the chain's simulation of it (noise drawn with ``seed``, on the CPU), the clean
    image the ground truth. ``what`` names the input in messages (default: its path, or "the observation")."""
    channels = generator.channels if simulate else observation_channels(generator, forward)
    values = as_batch(observed, channels).cpu()
    name = what or (str(observed) if isinstance(observed, (str, Path)) else None)
    if simulate:
        check_clean(values, generator, f"{name}: the clean image for --simulate" if name else
                    "the clean image to simulate from")
        ground_truth, values = values, forward.cpu().simulate(values, seed)
    check_observation(values, generator, forward)
    if ground_truth is not None:
        if not isinstance(ground_truth, Tensor):
            raise InputError(f"ground_truth must be a tensor of clean images [B, C, H, W], not {type(ground_truth).__name__}")
        check_clean(ground_truth, generator, "ground_truth", len(values))
        ground_truth = ground_truth.cpu()
    return Observation(values, ground_truth)


def as_batch(observed: Tensor | str | Path, channels: int) -> Tensor:
    """An observation as ``[B, C, H, W]`` float: paths are read; tensors are taken as they are, once checked
    to be float (integer pixels are 0..255 data, not invgen's [-1, 1]) and finite."""
    if isinstance(observed, (str, Path)):
        return load_image(observed, channels)
    if not isinstance(observed, Tensor):
        raise InputError(f"an observation must be a tensor or a file path, not {type(observed).__name__}")
    if observed.dim() == 3:
        observed = observed.unsqueeze(0)
    if observed.dim() != 4:
        raise InputError(f"an observation must be [C, H, W] or [B, C, H, W], got shape {tuple(observed.shape)}")
    if observed.is_complex():
        raise InputError(f"an observation tensor of {observed.dtype} is complex; invgen takes real channels: pass "
                         "torch.view_as_real(y).movedim(-1, 2).flatten(1, 2) (real and imaginary parts as channel "
                         "pairs, as a complex .npy file is read)")
    if len(observed) == 0:
        raise InputError("the observation batch is empty (0 images); give at least one")
    if not observed.is_floating_point():
        raise InputError(f"an observation tensor of {observed.dtype} looks like 0..255 pixels; invgen takes float "
                         "images in [-1, 1]: pass x.float() / 127.5 - 1")
    if not bool(torch.isfinite(observed).all()):
        raise InputError("the observation tensor holds NaN or infinite values; give finite values")
    return observed


def observation_channels(generator: Generator, forward: ForwardModel) -> int:
    """How many channels an observation has: f(G(w))'s (e.g. 2 for k-space of a grey image), else the
    generator's when the chain cannot take its images (check_observation then says why)."""
    try:
        return int(forward.output_shape(generator.image_shape)[0])
    except ValueError:
        return generator.channels


def check_observation(observation: Tensor, generator: Generator, forward: ForwardModel) -> None:
    """A one-line error unless the observation has the shape that f(G(w)) has."""
    try:
        expected = tuple(forward.output_shape(generator.image_shape))
    except ValueError as error:
        raise SpecError(f"forward model {forward.spec!r} cannot take {_shape(generator.image_shape)} images: "
                        f"{error}") from None
    if tuple(observation.shape[1:]) != expected:
        raise InputError(
            f"the observation is {_shape(observation.shape[1:])} but {generator.spec!r} "
            f"({_shape(generator.image_shape)}) through {forward.spec!r} gives {_shape(expected)}; "
            "resize it, or pass a clean image with --simulate"
        )


CLEAN_PEAK = 1.01  # clean images are in [-1, 1]; a little room for rounding


def check_forward(forward: ForwardModel, generator: Generator) -> None:
    """Before any compute, apply each part of the chain to a blank image of the generator's shape: a part that
    cannot take it (a blur wider than the image, a factor that does not divide its size) or a chain that hides
    every pixel is a one-line error that names the part."""
    parts = list(forward.parts) if isinstance(forward, Chain) else [forward]
    x = torch.zeros(1, *generator.image_shape)
    for part in parts:
        try:
            with torch.no_grad():
                expected = tuple(part.output_shape(tuple(x.shape[1:])))
                x = part.cpu()(x)
        except UserError:
            raise
        except (RuntimeError, ValueError, IndexError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise SpecError(f"forward model {part.spec!r} cannot take {_shape(x.shape[1:])} images: {reason}; "
                            "change its parameters (see `invgen list forward`)") from None
        if tuple(x.shape[1:]) != expected:
            raise SpecError(f"forward model {part.spec!r} gives {_shape(x.shape[1:])} where its output_shape says "
                            f"{_shape(expected)}: a fault of its plugin")
    mask = forward.mask(tuple(generator.image_shape))
    if mask is not None and not bool(mask.any()):
        raise SpecError(f"forward model {forward.spec!r} hides every pixel, so nothing is observed; keep some pixels "
                        "known (white in a mask file)")


def check_clean(images: Tensor, generator: Generator, what: str, count: int | None = None) -> None:
    """Clean images must have the generator's image shape (and be ``count`` of them, when given), in [-1, 1]."""
    if not (images.is_floating_point() and bool(torch.isfinite(images).all())):
        raise InputError(f"{what} must hold finite float values in [-1, 1]")
    peak = float(images.abs().max()) if images.numel() else 0.0
    if peak > CLEAN_PEAK:
        hint = ": 0..255 data? pass x / 127.5 - 1" if peak > 2 else ""
        raise InputError(f"{what} reaches {peak:.4g}, outside the [-1, 1] of images{hint}")
    if tuple(images.shape[1:]) != tuple(generator.image_shape):
        raise InputError(f"{what} is {_shape(images.shape[1:])} but {generator.spec!r} makes "
                         f"{_shape(generator.image_shape)} images; resize it to that size (invgen run: --resize, "
                         "and --crop)")
    if count is not None and len(images) != count:
        raise InputError(f"{what} holds {len(images)} images for {count} observations; give one per observation")


def _shape(shape: Sequence[int]) -> str:
    return "x".join(str(int(s)) for s in shape)



