"""One `invgen run`, in the library: inputs checked and shared out, results refused or resumed, the generator
built once, the inputs reconstructed, the index merged. The CLI only parses options and draws progress;
Python pipelines call :func:`reconstruct_many` (or :func:`prepare` and :meth:`Job.run` for their own events)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import torch

from invgen.run.inputs import InputItem, collect_inputs, is_single
from invgen.run.events import Events
from invgen.run.batches import RunOutcome, run_inputs
from invgen.run.identity import RunIdentity
from invgen.run.init_latents import InitLatents
from invgen.run.options import RunOptions
from invgen.run.sharding import Shard, detect_shard
from invgen.run.store import RunStore
from invgen.run.volumes import write_volumes
from invgen.problem.terms import objective_identity
from invgen.evaluation.calibration import resolve_calibration
from invgen.errors import ResultsDiffer, UsageError
from invgen.problem.interfaces import Generator, Loss, Prior
from invgen.problem.arguments import problem_arguments
from invgen.problem.build import Setup, build_setup
from invgen.problem.chain import Chain
from invgen.problem.observation import build_chain
from invgen.problem.terms import check_terms, preset_for
from invgen.runtime.device import resolve_device
from invgen.solvers.map import MAPSettings
from invgen.solvers.mcmc import MCMCSettings
from invgen.solvers.vi import VISettings


PREPARE_CHOICES = {"losses", "priors", "preset", "resume", "overwrite", "shard", "device", "tf32", "options"}


@dataclass
class Job:
    """A prepared run: every input, this process's share, where results go, the built generator and terms, and
    the run's forward chain (built once, here; inputs with chains of their own get theirs in :func:`run_inputs`)."""

    items: list[InputItem]
    mine: list[InputItem]
    shard: Shard
    single: bool
    store: RunStore
    setup: Setup
    forward: Chain
    settings: MAPSettings | VISettings
    options: RunOptions
    resume: bool
    identity: RunIdentity

    def run(self, events: Events | None = None) -> RunOutcome:
        """Reconstruct this process's share (a single image raises its error; many record theirs)."""
        try:
            return run_inputs(self.mine, self.setup, self.forward, self.settings, self.store, self.options, self.resume,
                              self.shard.label, events, strict=self.single, identity=self.identity)
        finally:
            self.store.release()

    def merge(self) -> bool:
        """Write index.csv and index.jsonl if every input (of every shard) has a result; False otherwise."""
        return False if self.single else self.store.merge_index(self.items)

    def write_volumes(self) -> list[Path]:
        """Write each volume (a NIfTI along an axis, a DICOM series) whose slices are all done; the folders."""
        return [] if self.single else write_volumes(self.store, self.items)


def prepare(input: str | Path, output: str | Path, generator: str | Generator, options: RunOptions,
            settings: MAPSettings | VISettings, losses: Sequence[str | Loss] = (), priors: Sequence[str | Prior] = (),
            preset: str | None = None, resume: bool = False, overwrite: bool = False, shard: str | None = None,
            device: str | torch.device = "auto", tf32: bool = False) -> Job:
    """Check everything cheap first (specs, the forward chain, built once here, inputs, existing results), then
    build the generator and terms."""
    if not isinstance(settings, (MAPSettings, VISettings, MCMCSettings)):
        raise UsageError(f"settings must be MAPSettings, VISettings or MCMCSettings, not {type(settings).__name__}")
    for name, value in (("input", input), ("output", output)):
        if not isinstance(value, (str, Path)):
            raise UsageError(f"{name} must be a path (str or pathlib.Path), not {type(value).__name__}")
    problem_arguments(generator, list(options.forward), losses, priors, preset, device)
    method = "map" if isinstance(settings, MAPSettings) else "vi"  # the kind of default preset: sampling takes VI's
    forward = build_chain(list(options.forward))
    preset = preset_for(forward, preset, losses, priors, method, generator)
    check_terms(generator, losses, priors, preset, method)
    single = is_single(input)
    items = collect_inputs(input, exclude=None if single else output)
    part = detect_shard(shard)
    mine = items if single else part.share(items)
    if options.init is not None:
        if settings.starts > 1:
            raise UsageError("--init and --starts > 1 exclude each other: the starts are drawn by invgen")
        options = replace(options, init_latents=InitLatents(options.init, mine))
    store = RunStore(Path(output), flat=single)
    store.claim(part.label)  # writable, space free, and no other run writing there
    try:
        store.check(mine, resume, overwrite)
        if not single:
            store.save_inputs(items)
        local = part.local_rank if str(device) == "auto" else None
        target = resolve_device(f"cuda:{local}" if local is not None and torch.cuda.is_available() else device, tf32)
        setup = build_setup(generator, losses, priors, preset, target, method)
        if options.init_latents is not None:
            options.init_latents.check(setup.generator)
        if options.calibrate is not None:
            options = replace(options, calibration=_calibration(options, generator, setup, settings))
        identity = RunIdentity(setup, settings, options)
        if resume and not overwrite:
            _check_resumable(store, mine, identity)
    except BaseException:
        store.release()
        raise
    return Job(items, mine, part, single, store, setup, forward, settings, options, resume, identity)


def _check_resumable(store: RunStore, items: Sequence[InputItem], identity: RunIdentity) -> None:
    """``--resume`` reuses a complete result only if this run would make it again: one made otherwise is refused
    (naming the changed setting) before any solve, never mixed with this run's."""
    for item in items:
        if store.is_complete(item.name):
            change = identity.change(store.record(item.name), item)
            if change is not None:
                raise ResultsDiffer(f"{store.folder(item.name) / 'run.json'}: its result was made otherwise ({change});"
                                    " pass --overwrite to replace such results, or choose another --output")


def _calibration(options: RunOptions, generator: str | Generator, setup: Setup,
                 settings: MAPSettings | VISettings):  # noqa: ANN202 - a Calibration
    if isinstance(settings, MCMCSettings):
        raise UsageError("--calibrate is for --method vi and for --method map --starts K; MCMC's draws are not "
                         "calibrated by a fitted scale")
    posterior = isinstance(settings, VISettings)
    if not posterior and settings.starts < 2:
        raise UsageError("--calibrate scales a posterior's std map (--method vi) or weighs several modes (--starts K): "
                         "one MAP estimate has nothing to calibrate")
    if not isinstance(generator, str):
        raise UsageError("calibrations are keyed by the generator's spec: pass the generator by name")
    terms = setup.terms
    objective = objective_identity(terms.losses, terms.priors, terms.tie_layers, settings.basis if posterior else None)
    # MAP's objective has no basis and VI's has: a calibration of one never matches the other
    return resolve_calibration(options.calibrate, generator, list(options.forward), objective)


def reconstruct_many(input: str | Path, output: str | Path, generator: str | Generator,
                     forward: Sequence[str] = ("identity",), settings: MAPSettings | VISettings = MAPSettings(),
                     events: Events | None = None, **choices: object) -> tuple[RunOutcome, bool]:
    """``invgen run --input INPUT --output OUTPUT`` from Python: a file, folder, glob or manifest reconstructed
    into one folder per input (see the user guide). ``choices`` are :func:`prepare`'s keywords (losses, priors,
    preset, resume, overwrite, shard, device, tf32) and ``options=RunOptions(...)`` for simulate, seed, batch and
    geometry. Returns the outcome (rows, failures, interruption) and whether the index was merged; volumes whose
    slices are all done are written whole."""
    if isinstance(forward, str) or not isinstance(forward, (list, tuple)) or not all(
            isinstance(spec, str) for spec in forward):
        raise UsageError(f"forward must be a list of spec strings, not {forward!r}: e.g. forward=[{forward!r}]"
                         if isinstance(forward, str) else f"forward must be a list of spec strings, not {forward!r}")
    unknown = sorted(set(choices) - PREPARE_CHOICES)
    if unknown:
        raise UsageError(f"reconstruct_many got unknown keyword {unknown[0]!r}: it takes "
                         f"{', '.join(sorted(PREPARE_CHOICES))}")
    options = choices.pop("options", None) or RunOptions(tuple(forward))
    if not isinstance(options, RunOptions):
        raise UsageError(f"options must be a RunOptions, not {type(options).__name__}")
    job = prepare(input, output, generator, options, settings, **choices)  # type: ignore[arg-type]
    outcome = job.run(events)
    merged = job.merge()
    job.write_volumes()
    return outcome, merged
