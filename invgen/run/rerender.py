"""``invgen render``: the images of saved results made again from their latents (same names as the run's files,
bit-identical on the same device and batch), into a new folder; the run's own folder is never written."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from invgen.errors import OutputExists, UsageError
from invgen.io.atomic import write_files
from invgen.io.images import png_bytes
from invgen.problem.components import build_generator
from invgen.render.grid import grid_png
from invgen.render.map_files import MODE_TILE, image_files, mode_labels
from invgen.render.posterior_files import SAMPLE_TILE
from invgen.run.kept import npy_bytes
from invgen.run.saved import SavedResult, check_generator, load_result, result_folders
from invgen.runtime.device import resolve_device


@dataclass(frozen=True)
class Rendered:
    """What one ``invgen render`` wrote: each result's name ("" for a single result) and its files."""

    output: Path
    files: dict[str, list[str]]


def rendered_files(saved: SavedResult, images: dict[str, torch.Tensor]) -> dict[str, bytes]:
    """The image files of one result from its re-rendered ``images`` (:meth:`SavedResult.rendered`). A result
    made with a consistency post-step re-renders its generator output (``*_raw``): the post-step needs the
    observation, which the latents do not hold."""
    vi = "samples" in images
    stem = "posterior_mean" if vi else "reconstruction"
    if saved.record.get("consistency", "none") != "none":
        stem += "_raw"
    image = images["reconstruction"]
    files = {**image_files(stem, image), f"{stem}.npy": npy_bytes(image[0])}
    if "modes" in images:
        files.update({f"mode_{i:03d}.png": png_bytes(mode) for i, mode in enumerate(images["modes"])})
        probabilities = [mode.get("probability") for mode in saved.record.get("modes", [])]
        labels = mode_labels(probabilities) if probabilities and None not in probabilities else None
        files["modes_grid.png"] = grid_png(images["modes"], min_tile=MODE_TILE, labels=labels)
    if vi:
        files.update(image_files("sample", images["samples"]))
        files["samples_grid.png"] = grid_png(images["samples"], min_tile=SAMPLE_TILE)
        files["posterior_std.npy"] = npy_bytes(images["std"][0])
    return files


def render_results(source: str | Path, output: str | Path, generator: str | None = None,
                   device: str | torch.device = "auto", overwrite: bool = False) -> Rendered:
    """Re-render the result in ``source`` (or every result folder under it) into ``output`` (one sub-folder per
    result for many), each with ``rendered.json`` saying what it came from. Everything is read and checked
    before anything is written; the generator is built once (``generator`` overrides the recorded spec)."""
    folders = result_folders(source)
    results = [(name, load_result(folder)) for name, folder in folders]
    target = Path(output)
    sources = {folder.resolve() for _, folder in folders}
    if target.resolve() in sources or any(source_folder in target.resolve().parents for source_folder in sources):
        raise UsageError(f"{target}: is a result folder being rendered; choose another --output")
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise OutputExists(f"{target}: is not empty; pass --overwrite to replace its files, or choose another "
                           "--output")
    spec = generator or results[0][1].latents.generator
    target_device = resolve_device(device)
    model = build_generator(spec).to(target_device).eval()
    for _, saved in results:
        check_generator(saved, model, named=generator is not None)
    written: dict[str, list[str]] = {}
    for name, saved in results:
        files = rendered_files(saved, saved.rendered(model))
        record = {"source": str(saved.folder), "generator": model.spec, "device": str(target_device),
                  "files": sorted(files)}
        files["rendered.json"] = (json.dumps(record, indent=2) + "\n").encode()
        write_files(target / name if name else target, files)
        written[name] = sorted(files)
    return Rendered(target, written)
