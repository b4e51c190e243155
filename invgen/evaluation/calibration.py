"""Calibrated uncertainty: how often the truth lies inside mean ± k std, and a scale that makes it so.

A variational posterior's std map is only as honest as q: mean-field q over the latent is too narrow
(docs/results.md). :func:`fit_scale` finds, on images whose ground truth is known (a training split), the
factor s such that ``|truth - mean| <= k * s * std`` holds for ``target`` of the pixels - the split-conformal
quantile of the ratios ``|truth - mean| / (k std)``. Stored as a :class:`Calibration` (a small JSON file
under ``$INVGEN_HOME/calibration`` keyed by generator, forward chain and objective), it is applied by
``invgen run --calibrate``: the std map is multiplied by s and labelled calibrated. The samples are left as
the generator made them. With several starts (MAP modes or a VI mixture) the calibration also holds the
temperature of the modes' probabilities (:mod:`invgen.solvers.mode_weights`), fitted on the same images: the
mixture's samples are then drawn by the calibrated weights. A MAP calibration holds only a temperature
(``scale`` None: MAP has no std map). Both hold for images like those they were fitted on, for that task and
objective; nothing more is claimed.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import Tensor

from invgen.io.atomic import write_atomic
from invgen.errors import InputError, UsageError
from invgen.io.kind_files import read_kind_file
from invgen.io.home import calibration_dir

TARGET = 0.95
WIDTH = 2.0  # k: coverage of mean ± 2 std; 95.4% for a Gaussian posterior


def calibration_error(probabilities: Tensor, correct: Tensor, bins: int = 10) -> float:
    """The expected calibration error of statements "this is right with probability p": the statements
    binned by p into ``bins`` equal-width bins, the mean over bins (weighted by their share of the statements) of
    |mean p - fraction right| (Naeini et al. 2015; Guo et al. 2017)."""
    p, right = probabilities.double().flatten(), correct.double().flatten()
    if not len(p) or len(p) != len(right):
        raise ValueError("calibration error needs one truth value per probability")
    which = (p * bins).long().clamp(0, bins - 1)
    total = 0.0
    for index in range(bins):
        inside = which == index
        if inside.any():
            total += inside.double().mean().item() * abs(p[inside].mean().item() - right[inside].mean().item())
    return total


def coverage(mean: Tensor, std: Tensor, truth: Tensor, k: float = WIDTH) -> Tensor:
    """Per pixel, whether ``truth`` lies inside ``mean ± k std`` (a bool tensor of the images' shape)."""
    return (truth - mean).abs() <= k * std


def coverage_scores(mean: Tensor, std: Tensor, truth: Tensor, mask: Tensor | None = None,
                    k: float = WIDTH) -> dict[str, list[float]]:
    """Per image, the share of pixels inside mean ± k std: ``coverage2`` over all pixels and, with a mask
    (1 = observed) of the images' size, ``coverage2_unknown`` over the hidden ones - what the std map is for."""
    inside = coverage(mean, std, truth, k).flatten(2).float()  # [B, C, H*W]
    scores = {"coverage2": inside.mean((1, 2)).tolist()}
    if mask is not None and mask.shape[-2:] == truth.shape[-2:]:
        hidden = mask.reshape(-1, *mask.shape[-2:])[0].flatten() <= 0.5
        if hidden.any():
            scores["coverage2_unknown"] = inside[..., hidden].mean((1, 2)).tolist()
    return scores


def ratios(mean: Tensor, std: Tensor, truth: Tensor, k: float = WIDTH, region: Tensor | None = None) -> Tensor:
    """``|truth - mean| / (k std)`` per pixel (flattened; of the pixels where ``region`` is true): a pixel is
    covered at scale s exactly when its ratio is <= s. Zero std: 0 when the mean is exact, else infinite."""
    error = (truth - mean).abs().double()
    spread = (k * std).double()
    ratio = torch.where(spread > 0, error / spread.clamp_min(1e-300),
                        torch.where(error > 0, torch.full_like(error, math.inf), torch.zeros_like(error)))
    return (ratio if region is None else ratio[region.expand_as(ratio)]).flatten()


def fit_scale(ratio: Tensor, target: float = TARGET) -> float:
    """The smallest s covering ``target`` of the pixels whose ``ratios`` are given (split conformal: the
    ceil((n + 1) target)-th smallest ratio, so that a new exchangeable pixel is covered with probability >=
    target)."""
    if not 0 < target < 1:
        raise ValueError(f"target coverage must be in (0, 1), not {target}")
    count = ratio.numel()
    if count == 0:
        raise ValueError("no pixels to calibrate on")
    rank = min(count, math.ceil((count + 1) * target))
    scale = ratio.double().sort().values[rank - 1].item()
    if not math.isfinite(scale):
        raise ValueError("more than the target share of pixels have zero std and a wrong mean: no scale covers them")
    return scale


@dataclass(frozen=True)
class Calibration:
    """A fitted std scale (None for MAP) and mode temperature (None for one start) and what they were fitted
    for and on; ``coverage_before``/``after`` are the k-std coverages of the fitting images (all pixels, or the
    unknown ones when the task has a mask), ``fit_db`` the quantiles (5%, 50%, 95%) of the fit of f(mean) to the
    observation there (what the generator achieves in-domain), and ``modes`` how the temperature did there
    (the mean negative log probability of the nearest mode at T = 1 and at the fitted T, the starts)."""

    generator: str
    forward: tuple[str, ...]
    objective: dict[str, Any]
    scale: float | None
    k: float = WIDTH
    target: float = TARGET
    images: int = 0
    region: str = "all"
    coverage_before: float = 0.0
    coverage_after: float = 0.0
    fit_db: tuple[float, ...] = ()
    data: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    temperature: float | None = None
    modes: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return calibration_key(self.generator, self.forward, self.objective)

    def to_json(self) -> str:
        return json.dumps({"kind": "invgen-calibration", **asdict(self)}, indent=2) + "\n"


def calibration_key(generator: str, forward: Sequence[str], objective: dict[str, Any]) -> str:
    """A short digest of what a calibration holds for: the generator spec, the forward chain and objective."""
    text = json.dumps([generator, list(forward), objective], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_calibration(calibration: Calibration, path: Path | None = None) -> Path:
    """Write ``calibration`` to ``path`` (default: its place under ``$INVGEN_HOME/calibration``)."""
    target = path or calibration_dir() / f"{calibration.key}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, calibration.to_json().encode())
    return target


def load_calibration(path: Path) -> Calibration:
    """A calibration file, checked; a one-line error names the file and what is wrong."""
    data = read_kind_file(path, "invgen-calibration", "calibration file", "invgen calibrate")
    try:
        calibration = Calibration(**{**data, "forward": tuple(data["forward"]), "fit_db": tuple(data["fit_db"])})
    except (TypeError, KeyError) as error:
        raise InputError(f"{path}: damaged calibration file ({error})") from None
    for name in ("scale", "temperature"):
        value = getattr(calibration, name)
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise InputError(f"{path}: damaged calibration file ({name} must be a finite number > 0)")
    if calibration.scale is None and calibration.temperature is None:
        raise InputError(f"{path}: damaged calibration file (it holds neither a scale nor a temperature)")
    return calibration


def find_calibration(generator: str, forward: Sequence[str], objective: dict[str, Any]) -> Calibration | None:
    """The stored calibration for this generator, forward chain and objective, if ``invgen calibrate`` made one."""
    path = calibration_dir() / f"{calibration_key(generator, forward, objective)}.json"
    return load_calibration(path) if path.exists() else None


def resolve_calibration(request: str | Path, generator: str, forward: Sequence[str],
                        objective: dict[str, Any]) -> Calibration:
    """``--calibrate`` (``request`` "auto": the stored calibration of this generator, forward chain and
    objective) or ``--calibration FILE``, which must have been fitted for the same three."""
    if request == "auto":  # a Path named auto is a file
        found = find_calibration(generator, forward, objective)
        if found is None:
            chain = " ".join(f"-f {spec}" for spec in forward)
            raise UsageError(f"no calibration for {generator} with {' | '.join(forward)} and this objective: "
                             f"fit one with `invgen calibrate -g {generator} {chain} --data TRAINING-IMAGES` "
                             "(same preset and --basis), or pass --calibration FILE")
        return found
    chosen = load_calibration(Path(request))
    for what, theirs, ours in (("generator", chosen.generator, generator), ("forward chain", list(chosen.forward),
                               list(forward)), ("objective", chosen.objective, objective)):
        if theirs != ours:
            raise UsageError(f"{request}: fitted for another {what} ({theirs}, this run: {ours}); a scale holds only "
                             "for what it was fitted on")
    return chosen
