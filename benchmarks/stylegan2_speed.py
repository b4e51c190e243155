"""StyleGAN2 synthesis time per image on this machine: forward, and forward+backward to w (fp32, CPU).

Networks have the FFHQ configuration (channel_base 32768, channel_max 512, 8 mapping layers,
w_dim 512) with random weights; timing does not depend on the weights' values.
Run: .venv/bin/python benchmarks/stylegan2_speed.py [--resolutions 256 1024] [--repeats 3]
"""

from __future__ import annotations

import argparse

import torch

from invgen_stylegan2.network.networks import StyleGAN2Network
from timing import machine_line, timed  # benchmarks/timing.py (run from any folder: the script's own)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resolutions", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    print("| resolution | num_ws | parameters | forward s/image | forward+backward s/image |")
    print("|---|---|---|---|---|")
    for resolution in args.resolutions:
        torch.manual_seed(0)
        network = StyleGAN2Network(z_dim=512, c_dim=0, w_dim=512, img_resolution=resolution, img_channels=3,
                                   mapping_kwargs={"num_layers": 8},
                                   synthesis_kwargs={"channel_base": 32768, "channel_max": 512}).eval()
        network.requires_grad_(False)
        ws = network.mapping(torch.randn(1, 512))

        def forward() -> None:
            with torch.no_grad():
                network.synthesis(ws, noise_mode="none")

        def forward_backward() -> None:
            w = ws.clone().requires_grad_(True)
            network.synthesis(w, noise_mode="none").square().mean().backward()

        parameters = sum(p.numel() for p in network.parameters())
        print(f"| {resolution} | {network.num_ws} | {parameters:,} | {timed(forward, args.repeats):.3f} | "
              f"{timed(forward_backward, args.repeats):.3f} |", flush=True)


if __name__ == "__main__":
    main()
