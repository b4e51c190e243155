"""``run.json``: what one input's run was (its input, the problem's config, how the solve went, its fit to the
observation, modes, mixture weights, calibration, metrics, baselines and timings)."""

from __future__ import annotations

import math
from typing import Any

from invgen.problem.metrics import PEAK_TO_PEAK, fit_db
from invgen.problem.results import RunResult
from invgen.run.loading import LoadedInput
from invgen.run.options import RunOptions


def run_record(result: RunResult, entry: LoadedInput, options: RunOptions, baselines: dict[str, Any], index: int,
               warnings: list[str], batch: int, solve_s: float, noise_std: float | None = None) -> dict[str, Any]:
    """``run.json``: the input, the problem's config, how the solve went, metrics, baselines, timings (this
    input's share of its batch's solve; ``batch`` gives the batch's size and whole solve time)."""
    record: dict[str, Any] = {
        "input": str(entry.item.path),
        "simulate": options.simulate,
        "seed": options.seed,
        **result.config,
        "interrupted": result.interrupted,
        "final_terms": {name: values[-1] for name, values in result.history.items() if values},
        "fit": observation_fit(result, noise_std),
        **_modes(result),
        **_mixture(result),
        **_calibration(options),
        **_chains(result),
        "metrics": result.metrics,
        "timings_s": {"load": round(entry.seconds, 3), "solve": round(solve_s, 3),
                      "total": round(entry.seconds + solve_s, 3)},
        "history": result.history,
    }
    if batch > 1:
        record["batch"] = {"size": batch, "solve_s": round(result.seconds, 3), "history": "batch means"}
    if entry.geometry["crop"] is not None or entry.geometry["resized_from"] is not None or entry.geometry.get("pad"):
        record["input_geometry"] = entry.geometry
    if entry.alignment is not None:
        record["alignment"] = entry.alignment
    if entry.item.volume is not None:
        part = entry.item.volume
        record["volume"] = {"name": part.volume, "index": part.index, "count": part.count}
    if entry.file_record is not None:
        medical = entry.file_record.get("format") in ("dicom", "nifti")  # written back in the input's format
        record["medical" if medical else "input_file"] = entry.file_record
    if baselines:
        record["baselines"] = {name: {key: values[index] for key, values in scores.items()}
                               for name, scores in baselines.items()}
    if warnings:
        record["warnings"] = list(warnings)
    return record


def _modes(result: RunResult) -> dict[str, Any]:
    """With several starts: each ranked mode's objective and fit to the observation (``mode_000.png``...)."""
    modes = getattr(result, "modes", None)
    if modes is None:
        return {}
    fits = fit_db(result.mode_predictions[0], result.observation.expand(modes.shape[1], *result.observation.shape[1:]),
                  result.mask)
    probabilities = result.mode_probabilities[0].tolist()
    return {"modes": [{"file": f"mode_{rank:03d}.png", "objective": round(float(objective), 6),
                       "probability": round(probability, 6), "fit_db": round(fit, 3) if math.isfinite(fit) else None}
                      for rank, (objective, probability, fit) in enumerate(zip(result.mode_objectives[0].tolist(),
                                                                               probabilities, fits))]}


def _chains(result: RunResult) -> dict[str, Any]:
    """With --method mcmc: the chains' diagnostics (split R-hat and effective sample size of the log density and
    the worst latent coordinate, acceptance after burn-in)."""
    diagnostics = getattr(result, "chain_diagnostics", None)
    if not diagnostics:
        return {}
    return {"chains": {name: (round(value, 4) if math.isfinite(value) else None)
                       for name, value in ((name, float(values[0])) for name, values in diagnostics.items())}}


def _calibration(options: RunOptions) -> dict[str, Any]:
    """With --calibrate: the scale applied to the std map, the modes' temperature and what they were fitted on."""
    chosen = options.calibration
    if chosen is None:
        return {}
    return {"calibration": {"scale": chosen.scale, "k": chosen.k, "target": chosen.target, "images": chosen.images,
                            "data": chosen.data, "coverage_before": chosen.coverage_before,
                            "coverage_after": chosen.coverage_after, "region": chosen.region,
                            "temperature": chosen.temperature}}


def _mixture(result: RunResult) -> dict[str, Any]:
    """With a VI mixture over starts: each component's weight and ELBO, and the component of each sample."""
    weights = getattr(result, "weights", None)
    if weights is None:
        return {}
    return {"mixture": {"weights": [round(w, 6) for w in weights[0].tolist()],
                        "elbo": [round(e, 3) for e in result.component_elbo[0].tolist()],
                        "sample_components": result.component_of[0].tolist()}}


def observation_fit(result: RunResult, noise_std: float | None = None) -> dict[str, Any]:
    """How well f(reconstruction) explains the observation (PSNR in dB over the known values); with a known
    noise level, the fit the noise alone allows and whether the reconstruction is within it (1 dB of it or
    better: a reconstruction that explains the data up to the noise)."""
    value = fit_db(result.prediction, result.observation, result.mask)[0]
    fit: dict[str, Any] = {"observation_db": round(value, 3) if math.isfinite(value) else None}  # None: exact
    if noise_std:
        fit["noise_db"] = round(10 * math.log10(PEAK_TO_PEAK**2 / noise_std**2), 3)
        fit["within_noise"] = value >= fit["noise_db"] - 1.0
    return fit
