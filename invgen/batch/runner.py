"""Reconstruct many inputs on one loaded generator: batches of inputs that share a forward chain, one
complete output folder per input, an index row per input, and a failure that stays with its input."""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from torch import Tensor

from invgen.animation import FrameRecorder, frame_interval, gif_bytes
from invgen.baselines import baseline_scores
from invgen.consistency import PEAK_TO_PEAK, fit_db
from invgen.batch.events import Events
from invgen.batch.geometry import Geometry, restored
from invgen.batch.inputs import InputItem
from invgen.batch.store import RunStore
from invgen.calibration import objective_identity
from invgen.components import build_forward
from invgen.atomic import write_files
from invgen.domain import domain_report, reference_fits, warning_text
from invgen.errors import OutputError, UserError
from invgen.forward import chain
from invgen.io import grey16_bytes, load_input, png_bytes
from invgen.problem import Setup, check_forward, check_observation, observation_channels
from invgen.reporting import debugging, one_line
from invgen.results import Posterior, RunResult, pick
from invgen.signals import stop_signals
from invgen.solvers.map import MAPSettings, Progress
from invgen.solvers.vi import VISettings
from invgen.solving import solve

CPU_PIXELS, CUDA_PIXELS = 1 << 16, 1 << 22  # pixels per batch that keep a step's memory modest
CPU_CAP, CUDA_CAP = 32, 64


def auto_batch(device: torch.device, resolution: int) -> int:
    """How many images to optimise together when ``--batch`` is not given: by device and image size."""
    pixels, cap = (CUDA_PIXELS, CUDA_CAP) if device.type == "cuda" else (CPU_PIXELS, CPU_CAP)
    return max(1, min(cap, pixels // (resolution * resolution)))


@dataclass(frozen=True)
class RunOptions:
    """How inputs become problems: the forward chain, whether inputs are clean images to corrupt
    (``simulate``, noise seeded by ``seed``), how many share a solve, their geometry, and the intensity
    window of DICOM and NIfTI inputs (a :class:`~invgen.medical.Window`; None: the file's own)."""

    forward: tuple[str, ...] = ("identity",)
    simulate: bool = False
    seed: int = 0
    batch: int | None = None
    geometry: Geometry = Geometry()
    restore_size: bool = False
    window: Any = None
    gif: bool = False
    consistency: str = "none"
    calibrate: str | Path | None = None  # VI: "auto" (the stored calibration) or a calibration file (a Path)
    calibration: Any = None  # what ``calibrate`` resolved to (:class:`~invgen.calibration.Calibration`), by prepare
    domain_check: bool = True  # compare each fit with the generator's on its own images (:mod:`invgen.domain`)


@dataclass
class Outcome:
    """Every row this process wrote, and whether a Ctrl-C stopped it."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    last: tuple[RunResult, dict[str, Any]] | None = None

    @property
    def failed(self) -> int:
        return sum(row["status"] == "error" for row in self.rows)


@dataclass
class _Loaded:
    item: InputItem
    observation: Tensor
    clean: Tensor | None
    geometry: dict[str, Any]
    seconds: float
    file_record: dict[str, Any] | None = None  # DICOM/NIfTI windowing, or a 16-bit picture


def run_inputs(items: Sequence[InputItem], setup: Setup, settings: MAPSettings | VISettings, store: RunStore,
               options: RunOptions, resume: bool = False, shard_label: str = "0-of-1",
               events: Events | None = None, strict: bool = False) -> Outcome:
    """Reconstruct ``items`` (this process's share) into ``store``; see the module docstring. ``strict``
    raises an input's error instead of recording it (one input, one error: a single-image run)."""
    events = events or Events()
    outcome = Outcome()
    todo = [item for item in items if not (resume and store.is_complete(item.name))]
    outcome.skipped = len(items) - len(todo)
    events.start(len(todo), outcome.skipped)
    size = options.batch or auto_batch(setup.device, setup.generator.resolution)
    started = time.perf_counter()
    for specs, group in _by_chain(todo, options.forward).items():
        for start in range(0, len(group), size):
            if _solve_batch(group[start:start + size], list(specs), setup, settings, store, options, shard_label,
                            events, outcome, strict):
                outcome.interrupted = True
                break
        if outcome.interrupted:
            break
    outcome.seconds = time.perf_counter() - started
    return outcome


def _by_chain(items: Sequence[InputItem], forward: tuple[str, ...]) -> dict[tuple[str, ...], list[InputItem]]:
    groups: dict[tuple[str, ...], list[InputItem]] = {}
    for item in items:
        groups.setdefault((*forward, *item.forward), []).append(item)
    return groups


def _solve_batch(items: list[InputItem], specs: list[str], setup: Setup, settings: MAPSettings | VISettings,
                 store: RunStore, options: RunOptions, shard_label: str, events: Events, outcome: Outcome,
                 strict: bool) -> bool:
    """Load, solve and write one batch; returns True when a Ctrl-C interrupted the solve."""
    def fail(item: InputItem, error: BaseException, seconds: float = 0.0) -> None:
        if strict or (debugging() and not isinstance(error, UserError)):
            raise error
        _finish(store, outcome, events, shard_label, {"input": str(item.path), "name": item.name, "status": "error",
                                                      "seconds": round(seconds, 3), "error": one_line(error),
                                                      "metrics": {}})

    loaded: list[_Loaded] = []
    try:
        model = chain(build_forward(specs)).cpu()
        check_forward(model, setup.generator)
    except Exception as error:  # noqa: BLE001 - a bad per-input forward spec fails those inputs only
        for item in items:
            fail(item, error)
        return False
    for item in items:
        began = time.perf_counter()
        try:
            loaded.append(_load(item, model, setup, options, began))
        except Exception as error:  # noqa: BLE001 - one bad input never stops the others
            fail(item, error, time.perf_counter() - began)
    if not loaded:
        return False
    events.batch(len(loaded), settings.steps)
    with stop_signals() as stops:  # the first Ctrl-C or SIGTERM stops the solve; any other waits for the write
        began = time.perf_counter()
        try:
            with stops.solve_phase():
                truth = None if not options.simulate else torch.cat([entry.clean for entry in loaded])
                problem = setup.problem(torch.cat([entry.observation for entry in loaded]), specs,
                                        ground_truth=truth)
                recorder = (FrameRecorder(setup.generator, frame_interval(settings.steps), events.frame)
                            if options.gif else None)
                result = solve(problem, settings, callback=_callback(events, recorder),
                               consistency=options.consistency)
            if options.calibration is not None and isinstance(result, Posterior):
                result.std = result.std * options.calibration.scale
        except Exception as error:  # noqa: BLE001 - a failed solve fails its batch, the run goes on
            for entry in loaded:
                fail(entry.item, error, entry.seconds + (time.perf_counter() - began) / len(loaded))
            return bool(stops)
        solve_seconds = (time.perf_counter() - began) / len(loaded)
        warnings: list[str] = []
        baselines = _optional(lambda: baseline_scores(problem), warnings, "baselines") if options.simulate else {}
        domain = _optional(lambda: _domain_reports(result, problem, setup, settings, specs), warnings,
                           "domain check") if options.domain_check and not result.interrupted else None
        for index, entry in enumerate(loaded):
            try:
                one = pick(result, index)
                record = run_record(one, entry, options, baselines or {}, index, warnings, len(loaded),
                                    solve_seconds, problem.forward.noise_std)
                if domain is not None:
                    record["domain"] = domain[index]
                    if domain[index]["out_of_domain"]:
                        record["warnings"] = [*record.get("warnings", []), warning_text(domain[index])]
                frames = None if recorder is None else recorder.frames_of(index)
                _write_or_keep(store, entry.item.name, render(one, record, options, frames))
            except Exception as error:  # noqa: BLE001 - a failed write fails this input only
                fail(entry.item, error, entry.seconds + solve_seconds)
                continue
            outcome.last = (one, record)
            status = "interrupted" if result.interrupted else "ok"
            _finish(store, outcome, events, shard_label, {
                "input": str(entry.item.path), "name": entry.item.name, "status": status,
                "seconds": round(entry.seconds + solve_seconds, 3), "error": None,
                "metrics": {k: v[0] for k, v in one.metrics.items()}})
    return result.interrupted or bool(stops)


def _domain_reports(result: RunResult, problem: Any, setup: Setup, settings: MAPSettings | VISettings,
                    specs: list[str]) -> list[dict[str, Any]] | None:
    """Per observation, its fit against the generator's on its own images (MAP fits: VI's warm start)."""
    if isinstance(settings, VISettings):
        if result.map_prediction is None:
            return None
        prediction = result.map_prediction
        settings = MAPSettings(steps=settings.map_steps, lr=settings.map_lr, seed=settings.seed,
                               precision=settings.precision)
    elif result.raw_image is not None:  # a consistency step fits by construction: judge the generator's output
        with torch.no_grad():
            prediction = problem.forward(result.raw_image.to(problem.device)).cpu()
    else:
        prediction = result.prediction
    terms = setup.terms
    objective = objective_identity(terms.losses, terms.priors, settings.tie_layers or terms.tie_layers)
    references = reference_fits(setup, specs, settings, objective)
    if references is None:
        return None
    return [domain_report(fit, references) for fit in fit_db(prediction, result.observation, result.mask)]


def _write_or_keep(store: RunStore, name: str, files: dict[str, bytes]) -> None:
    """Write one input's results; if that fails (disk full, folder gone read-only), keep them in a rescue folder
    under the temporary directory and say where, so a finished solve is never lost."""
    try:
        store.write(name, files)
    except OSError as error:
        rescue = Path(tempfile.gettempdir()) / f"invgen-rescued-{os.getpid()}" / name
        try:
            write_files(rescue, files)
            kept = f"they are kept in {rescue}"
        except OSError:
            kept = "keeping them elsewhere failed too"
        raise OutputError(f"{store.folder(name)}: could not write the results ({error.strerror or error}); "
                          f"{kept}") from None


def _callback(events: Events, recorder: FrameRecorder | None) -> Callable[[Progress], None]:
    if recorder is None:
        return events.step

    def step(progress: Progress) -> None:
        recorder.see(progress)
        events.step(progress)
    return step


def _load(item: InputItem, model: Any, setup: Setup, options: RunOptions, began: float) -> _Loaded:
    generator = setup.generator
    channels = generator.channels if options.simulate else observation_channels(generator, model)
    image, file_record = load_input(item.path, channels, options.window)
    wanted = generator.image_shape if options.simulate else tuple(model.output_shape(generator.image_shape))
    image, geometry = options.geometry.fit(image, tuple(wanted[1:]), str(item.path))
    clean = None
    if options.simulate:
        if tuple(image.shape[1:]) != tuple(generator.image_shape):
            raise UserError(f"{item.path}: is {'x'.join(map(str, image.shape[1:]))} but --simulate needs a clean "
                            f"{'x'.join(map(str, generator.image_shape))} image for {generator.spec!r}; "
                            "pass --resize (and --crop) or resize it")
        clean, image = image, model.simulate(image, options.seed)
    check_observation(image, generator, model)
    return _Loaded(item, image, clean, geometry, time.perf_counter() - began, file_record)


def _optional(compute: Any, warnings: list[str], what: str) -> Any:
    """An extra after the solve (baselines, figures): a failure becomes a warning, never a lost result."""
    try:
        return compute()
    except Exception as error:  # noqa: BLE001
        warnings.append(f"{what} skipped: {one_line(error)}")
        return None


def _finish(store: RunStore, outcome: Outcome, events: Events, shard_label: str, row: dict[str, Any]) -> None:
    row["shard"] = shard_label
    outcome.rows.append(row)
    if not store.flat:
        store.add_row(row, shard_label)
    events.done(row)


def run_record(result: RunResult, entry: _Loaded, options: RunOptions, baselines: dict[str, Any], index: int,
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
        "metrics": result.metrics,
        "timings_s": {"load": round(entry.seconds, 3), "solve": round(solve_s, 3),
                      "total": round(entry.seconds + solve_s, 3)},
        "history": result.history,
    }
    if batch > 1:
        record["batch"] = {"size": batch, "solve_s": round(result.seconds, 3), "history": "batch means"}
    if entry.geometry["crop"] is not None or entry.geometry["resized_from"] is not None:
        record["input_geometry"] = entry.geometry
    if entry.file_record is not None:
        record["medical" if entry.file_record.get("bits") is None else "input_file"] = entry.file_record
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
    return {"modes": [{"file": f"mode_{rank:03d}.png", "objective": round(float(objective), 6),
                       "fit_db": round(fit, 3) if math.isfinite(fit) else None}
                      for rank, (objective, fit) in enumerate(zip(result.mode_objectives[0].tolist(), fits))]}


def _calibration(options: RunOptions) -> dict[str, Any]:
    """With --calibrate: the scale applied to the std map and what it was fitted on."""
    chosen = options.calibration
    if chosen is None:
        return {}
    return {"calibration": {"scale": chosen.scale, "k": chosen.k, "target": chosen.target, "images": chosen.images,
                            "data": chosen.data, "coverage_before": chosen.coverage_before,
                            "coverage_after": chosen.coverage_after, "region": chosen.region}}


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


def render(result: RunResult, record: dict[str, Any], options: RunOptions,
           frames: list[Tensor] | None = None) -> dict[str, bytes]:
    """Every file of one input's output; ``run.json`` lists them (so a later run may replace them whole).
    ``frames``: G(w) during the solve, for ``optimisation.gif``."""
    from invgen.posterior_rendering import posterior_summary, render_posterior
    from invgen.medical import write_medical
    from invgen.rendering import footer_text, json_bytes, render_map

    warnings = record.setdefault("warnings", [])
    if isinstance(result, Posterior):
        record["posterior"] = _optional(lambda: posterior_summary(result), warnings, "posterior summary") or {}
        files = render_posterior(result, record)
    else:
        files = render_map(result, record)
    final = result.image
    if options.restore_size:
        fitted = result.ground_truth if options.simulate else result.observation  # what the input was fitted to
        problem_size = tuple(fitted.shape[-2:])
        geometry = record.get("input_geometry") or {"resized_from": None, "size": list(problem_size)}
        final = restored(result.image, geometry, problem_size)
        files["reconstruction_restored.png"] = png_bytes(final[0])
    if record.get("input_file", {}).get("bits") == 16:  # 16-bit in, 16-bit out
        kind = record["input_file"]["format"]
        files[f"reconstruction16.{'png' if kind == 'png' else 'tif'}"] = grey16_bytes(final[0], kind)
    if "medical" in record:
        medical = _optional(lambda: write_medical(final[:, :1], record["medical"], footer_text(record)), warnings,
                            "DICOM/NIfTI output")
        if medical is not None:
            name, data, notes = medical
            files[name] = data
            warnings.extend(notes)
    if frames is not None:
        animation = _optional(lambda: gif_bytes(frames, result.image[0]), warnings, "optimisation.gif")
        if animation is not None:
            files["optimisation.gif"] = animation
    if not warnings:
        record.pop("warnings")
    record["files"] = sorted(files)
    files["run.json"] = json_bytes(record)
    return files


def images_per_second(outcome: Outcome) -> float:
    done = sum(row["status"] == "ok" for row in outcome.rows)
    return done / outcome.seconds if outcome.seconds > 0 else math.nan
