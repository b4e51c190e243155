"""The multi-coil figure of docs/medical.md: a real brain slice (nibabel's anatomical.nii) and a held-out digit
seen by 8 birdcage coils, 4x undersampled lines, noise 0.02 on every sample: four of the coil images, the
mask, the root-sum-of-squares and SENSE baselines, and (for the digit, which the embedded generator can
make) invgen's MAP and MAP + --consistency project. Prints the PSNRs the page quotes.

Run: .venv/bin/python scripts/multicoil_figure.py docs/medical-multicoil.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nibabel  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import invgen  # noqa: E402
from invgen.io.images import load_image  # noqa: E402
from invgen_mri.baselines import rss, sense  # noqa: E402
from invgen_mri.kspace import complex_image, as_complex  # noqa: E402

SPEC = "kspace:coils=8,R=4,center=0.08,noise=0.02,image=magnitude"
DIGIT = Path(__file__).resolve().parents[1] / "examples" / "holdout_1950_digit3.png"


def brain_slice() -> torch.Tensor:
    """The middle axial slice of nibabel's anatomical test volume, 32x40, its range mapped to [-1, 1]."""
    path = Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"
    values = np.asarray(nibabel.load(path).dataobj, np.float64)[:32, :40, 12]
    values = (values - values.min()) / (values.max() - values.min())
    return torch.from_numpy(values * 2 - 1).float()[None, None]


def psnr(image: torch.Tensor, truth: torch.Tensor) -> float:
    return float(10 * torch.log10(4 / ((image.clamp(-1, 1) - truth) ** 2).mean()))


def main(output: Path) -> None:
    model = invgen.forward_model(SPEC)
    rows = []
    for name, clean in (("brain slice", brain_slice()), ("held-out digit", load_image(DIGIT, 1))):
        observation = model.simulate(clean, 0)
        shape = tuple(clean.shape[1:])
        coil_images = complex_image(as_complex(observation)).abs()[0]
        panels = [(f"coil {c + 1}", coil_images[c].numpy(), None) for c in (0, 2, 4, 6)]
        panels.append(("mask (R=4)", model.sampling(*shape[-2:]).numpy(), None))
        for label, image in (("RSS", rss(observation, model, shape)), ("SENSE", sense(observation, model, shape))):
            panels.append((f"{label} {psnr(image, clean):.1f} dB", image[0, 0].numpy(), (-1, 1)))
        if name == "held-out digit":
            for label, mode in (("invgen", "none"), ("invgen + project", "project")):
                result = invgen.reconstruct(observation, "stylegan2-mnist32", [SPEC], preset="pixel", steps=200,
                                            consistency=mode)
                panels.append((f"{label} {psnr(result.image, clean):.1f} dB", result.image[0, 0].numpy(), (-1, 1)))
        panels.append(("truth", clean[0, 0].numpy(), (-1, 1)))
        rows.append((name, panels))
        print(name, *(label for label, _, _ in panels[5:]), sep=" | ")
    columns = max(len(panels) for _, panels in rows)
    figure, axes = plt.subplots(len(rows), columns, figsize=(1.5 * columns, 1.8 * len(rows)))
    for row, (name, panels) in enumerate(rows):
        for column in range(columns):
            axis = axes[row, column]
            axis.axis("off")
            if column < len(panels):
                label, image, limits = panels[column]
                axis.imshow(image, cmap="gray", vmin=None if limits is None else limits[0],
                            vmax=None if limits is None else limits[1])
                axis.set_title(label, fontsize=7)
        axes[row, 0].text(-0.15, 0.5, name, transform=axes[row, 0].transAxes, rotation=90, va="center",
                          ha="right", fontsize=8)
    figure.tight_layout()
    figure.savefig(output, dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
