"""Winograd/FFT convolution on the CPU (ours, and NNPACK, which PyTorch carries under a private name) against
oneDNN's direct one.

The 256 px float32 step is convolution-bound at the cores' arithmetic peak, so only a
convolution doing less arithmetic could make it faster. PyTorch builds include NNPACK
(``torch._nnpack_spatial_convolution``: float32, NCHW, 3x3 as Winograd or FFT; it must be
initialised by ``torch._nnpack_available()`` first, otherwise every call fails with "NNPACK
SpatialConvolution_updateOutput failed"). Four measurements:
  convs      each 3x3 convolution alone (forward): direct channels-last, direct NCHW, NNPACK
  synthesis  the 256 px generator's forward+backward with direct convolutions (modconv=scaling), with NNPACK for
             its 3x3 convolutions at 64 to 128 px (activations converted to NCHW and back around each) and with
             the Winograd convolutions of modconv=winograd (what auto picks on the CPU), alternating
  lpips      LPIPS-VGG16 forward+backward to the prediction at --resolution, with NNPACK for the
             convolutions with >= 128 input channels at >= 64 px, and with our F(4x4,3x3) for those with >= 256
             channels in and out at >= 32 px (the generator's rule), alternating with the default path; then each
             one's gradient against the float64 model's
  winograd   invgen_stylegan2.fast.winograd's F(4x4,3x3) (the fast path's ``winograd`` form), with PyTorch's tile transforms
             and with the C kernels' (invgen_stylegan2.fast.native), against the direct convolution, each alone, forward;
             --bf16: bfloat16 activations (the whole step: fast_path_ablation.py --variant winograd / native)
Run: cd benchmarks && ../.venv/bin/python winograd_nnpack.py --part lpips --resolution 1024
(lpips needs INVGEN_LPIPS_WEIGHTS pointing at the backbone weights.)
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import types
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.runtime.speed import kept_memory
from timing import alternate, machine_line, print_medians, timed  # benchmarks/timing.py (run from any folder)


class NNPACKConv3x3(torch.autograd.Function):
    """A stride-1, padding-1 3x3 convolution with a frozen weight through NNPACK, forward and backward (the
    gradient to the input is the convolution of the gradient with the flipped, transposed weight)."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None, flipped: Tensor) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(flipped)
        return torch._nnpack_spatial_convolution(x.contiguous(), weight, bias, [1, 1])

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:  # type: ignore[override]
        (flipped,) = ctx.saved_tensors
        return torch._nnpack_spatial_convolution(grad.contiguous(), flipped, None, [1, 1]), None, None, None


_PREPARED: dict[int, tuple[Tensor, Tensor, Tensor]] = {}  # id(weight) -> (weight, contiguous, flipped)


def nnpack_conv(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """:class:`NNPACKConv3x3` with the weight's contiguous and flipped forms made once (the benchmark's weights
    live as long as the process), as the fast path keeps its own."""
    kept = _PREPARED.get(id(weight))
    if kept is None or kept[0] is not weight:
        contiguous = weight.detach().contiguous()
        kept = _PREPARED[id(weight)] = (weight, contiguous, contiguous.flip(2, 3).transpose(0, 1).contiguous())
    return NNPACKConv3x3.apply(x, kept[1], None if bias is None else bias.detach(), kept[2])


def vgg16_shapes(resolution: int) -> list[tuple[int, int, int]]:
    """(input channels, output channels, size) of VGG16's 3x3 convolutions up to conv5_3 on a square image."""
    plan = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
            (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
    sizes = [1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16]
    return [(cin, cout, resolution // s) for (cin, cout), s in zip(plan, sizes)]


def part_convs(resolution: int) -> None:
    generator = [(512, 512, 32), (512, 512, 64), (256, 256, 128), (128, 128, 256)]
    print("| convolution (in, out, px) | direct channels-last ms | direct NCHW ms | NNPACK ms | NCHW copy ms |")
    print("|---|---|---|---|---|")
    with kept_memory(), torch.no_grad():
        for label, shapes in (("generator 256 px", generator), (f"VGG16 at {resolution} px", vgg16_shapes(resolution))):
            for cin, cout, size in dict.fromkeys(shapes):
                x = torch.randn(1, cin, size, size)
                weight = torch.randn(cout, cin, 3, 3) / (3 * cin ** 0.5)
                x_last, w_last = (t.contiguous(memory_format=torch.channels_last) for t in (x, weight))
                direct_last = timed(lambda: F.conv2d(x_last, w_last, padding=1), 3) * 1000
                direct = timed(lambda: F.conv2d(x, weight, padding=1), 3) * 1000
                nnpack = timed(lambda: torch._nnpack_spatial_convolution(x, weight, None, [1, 1]), 3) * 1000
                copy = timed(lambda: x_last.contiguous(), 3) * 1000
                print(f"| {label}: {cin}, {cout}, {size} | {direct_last:.1f} | {direct:.1f} | {nnpack:.1f} | {copy:.1f} |")


def part_synthesis(rounds: int) -> dict[str, list[float]]:
    import invgen
    from invgen_stylegan2.fast import ops as fast_ops

    generator = invgen.generator("stylegan2-random:resolution=256,modconv=scaling")  # direct convolutions
    start = generator.initial_latent(1)

    def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0,
               dilation: int = 1, groups: int = 1) -> Tensor:
        if (x.dtype == torch.float32 and weight.shape[-1] == 3 and padding == 1 and stride == 1 and groups == 1
                and 64 <= x.shape[-1] <= 128):
            return nnpack_conv(x, weight, bias).contiguous(memory_format=torch.channels_last)
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)

    @contextlib.contextmanager
    def nnpack() -> Iterator[None]:
        fast_ops.F = types.SimpleNamespace(**{**vars(F), "conv2d": conv2d})
        try:
            yield
        finally:
            fast_ops.F = F

    @contextlib.contextmanager
    def winograd() -> Iterator[None]:
        generator.network.synthesis.set_modconv_form("winograd")
        try:
            yield
        finally:
            generator.network.synthesis.set_modconv_form("scaling")

    def step() -> None:
        w = start.clone().requires_grad_(True)
        generator.synthesize(w).square().sum().backward()
    return alternate({"direct": contextlib.nullcontext, "nnpack": nnpack, "winograd": winograd}, step, rounds)


def part_lpips(resolution: int, rounds: int) -> dict[str, list[float]]:
    from invgen_losses.perceptual import LPIPSLoss

    loss = LPIPSLoss("vgg")
    convs = [(block, name, module) for block in loss.model.net.children()
             for name, module in block.named_children() if isinstance(module, torch.nn.Conv2d)]

    def through_nnpack(conv: torch.nn.Conv2d) -> Callable[[Tensor], Tensor]:
        def forward(x: Tensor) -> Tensor:
            if x.shape[1] >= 128 and x.shape[-1] >= 64 and x.dtype == torch.float32:
                return nnpack_conv(x, conv.weight, conv.bias)
            return conv(x)
        return forward

    from invgen_stylegan2.fast import winograd

    kernels = {id(conv): (conv.weight.detach(), winograd.transform_weight(conv.weight),  # made once, wide ones only
                          winograd.transform_weight(conv.weight.flip(2, 3).transpose(0, 1)))
               for _, _, conv in convs if min(conv.weight.shape[:2]) >= 256}

    def through_winograd(conv: torch.nn.Conv2d) -> Callable[[Tensor], Tensor]:
        def forward(x: Tensor) -> Tensor:
            if id(conv) in kernels and x.shape[-1] >= 32:
                y = winograd.FrozenConv3x3.apply(x.contiguous(memory_format=torch.channels_last), *kernels[id(conv)])
                return y + conv.bias[None, :, None, None]
            return conv(x)
        return forward

    def replacing(through: Callable) -> Callable[[], contextlib.AbstractContextManager]:
        @contextlib.contextmanager
        def replaced() -> Iterator[None]:
            for block, name, conv in convs:
                block._modules[name] = _Call(through(conv))
            try:
                yield
            finally:
                for block, name, conv in convs:
                    block._modules[name] = conv
        return replaced

    forms = {"direct": contextlib.nullcontext, "nnpack": replacing(through_nnpack),
             "winograd": replacing(through_winograd)}

    generator = torch.Generator().manual_seed(0)
    observation = torch.rand(1, 3, resolution, resolution, generator=generator) * 2 - 1
    start = (torch.rand(1, 3, resolution, resolution, generator=generator) * 2 - 1).contiguous(
        memory_format=torch.channels_last)

    def step() -> None:
        prediction = start.clone().requires_grad_(True)
        loss(prediction, observation, None).sum().backward()

    def gradient(model: LPIPSLoss, dtype: torch.dtype) -> Tensor:
        prediction = start.to(dtype).detach().clone().requires_grad_(True)
        model(prediction, observation.to(dtype), None).sum().backward()
        return prediction.grad.double()

    exact = gradient(copy.deepcopy(loss).double(), torch.float64)
    for label, form in forms.items():
        with form():
            error = ((gradient(loss, torch.float32) - exact).norm() / exact.norm()).item()
        print(f"{label}: gradient's relative difference from the float64 model's {error:.1e}")
    return alternate(forms, step, rounds)


def part_winograd(bf16: bool) -> None:
    from invgen_stylegan2.fast import native, winograd

    dtype = torch.bfloat16 if bf16 else torch.float32
    print(f"C transforms: {native.status()}; activations and the direct convolution in {dtype}\n")
    print("| convolution (in, out, px, batch) | direct channels-last ms | F(4x4,3x3), PyTorch transforms ms "
          "| F(4x4,3x3), C transforms ms | relative error F(4x4,3x3) | relative error direct |")
    print("|---|---|---|---|---|---|")
    shapes = ((512, 16, 1), (512, 32, 1), (512, 64, 1), (256, 128, 1), (128, 256, 1), (64, 512, 1), (32, 1024, 1),
              (128, 32, 1), (128, 32, 2), (512, 16, 2), (512, 16, 8), (512, 32, 8), (256, 128, 8))
    with kept_memory(), torch.no_grad():
        for channels, size, batch in shapes:
            x = torch.randn(batch, channels, size, size).contiguous(memory_format=torch.channels_last).to(dtype)
            weight = torch.randn(channels, channels, 3, 3) / (3 * channels ** 0.5)
            w_last = weight.contiguous(memory_format=torch.channels_last).to(dtype)
            transformed = winograd.transform_weight(weight)
            direct = timed(lambda: F.conv2d(x, w_last, padding=1), 3) * 1000
            by_torch = timed(lambda: winograd._conv3x3_torch(x.float(), transformed).to(dtype), 3) * 1000
            by_c = timed(lambda: winograd.conv3x3(x, transformed), 3) * 1000 if native.library() else float("nan")
            exact = F.conv2d(x.double(), weight.double(), padding=1)
            errors = [((y.double() - exact).norm() / exact.norm()).item()
                      for y in (winograd.conv3x3(x, transformed), F.conv2d(x, w_last, padding=1))]
            print(f"| {channels}, {channels}, {size}, {batch} | {direct:.1f} | {by_torch:.1f} | {by_c:.1f} "
                  f"| {errors[0]:.1e} | {errors[1]:.1e} |")


class _Call(torch.nn.Module):
    def __init__(self, function: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.function = function

    def forward(self, x: Tensor) -> Tensor:
        return self.function(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("convs", "synthesis", "lpips", "winograd"), required=True)
    parser.add_argument("--resolution", type=int, default=1024, help="VGG16's input size (convs, lpips)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--bf16", action="store_true", help="winograd: bfloat16 activations (the C transforms' "
                        "float32 convolution against the bfloat16 direct one)")
    args = parser.parse_args()
    if args.part != "winograd" and not torch._nnpack_available():  # the call also initialises NNPACK
        raise SystemExit("this PyTorch build has no NNPACK")
    print(f"{machine_line()}; {args.part}" + (f", {args.resolution} px" if args.part in ("convs", "lpips") else ""))
    if args.part == "convs":
        part_convs(args.resolution)
        return
    if args.part == "winograd":
        part_winograd(args.bf16)
        return
    times = part_synthesis(args.rounds) if args.part == "synthesis" else part_lpips(args.resolution, args.rounds)
    print_medians(times)


if __name__ == "__main__":
    main()
