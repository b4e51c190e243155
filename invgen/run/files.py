"""The file set of one input's output, rendered in memory and written whole (or kept in a rescue folder when
the write fails, so a finished solve is never lost); extras that fail become warnings, never a lost result."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from torch import Tensor

from invgen.align.photos import restored_photo
from invgen.errors import OutputError
from invgen.io.atomic import write_files
from invgen.io.images import grey16_bytes, png_bytes
from invgen.problem.results import Posterior, RunResult
from invgen.render.animation import gif_bytes
from invgen.run.geometry import restored
from invgen.run.kept import float_files, latent_file
from invgen.run.volumes import SLICE_FILE, slice_bytes
from invgen.run.options import RunOptions
from invgen.run.store import RunStore
from invgen.runtime.reporting import one_line


def optional(compute: Any, warnings: list[str], what: str) -> Any:
    """An extra after the solve (baselines, figures): a failure becomes a warning, never a lost result."""
    try:
        return compute()
    except Exception as error:  # noqa: BLE001
        warnings.append(f"{what} skipped: {one_line(error)}")
        return None


def output_files(result: RunResult, record: dict[str, Any], options: RunOptions,
                 frames: list[Tensor] | None = None, photo: Tensor | None = None) -> dict[str, bytes]:
    """Every file of one input's output; ``run.json`` lists them (so a later run may replace them whole).
    ``frames``: G(w) during the solve, for ``optimisation.gif``; ``photo``: the photo an aligned input came
    from (``--align`` with ``--restore-size``), for the reconstruction pasted back into it."""
    from invgen.render.posterior_files import posterior_summary, render_posterior
    from invgen.io.medical import write_medical
    from invgen.render.map_files import footer_text, json_bytes, render_map

    warnings = record.setdefault("warnings", [])
    if isinstance(result, Posterior):
        record["posterior"] = optional(lambda: posterior_summary(result), warnings, "posterior summary") or {}
        files = render_posterior(result, record)
    else:
        files = render_map(result, record)
    files.update(float_files(result))
    files["latent.safetensors"] = latent_file(result, record)
    final = result.image
    if photo is not None:
        final = restored_photo(photo, result.image, record["alignment"])
        files["reconstruction_restored.png"] = png_bytes(final[0])
    elif options.restore_size or options.geometry.fit or "volume" in record:  # padding is always removed again
        fitted = result.ground_truth if options.simulate else result.observation  # what the input was fitted to
        problem_size = tuple(fitted.shape[-2:])
        geometry = record.get("input_geometry") or {"resized_from": None, "size": list(problem_size)}
        final = restored(result.image, geometry, problem_size)
        files["reconstruction_restored.png"] = png_bytes(final[0])
    if record.get("input_file", {}).get("bits") == 16:  # 16-bit in, 16-bit out
        kind = record["input_file"]["format"]
        files[f"reconstruction16.{'png' if kind == 'png' else 'tif'}"] = grey16_bytes(final[0], kind)
    if "volume" in record and "medical" in record:  # the volume is written whole once every slice is done
        files[SLICE_FILE] = slice_bytes(final, record["medical"]["size"], warnings)
    elif "medical" in record:
        medical = optional(lambda: write_medical(final[:, :1], record["medical"], footer_text(record)), warnings,
                            "DICOM/NIfTI output")
        if medical is not None:
            name, data, notes = medical
            files[name] = data
            warnings.extend(notes)
    if frames is not None:
        animation = optional(lambda: gif_bytes(frames, result.image[0]), warnings, "optimisation.gif")
        if animation is not None:
            files["optimisation.gif"] = animation
    if not warnings:
        record.pop("warnings")
    record["files"] = sorted(files)
    files["run.json"] = json_bytes(record)
    return files


def write_or_rescue(store: RunStore, name: str, files: dict[str, bytes]) -> None:
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
