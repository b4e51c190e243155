"""What made a result: the settings of a run and the input's content, recorded in each ``run.json``
(``identity``) so that ``--resume`` reuses a result only if this run would make it again.

The identity holds the generator (its canonical spec), the input's forward chain, the objective's terms, the
solver's settings, how inputs become problems (simulation and its seed, geometry, window, consistency,
calibration, extra files asked for), the input file with its SHA-256 and, with ``--init``, the SHA-256 of the
latent file it started from. The device and the batch size are
left out: they change how fast a result comes, not which result; the file's path is recorded but not
compared (its output folder is named by it already, and its content is compared).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from invgen.io.medical import split_options
from invgen.problem.build import Setup
from invgen.problem.terms import objective_identity
from invgen.run.inputs import InputItem
from invgen.run.options import RunOptions
from invgen.solvers.solving import Settings, solver_method

CHUNK = 1 << 20
NOT_COMPARED = {"input.file"}  # recorded; the content decides (the same folder run from elsewhere, or moved, resumes)
_ABSENT = object()


class RunIdentity:
    """The identity of every result one run makes (:meth:`of` one input), and how an earlier one differs."""

    def __init__(self, setup: Setup, settings: Settings, options: RunOptions) -> None:
        terms = setup.terms
        method = solver_method(settings)
        window = options.window
        self._shared = {
            "generator": setup.generator.spec,
            "objective": objective_identity([term.spec for term in setup.losses], [term.spec for term in setup.priors],
                                            terms.tie_layers),
            "solver": {"method": method, **_plain(asdict(settings))},
            "inputs": {"simulate": options.simulate, "seed": options.seed, "crop": options.geometry.crop,
                       "resize": options.geometry.resize, "restore_size": options.restore_size,
                       "window": None if window is None else [window.center, window.width], "gif": options.gif,
                       "consistency": options.consistency,
                       "calibration": None if options.calibrate is None else str(options.calibrate),
                       "domain_check": options.domain_check},
        }
        if options.geometry.fit is not None:  # absent otherwise, as in results written before --fit existed
            self._shared["inputs"]["fit"] = options.geometry.fit
        if options.align != "none":  # likewise
            self._shared["inputs"]["align"] = [options.align, options.face]
        self._forward = list(options.forward)
        self._init = options.init_latents
        self._hashes: dict[tuple[str, int, int], str] = {}

    def of(self, item: InputItem) -> dict[str, Any]:
        """The identity of ``item``'s result: the run's settings, its chain and its file's content."""
        identity = {**self._shared, "forward": [*self._forward, *item.forward],
                    "input": {"file": str(item.path), "sha256": self._sha256(item.path)}}
        if self._init is not None:  # absent otherwise, as in results written before --init existed
            identity["init"] = {"sha256": self._init.sha256(item)}
        return identity

    def change(self, earlier: dict[str, Any] | None, item: InputItem) -> str | None:
        """What differs between the result recorded in ``earlier`` (a ``run.json``) and what this run would make
        of ``item``, as "NAME was OLD, now NEW" (the first difference); None when nothing does."""
        recorded = (earlier or {}).get("identity")
        if not isinstance(recorded, dict):
            return "no settings identity (written by an older invgen or by hand)"
        old, new = _flat(recorded), _flat(self.of(item))
        for key in sorted((set(old) | set(new)) - NOT_COMPARED):
            if old.get(key, _ABSENT) != new.get(key, _ABSENT):
                return f"{key} was {_shown(old.get(key, _ABSENT))}, now {_shown(new.get(key, _ABSENT))}"
        return None

    def _sha256(self, path: Path) -> str | None:
        file, _ = split_options(path)
        try:
            status = file.stat()
            key = (str(file), status.st_size, status.st_mtime_ns)
            if key not in self._hashes:
                digest = hashlib.sha256()
                with open(file, "rb") as stream:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                self._hashes[key] = digest.hexdigest()
            return self._hashes[key]
        except OSError:
            return None  # unreadable: its load fails with its own message


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON's view of the settings (tuples as lists), so a recorded identity compares equal to a fresh one."""
    return json.loads(json.dumps(values, default=str))


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _shown(value: Any) -> str:
    return "absent" if value is _ABSENT else json.dumps(value)
