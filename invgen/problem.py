"""A reconstruction problem, built and checked once: generator, forward chain, terms and observation.

:func:`build_problem` is the only place that turns specs, files and tensors into a
:class:`Problem`; :func:`invgen.solving.solve` is the only place that solves one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import Tensor

from invgen.components import ForwardSpec, build_forward, build_generator, build_loss, build_prior, check_specs
from invgen.errors import InputError, SpecError, UsageError, UserError
from invgen.forward import Chain, chain
from invgen.interfaces import ForwardModel, Generator, Loss, Prior
from invgen.io import load_image
from invgen.objective import Objective
from invgen.plugins import manager, registry
from invgen.spec import parse_spec


@dataclass(frozen=True)
class Terms:
    """The objective's terms: loss and prior specs (or objects), W or W+, and the preset they came from."""

    losses: tuple[str | Loss, ...] = ()
    priors: tuple[str | Prior, ...] = ()
    tie_layers: bool = False
    preset: str | None = None


def select_terms(
    preset: str | None, losses: Sequence[str | Loss] | None = None, priors: Sequence[str | Prior] | None = None,
    method: str = "map",
) -> Terms:
    """Merge a preset with explicit terms: an explicit term replaces the preset's term of the same name.

    Without a preset or terms, the preset a plugin declares the default for ``method`` (map or vi) is used.
    """
    losses, priors = list(losses or []), list(priors or [])
    if preset is None and not losses and not priors:
        preset = registry().default_preset(method)
        if preset is None:
            raise SpecError(f"no loss or prior given and no installed plugin provides a default {method} preset: "
                            "pass --loss/--prior or --preset")
    if preset is None:
        return Terms(tuple(losses), tuple(priors))
    chosen = registry().preset(preset)
    return Terms(tuple(_override(list(chosen.losses), losses)), tuple(_override(list(chosen.priors), priors)),
                 chosen.tie_layers, preset)


def _override(defaults: list[Any], explicit: list[Any]) -> list[Any]:
    names = {_term_name(term) for term in explicit}
    return [term for term in defaults if _term_name(term) not in names] + explicit


def _term_name(term: Any) -> str:
    return parse_spec(term).name if isinstance(term, str) else term.name


def resolve_device(device: str | torch.device, tf32: bool = False) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is a one-line error.

    TF32 (CUDA's reduced-precision float32 matrix units) is switched off unless ``tf32``: the
    exactness of fp32 results is assumed throughout (PyTorch leaves it on for convolutions).
    """
    if str(device) == "auto":
        chosen = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            chosen = torch.device(device)
        except RuntimeError:
            raise UsageError(f"unknown device {str(device)!r}: use auto, cpu, cuda or cuda:N") from None
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise UsageError("device 'cuda' requested but no CUDA GPU is available: use --device cpu or auto")
        if chosen.type not in ("cpu", "cuda"):
            raise UsageError(f"device {str(device)!r} is not supported: use auto, cpu, cuda or cuda:N")
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    return chosen


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
    if not (observed.is_floating_point() or observed.is_complex()):
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


def _check_clean(images: Tensor, generator: Generator, what: str, count: int | None = None) -> None:
    """Clean images must have the generator's image shape (and be ``count`` of them, when given), in [-1, 1]."""
    if not (images.is_floating_point() and bool(torch.isfinite(images).all())):
        raise InputError(f"{what} must hold finite float values in [-1, 1]")
    peak = float(images.abs().max()) if images.numel() else 0.0
    if peak > CLEAN_PEAK:
        hint = ": 0..255 data? pass x / 127.5 - 1" if peak > 2 else ""
        raise InputError(f"{what} reaches {peak:.4g}, outside the [-1, 1] of images{hint}")
    if tuple(images.shape[1:]) != tuple(generator.image_shape):
        raise InputError(f"{what} is {_shape(images.shape[1:])} but {generator.spec!r} makes "
                         f"{_shape(generator.image_shape)} images; resize it to that size")
    if count is not None and len(images) != count:
        raise InputError(f"{what} holds {len(images)} images for {count} observations; give one per observation")


def _shape(shape: Sequence[int]) -> str:
    return "x".join(str(int(s)) for s in shape)


@dataclass
class Problem:
    """Everything a solver needs: built components and the observation on one device, the terms used,
    and the clean images when they are known (simulated observations, evaluations)."""

    generator: Generator
    forward: Chain
    losses: list[Loss]
    priors: list[Prior]
    observation: Tensor
    terms: Terms
    device: torch.device
    ground_truth: Tensor | None = None

    def objective(self) -> Objective:
        return Objective(self.generator, self.forward, self.losses, self.priors, self.observation)

    def config(self, solver: dict[str, Any]) -> dict[str, Any]:
        """Everything needed to repeat a run: specs, solver settings, device and versions."""
        return {
            "generator": self.generator.spec,
            "forward": [part.spec for part in self.forward.parts],
            "losses": [term.spec for term in self.losses],
            "priors": [term.spec for term in self.priors],
            "preset": self.terms.preset,
            "solver": solver,
            "device": str(self.device),
            "versions": {"torch": torch.__version__, **manager().versions},
        }


@dataclass
class Setup:
    """A generator and the objective's terms, checked, built and put on one device once: the part of a
    problem that many observations share (a folder of inputs, an evaluation's batches)."""

    generator: Generator
    losses: list[Loss]
    priors: list[Prior]
    terms: Terms
    device: torch.device

    def problem(self, observed: Tensor | str | Path, forward: ForwardSpec = "identity",
                ground_truth: Tensor | None = None, simulate: bool = False, seed: int = 0) -> Problem:
        """The problem of one observation (or a batch): read or simulate it, check every shape, move it to
        the device. With ``simulate`` the input is a clean image: the observation is the forward chain's
        simulation of it (noise drawn with ``seed``, on the CPU) and the clean image the ground truth."""
        check_specs("forward", forward if isinstance(forward, (list, tuple)) else [forward])
        fwd = chain(build_forward(forward))
        check_forward(fwd, self.generator)
        observation = as_batch(observed, self.generator.channels if simulate else
                               observation_channels(self.generator, fwd)).cpu()
        if simulate:
            what = f"{observed}: the clean image for --simulate" if isinstance(observed, (str, Path)) else \
                "the clean image to simulate from"
            _check_clean(observation, self.generator, what)
            ground_truth, observation = observation, fwd.cpu().simulate(observation, seed)
        check_observation(observation, self.generator, fwd)
        if ground_truth is not None:
            _check_clean(ground_truth, self.generator, "ground_truth", len(observation))
        return Problem(self.generator, fwd.to(self.device), self.losses, self.priors, observation.to(self.device),
                       self.terms, self.device, None if ground_truth is None else ground_truth.cpu())


def preset_for(forward: ForwardSpec, preset: str | None, losses: Sequence[object] | None,
               priors: Sequence[object] | None, method: str = "map",
               generator: str | Generator | None = None) -> str | None:
    """``preset`` as given, or, when no preset and no terms are given, the one the forward chain asks for
    (:meth:`~invgen.interfaces.ForwardModel.default_preset`), else the one the generator's registration
    declares (``presets=``); None: the registered default for ``method``."""
    if preset is not None or losses or priors:
        return preset
    check_specs("forward", forward if isinstance(forward, (list, tuple)) else [forward])
    asked = chain(build_forward(forward)).default_preset(method)
    if asked is not None or generator is None:
        return asked
    name = generator if isinstance(generator, str) else getattr(getattr(generator, "spec_record", None), "name", None)
    return None if name is None else registry().generator_preset(name, method)


def check_terms(generator: str | Generator, losses: Sequence[str | Loss] | None = None,
                priors: Sequence[str | Prior] | None = None, preset: str | None = None, method: str = "map") -> Terms:
    """The objective's terms, with the generator's, losses' and priors' specs fully checked (nothing built)."""
    terms = select_terms(preset, losses, priors, method)
    check_specs("generator", [generator])
    check_specs("loss", terms.losses)
    check_specs("prior", terms.priors)
    return terms


def build_setup(
    generator: str | Generator,
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    device: str | torch.device = "cpu",
    method: str = "map",
) -> Setup:
    """Check every spec first (nothing heavy is built for a typo), then build the generator and the terms
    on ``device``. ``method`` (map or vi) chooses the default preset when no terms are given."""
    terms = check_terms(generator, losses, priors, preset, method)
    target = resolve_device(device)
    return Setup(build_generator(generator).to(target), [build_loss(t).to(target) for t in terms.losses],
                 [build_prior(t).to(target) for t in terms.priors], terms, target)


def build_problem(
    observed: Tensor | str | Path,
    generator: str | Generator,
    forward: ForwardSpec = "identity",
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    device: str | torch.device = "cpu",
    method: str = "map",
    ground_truth: Tensor | None = None,
    simulate: bool = False,
    seed: int = 0,
) -> Problem:
    """Check every spec, build every component, read or simulate the observation, check all shapes, and
    put it all on ``device`` (:func:`build_setup`, then :meth:`Setup.problem`)."""
    check_specs("forward", forward if isinstance(forward, (list, tuple)) else [forward])
    preset = preset_for(forward, preset, losses, priors, method, generator)
    setup = build_setup(generator, losses, priors, preset, device, method)
    return setup.problem(observed, forward, ground_truth, simulate, seed)
