"""The files of a VI run: samples, posterior mean, a std heat map with a colour bar, a grid, numbers."""

from __future__ import annotations

import io
from typing import Any

from invgen.render.map_files import (comparison_png, data_files, footer_text, image_files, metric_title,
                                     observation_panel)

SAMPLE_TILE = 128  # pixels: small images are enlarged in the samples grid


def posterior_summary(posterior: Any) -> dict[str, Any]:
    """Spread (std, pairwise sample distance; inside and outside the mask) and fit to the observation
    of the samples and of the MAP warm start, for the first observation."""
    from invgen.render.posterior_stats import summarise

    return summarise(posterior)


def std_heatmap_png(std: Any, title: str = "posterior std (per pixel)") -> bytes:
    """A colour-mapped heat map of ``[C, H, W]`` std (mean over channels) with a colour bar, in [-1, 1] units."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(3.6, 3.0))
    shown = axis.imshow(std.mean(0).numpy(), cmap="magma", interpolation="nearest")
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])
    figure.colorbar(shown, ax=axis, fraction=0.046, pad=0.04)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def std_title(calibration: dict[str, Any] | None) -> str:
    """The heat map's title says whether the std is calibrated, and on what."""
    if not calibration:
        return "posterior std (per pixel), not calibrated"
    return (f"posterior std x {calibration['scale']:.3g}: calibrated to {calibration['target']:.0%} "
            f"{calibration['k']:g}-std coverage on {calibration['images']} images")


def render_posterior(posterior: Any, record: dict[str, Any]) -> dict[str, bytes]:
    """Every image and figure of a VI run for the first observation, rendered in memory (``run.json`` is the
    caller's)."""
    from invgen.render.grid import grid_png

    files: dict[str, bytes] = {}
    files.update(image_files("sample", posterior.samples[0]))
    files.update(image_files("posterior_mean", posterior.image[:1]))
    if posterior.raw_image is not None:
        files.update(image_files("posterior_mean_raw", posterior.raw_image[:1]))
    files.update(data_files("observation", posterior.observation[:1], posterior.image))
    files.update(data_files("prediction", posterior.prediction[:1], posterior.image))
    if posterior.map_image is not None:
        files.update(image_files("map", posterior.map_image[:1]))
    if posterior.mask is not None:
        files.update(image_files("mask", posterior.mask * 2 - 1))
    files["posterior_std.png"] = std_heatmap_png(posterior.std[0], std_title(record.get("calibration")))
    files["samples_grid.png"] = grid_png(posterior.samples[0], min_tile=SAMPLE_TILE)
    if getattr(posterior, "component_images", None) is not None and posterior.weights is not None:
        files["components_grid.png"] = grid_png(posterior.component_images[0], min_tile=SAMPLE_TILE,
                                                labels=[f"p={w:.3f}" for w in posterior.weights[0].tolist()])
    panels = [] if posterior.ground_truth is None else [("ground truth", posterior.ground_truth[0])]
    panels.append(("observation", observation_panel(posterior.observation, posterior.image)))
    if posterior.map_image is not None:
        panels.append(("MAP", posterior.map_image[0]))
    panels.append((metric_title("posterior mean", posterior.metrics), posterior.image[0]))
    files["comparison.png"] = comparison_png(panels, footer_text(record))
    return files
