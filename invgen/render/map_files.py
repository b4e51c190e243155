"""The files a MAP run writes, rendered in memory: images, a side-by-side comparison figure, ``run.json``.

Nothing here writes: :mod:`invgen.run.store` puts a run's files in place all at once.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor


MODE_TILE = 128  # pixels: small modes are enlarged in their grid


def comparison_png(panels: list[tuple[str, Tensor]], footer: str = "") -> bytes:
    """A row of labelled images (each ``[C, H, W]`` in [-1, 1], shown at the same size) as PNG bytes."""
    import matplotlib

    from invgen.io.images import to_uint8

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.4), squeeze=False)
    for axis, (title, image) in zip(axes[0], panels):
        array = to_uint8(image)
        axis.imshow(array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
    if footer:
        figure.text(0.5, 0.01, footer, ha="center", fontsize=7, wrap=True)
    figure.tight_layout(rect=(0, 0.06 if footer else 0, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def json_bytes(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=False, default=str) + "\n").encode()


def image_files(prefix: str, images: Tensor) -> dict[str, bytes]:
    """``prefix.png`` for one image, ``prefix_000.png``... for a batch of ``[B, C, H, W]``."""
    from invgen.io.images import png_bytes

    if images.shape[0] == 1:
        return {f"{prefix}.png": png_bytes(images[0])}
    return {f"{prefix}_{i:03d}.png": png_bytes(image) for i, image in enumerate(images)}


def data_files(prefix: str, values: "Tensor", like: "Tensor") -> dict[str, bytes]:
    """Observations (or predictions) as pictures: as they are when a PNG holds their channels (1 to 4), else
    (many coils' k-space) as their log magnitude (:func:`observation_view`)."""
    return image_files(prefix, values if values.shape[1] <= 4 else observation_view(values, like))


def observation_panel(observation: "Tensor", like: "Tensor") -> "Tensor":
    """The first observation as a picture of the reconstruction's size and channels (:func:`observation_view`)."""
    return observation_view(observation[:1], like)[0]


def observation_view(observations: "Tensor", like: "Tensor") -> "Tensor":
    """Observations ``[B, C', h, w]`` shown like images ``[*, C, H, W]``: resized (nearest), grey or colour as
    the images are. Observations that are data rather than images (channels other than 1 or 3, such as
    k-space's (Re, Im) pairs) are shown as their log magnitude, scaled to [-1, 1]."""
    import torch.nn.functional as F

    shown = observations
    if shown.shape[1] not in (1, 3):
        magnitude = shown.square().sum(1, keepdim=True).sqrt().log1p()
        peak = magnitude.flatten(1).amax(1).clamp_min(1e-12).view(-1, 1, 1, 1)
        shown = magnitude / peak * 2 - 1
    if shown.shape[-2:] != like.shape[-2:]:
        shown = F.interpolate(shown, size=like.shape[-2:], mode="nearest")
    if shown.shape[1] != like.shape[1]:
        shown = shown.mean(1, keepdim=True).expand(-1, like.shape[1], -1, -1)
    return shown


def metric_title(title: str, metrics: dict[str, list[float]]) -> str:
    if not metrics:
        return title
    text = f"{title}\nPSNR {metrics['psnr'][0]:.2f} dB"
    return text + (f", SSIM {metrics['ssim'][0]:.3f}" if "ssim" in metrics else "")


def mode_labels(probabilities: list[float]) -> list[str]:
    """The modes grid's captions: each mode's probability as ``run.json`` records it (6 decimals), shown to 3."""
    return [f"p={round(p, 6):.3f}" for p in probabilities]


def render_map(result: Any, record: dict[str, Any]) -> dict[str, bytes]:
    """Every image and figure of a MAP run, rendered in memory (``run.json`` is the caller's); with several
    starts also ``mode_000.png``... (ranked, best first) and their grid."""
    from invgen.render.grid import grid_png
    from invgen.io.images import png_bytes

    files: dict[str, bytes] = {}
    files.update(image_files("reconstruction", result.image))
    if getattr(result, "modes", None) is not None:
        files.update({f"mode_{i:03d}.png": png_bytes(mode) for i, mode in enumerate(result.modes[0])})
        probabilities = getattr(result, "mode_probabilities", None)
        labels = None if probabilities is None else mode_labels(probabilities[0].tolist())
        files["modes_grid.png"] = grid_png(result.modes[0], min_tile=MODE_TILE, labels=labels)
    if result.raw_image is not None:
        files.update(image_files("reconstruction_raw", result.raw_image))
    files.update(data_files("observation", result.observation, result.image))
    files.update(data_files("prediction", result.prediction, result.image))
    if result.mask is not None:
        files.update(image_files("mask", result.mask * 2 - 1))
    panels = [] if result.ground_truth is None else [("ground truth", result.ground_truth[0])]
    panels += [("observation", observation_panel(result.observation, result.image)),
               (metric_title("reconstruction", result.metrics), result.image[0])]
    files["comparison.png"] = comparison_png(panels, footer_text(record))
    return files


def footer_text(record: dict[str, Any]) -> str:
    return f"{record['generator']} | " + " | ".join(record["forward"])
