"""What ``invgen serve`` does for one request, without gradio: read an upload safely, turn painted strokes
into a mask, write the inputs, run the same job as ``invgen run`` (same files and ``run.json``) with live
progress and a stop flag, and pack the result with the equivalent command line.

Everything is written inside one :class:`Workspace` folder."""

from __future__ import annotations

import io
import shlex
import shutil
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from invgen.run.events import Events
from invgen.errors import InputError, UsageError
from invgen.registry.spec import quote_value
from invgen.serve.chain import confined

MAX_SIDE = 4096  # pixels: larger uploads are refused before they are decoded
PAINT_SIZE = 256  # pixels: smaller images are enlarged by a whole factor for painting
HIDDEN_FRACTION = 0.5  # a pixel is hidden when at least this much of it is painted
INPUT, MASK = "inputs/input.png", "inputs/mask.png"


@dataclass(frozen=True)
class Upload:
    """An uploaded picture as a centred square (``H x W`` grey or ``H x W x 3`` uint8), the whole factor it is
    enlarged by for painting, and what was done to it."""

    pixels: np.ndarray
    factor: int
    note: str

    def canvas(self) -> np.ndarray:
        """The picture enlarged (nearest neighbour) for the paint box, so each pixel stays a block of pixels."""
        return self.pixels.repeat(self.factor, axis=0).repeat(self.factor, axis=1)


def read_upload(path: str | Path) -> Upload:
    """Check the size before decoding, then keep the largest centred square (grey stays grey). Messages say
    "the upload", never where the server keeps it."""
    from invgen.io.images import open_picture

    try:
        with open_picture(path, "picture") as picture:
            width, height = picture.size
            if max(width, height) > MAX_SIDE:
                raise InputError(f"the image is {width}x{height}: at most {MAX_SIDE} pixels a side are accepted; "
                                 "shrink it first")
            grey = picture.mode in ("1", "L", "I", "I;16", "F")
            array = np.asarray(_flattened(picture).convert("L" if grey else "RGB"))
    except InputError as error:
        text = str(error).replace(f"{path}: ", "the upload: ").replace(str(path), "the upload")
        raise InputError(text.replace("not a readable picture", "not a picture this page reads (use PNG or JPEG)")) \
            from None
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = array[top:top + side, left:left + side]
    note = "" if side == height == width else f"cropped to the centred {side}x{side} square"
    return Upload(np.ascontiguousarray(square), max(1, PAINT_SIZE // side), note)


def _flattened(picture: Any) -> Any:
    """A transparent picture composited on white (as it looks), others unchanged."""
    from PIL import Image

    if picture.mode not in ("RGBA", "LA", "PA") and "transparency" not in picture.info:
        return picture
    rgba = picture.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba)


def painted_mask(layers: list[np.ndarray], upload: Upload) -> np.ndarray | None:
    """True where the user painted over at least half of a pixel of the upload; None if nothing was painted.
    ``layers`` are the paint box's RGBA layers (on the enlarged canvas)."""
    side = upload.pixels.shape[0]
    painted = np.zeros((side * upload.factor,) * 2, dtype=bool)
    for layer in layers:
        if layer is None or layer.ndim != 3 or layer.shape[2] != 4:
            continue
        alpha = layer[..., 3] > 0
        if alpha.shape != painted.shape:
            alpha = _nearest(alpha, painted.shape[0])
        painted |= alpha
    if not painted.any():
        return None
    blocks = painted.reshape(side, upload.factor, side, upload.factor).mean(axis=(1, 3))
    hidden = blocks >= HIDDEN_FRACTION
    return hidden if hidden.any() else None


def _nearest(mask: np.ndarray, side: int) -> np.ndarray:
    rows = (np.arange(side) * mask.shape[0] // side)
    columns = (np.arange(side) * mask.shape[1] // side)
    return mask[rows][:, columns]


@dataclass(frozen=True)
class Request:
    """What the page asks for: the generator, the chain (a painted mask is added first, by the forward model
    registered with the mask-file role, ``mask_model``), and the solver."""

    generator: str
    chain: tuple[str, ...]
    simulate: bool
    method: str = "map"
    preset: str | None = None
    steps: int = 200
    lr: float = 0.05
    samples: int = 8
    seed: int = 0
    mask_model: str | None = None
    starts: int = 1
    files: tuple[tuple[str, str], ...] = ()  # the uploads the specs name: (name on the page, where the server keeps it)

    def specs(self, mask: str | None, inputs: str = "inputs") -> list[str]:
        """The forward chain, with ``MASK_MODEL:path=MASK,resize=true`` first when a mask was painted, and the
        uploads it names read from the folder ``inputs`` (where :func:`run_job` copies them)."""
        chain = [confined("forward", spec, self._placed(inputs)) for spec in self.chain]
        if mask:
            if self.mask_model is None:
                raise UsageError("painting needs a forward model with the mask-file role and none is installed "
                                 "(see `invgen list forward`); clear the paint or install one")
            return [f"{self.mask_model}:path={quote_value(mask)},resize=true", *chain]
        return chain or ["identity"]

    def generator_spec(self, inputs: str = "inputs") -> str:
        return confined("generator", self.generator, self._placed(inputs))

    def _placed(self, inputs: str) -> dict[str, str]:
        return {name: f"{inputs}/{name}" for name, _ in self.files}

    def command(self, has_mask: bool) -> str:
        """The same run from a shell, in the unpacked zip's folder (inputs/ beside the results)."""
        words = ["invgen", "run", "--generator", self.generator_spec()]
        for spec in self.specs(MASK if has_mask else None):
            words += ["--forward", spec]
        words += ["--input", INPUT, "--resize"] + (["--simulate"] if self.simulate else [])
        words += ["--method", self.method] + (["--preset", self.preset] if self.preset else [])
        words += ["--steps", str(self.steps), "--lr", f"{self.lr:g}", "--seed", str(self.seed)]
        words += ["--samples", str(self.samples)] if self.method == "vi" else []
        words += ["--starts", str(self.starts)] if self.starts > 1 else []
        words += ["--gif", "--output", "result"]
        return shlex.join(words)


class Workspace:
    """The server's one temporary folder: each job gets a sub-folder with its inputs, results and zip."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def new_job(self) -> Path:
        folder = self.root / "jobs" / uuid.uuid4().hex[:12]
        (folder / "inputs").mkdir(parents=True)
        return folder


class LiveRun(Events):
    """A job's progress for the page (the latest step and preview) and its stop flag: a stop raises
    KeyboardInterrupt at the next step, so the best result so far is kept and written, marked interrupted."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.latest: Any = None
        self.preview: Any = None
        self.steps = 0

    def batch(self, count: int, steps: int) -> None:
        self.steps = steps

    def step(self, progress: Any) -> None:
        self.latest = progress
        if self.stop.is_set():
            raise KeyboardInterrupt

    def frame(self, step: int, images: Any) -> None:
        self.preview = images[0]


@dataclass
class Finished:
    """A finished job: its folder, the results folder, the zip, the command line and ``run.json``."""

    folder: Path
    results: Path
    archive: Path
    command: str
    record: dict[str, Any] = field(default_factory=dict)


def run_job(folder: Path, upload: Upload, mask: np.ndarray | None, request: Request, live: LiveRun,
            generators: dict[str, Any], device: str = "auto") -> Finished:
    """Write the inputs, reconstruct them like ``invgen run`` would, and pack the result folder."""
    import json

    from invgen.run.job import prepare
    from invgen.run.geometry import Geometry
    from invgen.run.options import RunOptions
    from invgen.problem.components import build_generator
    from invgen.solvers.map import MAPSettings
    from invgen.solvers.vi import VISettings

    _write_png(folder / INPUT, upload.pixels)
    if mask is not None:
        _write_png(folder / MASK, np.where(mask, 0, 255).astype(np.uint8))
    for name, kept in request.files:
        shutil.copyfile(kept, folder / "inputs" / name)
    inputs = str(folder / "inputs")
    specs = request.specs(str(folder / MASK) if mask is not None else None, inputs)
    generator = request.generator_spec(inputs)
    if generator not in generators:
        generators[generator] = build_generator(generator)
    settings = (MAPSettings(steps=request.steps, lr=request.lr, seed=request.seed, starts=request.starts)
                if request.method == "map" else
                VISettings(steps=request.steps, map_lr=request.lr, seed=request.seed, samples=request.samples,
                           starts=request.starts))
    options = RunOptions(tuple(specs), request.simulate, request.seed, 1, Geometry(resize=True), gif=True)
    results = folder / "result"
    job = prepare(folder / INPUT, results, generators[generator], options, settings,
                  preset=request.preset, device=device)
    job.run(live)
    command = request.command(mask is not None)
    archive = folder / "invgen-result.zip"
    pack(archive, results, folder / "inputs", command, folder)
    return Finished(folder, results, archive, command, json.loads(private((results / "run.json").read_text(), folder)))


def private(text: str, folder: Path) -> str:
    """``text`` (a record, a message) without the server's paths: the job's folder as the zip's own folder
    (``inputs/mask.png``), any other place in the server's folders as ``(server)``."""
    text = text.replace(f"{folder}/", "")
    return text.replace(str(folder.parent.parent), "(server)")


def _write_png(path: Path, pixels: np.ndarray) -> None:
    from PIL import Image

    from invgen.io.atomic import write_atomic

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    write_atomic(path, buffer.getvalue())


def pack(archive: Path, results: Path, inputs: Path, command: str, folder: Path) -> None:
    """The results at the zip's top level (as ``invgen run`` writes them; ``run.json`` naming its files relative
    to the zip's folder, not where the server kept them: :func:`private`), ``inputs/`` and ``command.sh``."""
    partial = archive.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as packed:
        for path in sorted(results.iterdir()):
            if path.name == "run.json":
                packed.writestr(path.name, private(path.read_text(), folder))
            else:
                packed.write(path, path.name)
        for path in sorted(inputs.iterdir()):
            packed.write(path, f"inputs/{path.name}")
        packed.writestr("command.sh", f"#!/bin/sh\n# the same run from this folder\n{command}\n")
    partial.replace(archive)
