"""One input of a run read into a checked observation: the file (pictures, DICOM, NIfTI), its geometry
(``--crop``/``--resize``), then :func:`~invgen.problem.observation.observe` (the one place observations are
simulated and checked)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from invgen.align.photos import align_photo
from invgen.io.images import load_input
from invgen.problem.chain import Chain
from invgen.problem.interfaces import Generator
from invgen.problem.observation import observation_channels, observe
from invgen.run.inputs import InputItem
from invgen.run.geometry import known_pixels
from invgen.run.options import RunOptions


@dataclass
class LoadedInput:
    """An input's checked observation (and clean image with ``--simulate``), how it was fitted, and the load time."""

    item: InputItem
    observation: Tensor
    clean: Tensor | None
    geometry: dict[str, Any]
    seconds: float
    file_record: dict[str, Any] | None = None  # DICOM/NIfTI windowing, or a 16-bit picture
    known: Tensor | None = None  # [1, 1, H', W']: 0 on --fit pad's padding (None: every pixel is the input's)
    alignment: dict[str, Any] | None = None  # --align: the face and square the input was aligned by
    photo: Tensor | None = None  # --align with --restore-size: the photo, to paste the result back into


def load_item(item: InputItem, model: Chain, generator: Generator, options: RunOptions,
              began: float) -> LoadedInput:
    """Read ``item``, fit it to the size the generator (``--simulate``) or the chain's output needs, and observe it."""
    channels = generator.channels if options.simulate else observation_channels(generator, model)
    image, file_record = load_input(item.path, channels, options.window)
    wanted = generator.image_shape if options.simulate else tuple(model.output_shape(generator.image_shape))
    method = generator.alignment if options.align == "auto" else None if options.align == "none" else options.align
    photo, alignment = image, None
    if method is not None:
        image, alignment = align_photo(image, wanted[-1], str(item.path), options.face)
    image, geometry = options.geometry.fit_to(image, tuple(wanted[1:]), str(item.path))
    observed = observe(image, generator, model, options.simulate, options.seed, what=str(item.path))
    known = known_pixels(geometry, tuple(observed.values.shape[-2:]))
    values = observed.values if known is None else observed.values * known  # padding is no observation
    return LoadedInput(item, values, observed.ground_truth, geometry, time.perf_counter() - began, file_record,
                       known, alignment, photo if alignment is not None and options.restore_size else None)
