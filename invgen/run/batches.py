"""Reconstruct many inputs on one loaded generator: batches of inputs that share a forward chain (built and
checked once per distinct chain), one complete output folder per input, an index row per input, and a failure
that stays with its input."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from invgen.errors import UserError
from invgen.evaluation.baselines import baseline_scores
from invgen.problem.build import Setup
from invgen.problem.chain import Chain
from invgen.problem.components import build_metrics
from invgen.problem.metrics import all_metrics, fit_db
from invgen.problem.observation import Observation, build_chain, check_forward
from invgen.problem.results import Posterior, RunResult, pick
from invgen.problem.terms import objective_identity
from invgen.render.animation import FrameRecorder, frame_interval
from invgen.run.domain import domain_report, reference_fits, warning_text
from invgen.run.events import Events
from invgen.run.files import optional, output_files, write_or_rescue
from invgen.run.geometry import unpadded
from invgen.run.identity import RunIdentity
from invgen.run.inputs import InputItem
from invgen.run.loading import LoadedInput, load_item
from invgen.run.options import RunOptions, auto_batch
from invgen.run.record import run_record
from invgen.run.store import RunStore
from invgen.runtime.reporting import debugging, one_line
from invgen.runtime.signals import Stops, stop_signals
from invgen.solvers.map import MAPSettings, Progress
from invgen.solvers.mcmc import MCMCSettings
from invgen.solvers.solving import solve
from invgen.solvers.vi import VISettings


@dataclass
class RunOutcome:
    """Every row this process wrote, and whether a Ctrl-C stopped it."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    last: tuple[RunResult, dict[str, Any]] | None = None

    @property
    def failed(self) -> int:
        return sum(row["status"] == "error" for row in self.rows)


def run_inputs(items: Sequence[InputItem], setup: Setup, forward: Chain, settings: MAPSettings | VISettings,
               store: RunStore, options: RunOptions, resume: bool = False, shard_label: str = "0-of-1",
               events: Events | None = None, strict: bool = False,
               identity: RunIdentity | None = None) -> RunOutcome:
    """Reconstruct ``items`` (this process's share) into ``store``; see the module docstring. ``forward`` is
    the run's chain (``options.forward``, built once by the caller); inputs of a manifest with chains of their
    own get theirs, built once per distinct chain. ``resume`` skips the complete results this run would make
    again (same :class:`~invgen.run.identity.RunIdentity`). ``strict`` raises an input's error instead of
    recording it (one input, one error: a single-image run)."""
    events = events or Events()
    outcome = RunOutcome()
    identity = identity or RunIdentity(setup, settings, options)
    todo = [item for item in items if not (resume and store.is_complete(item.name)
                                           and identity.change(store.record(item.name), item) is None)]
    outcome.skipped = len(items) - len(todo)
    events.start(len(todo), outcome.skipped)
    size = options.batch or auto_batch(setup.device, setup.generator.resolution)
    started = time.perf_counter()
    for specs, group in _by_chain(todo, options.forward).items():
        try:
            model = forward if specs == tuple(options.forward) else build_chain(list(specs))
            check_forward(model, setup.generator)
        except Exception as error:  # noqa: BLE001 - a bad per-input forward spec fails those inputs only
            for item in group:
                _fail(item, error, store, outcome, events, shard_label, strict)
            continue
        for start in range(0, len(group), size):
            if _solve_batch(group[start:start + size], list(specs), model, setup, settings, store, options,
                            shard_label, events, outcome, strict, identity):
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


def _fail(item: InputItem, error: BaseException, store: RunStore, outcome: RunOutcome, events: Events,
          shard_label: str, strict: bool, seconds: float = 0.0) -> None:
    """Record an input's failure as its index row (raise it instead in a single-image run, or with --debug)."""
    if strict or (debugging() and not isinstance(error, UserError)):
        raise error
    _finish(store, outcome, events, shard_label, {"input": str(item.path), "name": item.name, "status": "error",
                                                  "seconds": round(seconds, 3), "error": one_line(error),
                                                  "metrics": {}})


def _solve_batch(items: list[InputItem], specs: list[str], model: Chain, setup: Setup,
                 settings: MAPSettings | VISettings, store: RunStore, options: RunOptions, shard_label: str,
                 events: Events, outcome: RunOutcome, strict: bool, identity: RunIdentity) -> bool:
    """Load, solve and write one batch through its checked chain; returns True when a Ctrl-C interrupted the solve."""
    def fail(item: InputItem, error: BaseException, seconds: float = 0.0) -> None:
        _fail(item, error, store, outcome, events, shard_label, strict, seconds)

    loaded: list[LoadedInput] = []
    for item in items:
        began = time.perf_counter()
        try:
            loaded.append(load_item(item, model, setup.generator, options, began))
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
                observed = Observation(torch.cat([entry.observation for entry in loaded]), truth, _known(loaded))
                problem = setup.problem(observed, model)
                recorder = (FrameRecorder(setup.generator, frame_interval(settings.steps), events.frame)
                            if options.gif else None)
                starts = (None if options.init_latents is None else
                          torch.cat([options.init_latents.of(entry.item) for entry in loaded]))
                temperature = getattr(options.calibration, "temperature", None) or 1.0
                result = solve(problem, settings, init=starts, callback=_callback(events, recorder),
                               consistency=options.consistency, temperature=temperature)
            if options.calibration is not None and options.calibration.scale is not None and isinstance(result, Posterior):
                result.std = result.std * options.calibration.scale
        except Exception as error:  # noqa: BLE001 - a failed solve fails its batch, the run goes on
            for entry in loaded:
                fail(entry.item, error, entry.seconds + (time.perf_counter() - began) / len(loaded))
            return bool(stops)
        solve_seconds = (time.perf_counter() - began) / len(loaded)
        warnings: list[str] = []
        scored = options.simulate and not options.geometry.fit  # baselines would be scored on the padding too
        baselines = optional(lambda: baseline_scores(problem), warnings, "baselines") if scored else {}
        domain = (_stoppable(lambda: _domain_reports(result, problem, setup, settings, specs, model), stops,
                             warnings, "domain check") if options.domain_check and not result.interrupted else None)
        for index, entry in enumerate(loaded):
            try:
                one = pick(result, index)
                if entry.geometry.get("pad") and one.ground_truth is not None:  # scored on the input's own pixels
                    one.metrics = all_metrics(unpadded(one.image, entry.geometry),
                                              unpadded(one.ground_truth, entry.geometry), build_metrics())
                record = run_record(one, entry, options, baselines or {}, index, warnings, len(loaded),
                                    solve_seconds, problem.forward.noise_std)
                record["identity"] = identity.of(entry.item)
                if domain is not None:
                    record["domain"] = domain[index]
                    if domain[index]["out_of_domain"]:
                        record["warnings"] = [*record.get("warnings", []), warning_text(domain[index])]
                frames = None if recorder is None else recorder.frames_of(index)
                write_or_rescue(store, entry.item.name, output_files(one, record, options, frames, entry.photo))
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


def _known(loaded: list[LoadedInput]) -> torch.Tensor | None:
    """The batch's own pixels (``--fit pad``): each input's mask, all ones for inputs without padding."""
    if all(entry.known is None for entry in loaded):
        return None
    return torch.cat([torch.ones_like(entry.observation[:, :1]) if entry.known is None else entry.known
                      for entry in loaded])


def _stoppable(compute: Callable[[], Any], stops: Stops, warnings: list[str], what: str) -> Any:
    """An extra after the solve that a Ctrl-C or SIGTERM cuts short (the domain check's reference solves take
    minutes): skipped with a warning, the finished solve is still written, and the run then stops."""
    if not stops:
        try:
            with stops.solve_phase():
                value = optional(compute, warnings, what)
        except KeyboardInterrupt:
            value = None
        if not stops:
            return value
    warnings.append(f"{what} skipped: the run was stopped (Ctrl-C or SIGTERM) before it finished")
    return None


def _domain_reports(result: RunResult, problem: Any, setup: Setup, settings: MAPSettings | VISettings,
                    specs: list[str], model: Chain) -> list[dict[str, Any]] | None:
    """Per observation, its fit against the generator's on its own images (MAP fits: VI's warm start)."""
    if isinstance(settings, (VISettings, MCMCSettings)):
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
    references = reference_fits(setup, specs, model, settings, objective)
    if references is None:
        return None
    return [domain_report(fit, references) for fit in fit_db(prediction, result.observation, result.mask)]


def _callback(events: Events, recorder: FrameRecorder | None) -> Callable[[Progress], None]:
    if recorder is None:
        return events.step

    def step(progress: Progress) -> None:
        recorder.see(progress)
        events.step(progress)
    return step


def _finish(store: RunStore, outcome: RunOutcome, events: Events, shard_label: str, row: dict[str, Any]) -> None:
    row["shard"] = shard_label
    outcome.rows.append(row)
    if not store.flat:
        store.add_row(row, shard_label)
    events.done(row)


def images_per_second(outcome: RunOutcome) -> float:
    done = sum(row["status"] == "ok" for row in outcome.rows)
    return done / outcome.seconds if outcome.seconds > 0 else math.nan
