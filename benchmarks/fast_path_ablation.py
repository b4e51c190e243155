"""One StyleGAN2 fast-path change against the form it replaced, paired in one process (ms per forward+backward).

Runs between whole benchmark runs on a shared machine differ by up to ~10%, more than a change
worth a few percent; here the two forms alternate in rounds (ABBA order: neither is always the
later one), each round two untimed and two timed steps of each. Variants (the replaced form is
spelled out below):
  weights   each step casts the weights and sums their squares again (before frozen weights were kept)
  epilogue  autograd's addcmul + leaky ReLU instead of fast_ops.ScaleShiftLeakyReLU
  winograd  the direct convolution everywhere instead of Winograd's F(4x4,3x3) where fast_ops.uses_winograd
  scaled    biases, dense weights and FIR kernels scaled and cast at every step (fast_ops.frozen_scaled not kept)
  native    Winograd's tile transforms in PyTorch operations, with their thresholds, instead of the C kernels
            (invgen_stylegan2.fast.native; the replaced form is what a machine without a C compiler runs)
Run: cd benchmarks && ../.venv/bin/python fast_path_ablation.py --variant weights --resolution 256 --bf16
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

import invgen
from invgen_stylegan2.fast import ops as fast_ops, winograd
from invgen_stylegan2.network.ops import LRELU_SLOPE
from timing import alternate, machine_line, print_medians, synthesis_step  # benchmarks/timing.py (any folder)


def weights_every_step(weight: Tensor, dtype: torch.dtype, channels_last: bool,
                       transposed: bool = False) -> tuple[Tensor, Tensor]:
    """The replaced form of fast_ops.frozen_weight: cast and squared at every step, layout left to the convolution."""
    cast = weight.to(dtype)
    return (cast.transpose(0, 1) if transposed else cast), cast.square().sum(dim=(2, 3)).t()


def autograd_epilogue(y: Tensor, scale: Tensor, shift: Tensor) -> Tensor:
    """The replaced form of fast_ops.ScaleShiftLeakyReLU: autograd through scale-and-shift and the activation."""
    return F.leaky_relu(fast_ops._scale_and_shift(y, scale, shift), LRELU_SLOPE, inplace=True)


def never_winograd(x: Tensor, weight: Tensor, up: bool) -> bool:
    """The replaced form of fast_ops.uses_winograd: every 3x3 convolution direct (oneDNN)."""
    return False


def without_c_kernels(in_channels: int, out_channels: int) -> bool:
    """The replaced form of winograd.native_transforms: no C kernels, as without a compiler."""
    return False


def scaled_every_step(tensor: Tensor, gain: float, dtype: torch.dtype, flip: bool = False) -> Tensor:
    """The replaced form of fast_ops.frozen_scaled: two or three small operators per layer at every step."""
    return ((tensor.flip([-2, -1]) if flip else tensor) * gain).to(dtype)


VARIANTS: dict[str, tuple[object, str, Callable]] = {
    "weights": (fast_ops, "frozen_weight", weights_every_step),
    "epilogue": (fast_ops.ScaleShiftLeakyReLU, "apply", autograd_epilogue),
    "winograd": (fast_ops, "uses_winograd", never_winograd),
    "scaled": (fast_ops, "frozen_scaled", scaled_every_step),
    "native": (winograd, "native_transforms", without_c_kernels),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("-g", "--generator", help="a generator spec instead of stylegan2-random at --resolution")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    owner, name, replaced = VARIANTS[args.variant]
    current = getattr(owner, name)
    spec = args.generator or f"stylegan2-random:resolution={args.resolution}"
    generator = invgen.generator(spec)
    step = synthesis_step(generator, args.batch, args.bf16)

    @contextlib.contextmanager
    def using(form: Callable) -> Iterator[None]:
        setattr(owner, name, form)
        try:
            yield
        finally:
            setattr(owner, name, current)

    times = alternate({"current": lambda: using(current), "replaced": lambda: using(replaced)}, step, args.rounds)
    precision = "bf16" if args.bf16 else "fp32"
    print(f"{machine_line()}; {args.variant}, {spec}, batch {args.batch}, {precision}")
    print_medians(times)


if __name__ == "__main__":
    main()
