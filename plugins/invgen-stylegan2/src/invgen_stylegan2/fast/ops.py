"""The synthesis layers' arithmetic in fewer passes over memory: the default path.

The same equations as :func:`invgen_stylegan2.network.layers.modulated_conv2d` followed by
:func:`invgen_stylegan2.network.ops.bias_act` (the plain path, kept as the reference and as the
benchmark's baseline), rearranged so that large activations are read and written fewer times:

- leaky ReLU is positively homogeneous, so its gain moves into the demodulation scale and the
  bias (``g * lrelu(y + b) = lrelu(g * y + g * b)``), and scale + bias is one ``addcmul``;
- the modulation either scales the activations around one shared convolution (``scaling``: no
  weight gradient; the CPU's form) or goes into per-sample weights (``fused``: one grouped
  convolution; CUDA's form), :func:`pick_form`;
- 1x1 modulated convolutions (toRGB) take their bias inside the convolution;
- 2x FIR up-sampling is one depthwise transposed convolution (no 4x larger zero-filled image),
  and symmetric FIR padding is the convolution's own (no padded copy);
- a frozen weight is cast, laid out and squared once, not at every step (:func:`frozen_weight`),
  and the activation's backward is written by hand (:class:`ScaleShiftLeakyReLU`);
- on the CPU, the wide 3x3 convolutions of the scaling form go through Winograd's F(4x4, 3x3)
  (:mod:`invgen_stylegan2.fast.winograd`, with C tile transforms where a compiler is there, which also
  let bfloat16 steps convolve their widest layers this way in float32; the ``winograd`` form,
  :func:`uses_winograd`).
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen_stylegan2.fast import winograd
from invgen_stylegan2.network.ops import LRELU_SLOPE, fir

DEMODULATION_EPS = 1e-8


def upsample2d(x: Tensor, kernel: Tensor) -> Tensor:
    """2x up-sampling with the FIR ``kernel`` (as :func:`invgen_stylegan2.network.ops.upsample2d`, even-sized kernels)."""
    size = kernel.shape[-1]
    channels = x.shape[1]
    weight = frozen_scaled(kernel, 4.0, x.dtype)[None, None].expand(channels, 1, -1, -1)
    return F.conv_transpose2d(x, weight, stride=2, padding=size - 1 - (size + 1) // 2, groups=channels)


def fir_padded(x: Tensor, kernel: Tensor, pad: int, gain: float) -> Tensor:
    """:func:`invgen_stylegan2.network.ops.fir` with the same padding on every side, through the convolution's padding."""
    if pad < 0:
        return fir(x, kernel, (pad,) * 4, gain)
    channels = x.shape[1]
    weight = frozen_scaled(kernel, gain, x.dtype, flip=True)[None, None].expand(channels, 1, -1, -1)
    return F.conv2d(x, weight, padding=pad, groups=channels)


def conv2d_up2(x: Tensor, weight_t: Tensor, kernel: Tensor) -> Tensor:
    """:func:`invgen_stylegan2.network.ops.conv2d_up2` for 3x3 weights and 4-tap filters (symmetric FIR padding).

    ``weight_t`` is the weight transposed to the transposed convolution's ``[I, O, k, k]``.
    """
    k, size = weight_t.shape[-1], kernel.shape[-1]
    pad = k // 2 + (size + 1) // 2 - (k - 1)
    return fir_padded(F.conv_transpose2d(x, weight_t, stride=2), kernel, pad, gain=4.0)


def supports_up2(weight: Tensor, kernel: Tensor) -> bool:
    """Whether :func:`conv2d_up2` and :func:`upsample2d` here apply (otherwise the plain ops are used)."""
    k, size = weight.shape[-1], kernel.shape[-1]
    return size % 2 == 0 and k // 2 + (size + 1) // 2 - (k - 1) == k // 2 + (size - 2) // 2 - (k - 2)


MODCONV_FORMS = ("auto", "fused", "scaling", "winograd")
WINOGRAD_MIN_CHANNELS = 256  # F(4x4, 3x3) with PyTorch's tile transforms pays from here, with the C kernels'
WINOGRAD_MIN_CHANNELS_NATIVE = 128  # from here (benchmarks/winograd_nnpack.py --part winograd)
WINOGRAD_MIN_SIZE = 16  # and from images of this size (both sides) and this much work: channels x pixels in
WINOGRAD_MIN_WORK = 256 * 32 * 32  # the batch (below it, its extra operators cost more than they save)
WINOGRAD_BF16_MIN_CHANNELS = 256  # under a bfloat16 autocast, float32 Winograd (C kernels only) beats the bfloat16
WINOGRAD_BF16_MIN_PIXELS = 64 * 64  # direct convolution from here (--part winograd --bf16)


def pick_form(form: str, device: torch.device) -> str:
    """``auto``: scale activations on the CPU (measured faster there at every batch size, docs/performance.md),
    with Winograd convolutions where they pay (``winograd``), grouped per-sample weights elsewhere (the form
    NVIDIA's code uses; measured faster on an H100 at batch 8)."""
    if form != "auto":
        return form
    return "winograd" if device.type == "cpu" else "fused"


def uses_winograd(x: Tensor, weight: Tensor, up: bool) -> bool:
    """Whether the ``winograd`` form convolves ``x`` by :mod:`invgen_stylegan2.fast.winograd` (otherwise directly):
    a frozen float32 3x3 weight, no up-sampling, on the CPU, images of at least ``WINOGRAD_MIN_SIZE`` px a side;
    and then in float32 at least ``WINOGRAD_MIN_CHANNELS`` wide in and out (``WINOGRAD_MIN_CHANNELS_NATIVE``
    with the C tile transforms) with channels x pixels in the batch at least ``WINOGRAD_MIN_WORK``, or, for
    bfloat16 activations under autocast, with the C transforms only (they read and write bfloat16; the
    convolution is float32's), at least ``WINOGRAD_BF16_MIN_CHANNELS`` wide with ``WINOGRAD_BF16_MIN_PIXELS``
    in the batch."""
    if up or weight.shape[-2:] != (3, 3) or weight.dtype != torch.float32 or x.device.type != "cpu":
        return False
    if _trainable(weight) or min(x.shape[-2:]) < WINOGRAD_MIN_SIZE:
        return False
    out_channels, in_channels = weight.shape[:2]
    narrowest, pixels = min(in_channels, out_channels), x.shape[0] * x.shape[-2] * x.shape[-1]
    native = winograd.native_transforms(in_channels, out_channels)
    autocast = torch.is_autocast_enabled("cpu")
    if x.dtype == torch.float32 and not autocast:
        wide = narrowest >= (WINOGRAD_MIN_CHANNELS_NATIVE if native else WINOGRAD_MIN_CHANNELS)
        return wide and narrowest * pixels >= WINOGRAD_MIN_WORK
    if x.dtype == torch.bfloat16 and autocast and native:
        return narrowest >= WINOGRAD_BF16_MIN_CHANNELS and pixels >= WINOGRAD_BF16_MIN_PIXELS
    return False


def demodulated_conv_act(x: Tensor, weight: Tensor, styles: Tensor, bias: Tensor, gain: float, up: bool,
                         kernel: Tensor, noise: Tensor | None = None, clamp: float | None = None,
                         form: str = "auto") -> Tensor:
    """``clamp(lrelu(demod(conv(x, weight * styles)) + noise + bias) * gain)``: a whole synthesis layer.

    ``weight`` is ``[O, I, k, k]``, ``styles [B, I]``, ``noise`` broadcastable to the output; ``form`` is
    ``fused`` (per-sample weights, one grouped convolution), ``scaling`` (activations scaled around one shared
    convolution) or ``auto`` (:func:`pick_form`).
    """
    dtype = step_dtype(x)
    x = x.to(dtype)  # under autocast: in the dtype its weight is kept in
    form = pick_form(form, x.device)
    shared = form != "fused"  # one convolution for the whole batch, activations scaled around it
    winograd_kernels = winograd_weights(weight) if form == "winograd" and uses_winograd(x, weight, up) else None
    weight, squares = frozen_weight(weight, dtype, x.is_contiguous(memory_format=torch.channels_last),
                                    transposed=up and shared)
    styles = styles.to(dtype)
    energy = styles.square() @ squares
    scale = (energy + DEMODULATION_EPS).rsqrt() * gain  # [B, O]
    shift = frozen_scaled(bias, gain, dtype)[None, :, None, None]
    if noise is not None:
        shift = shift + noise.to(dtype) * gain
    if form == "fused":
        y = _grouped_conv(x, weight[None] * styles[:, None, :, None, None] * scale[:, :, None, None, None], up, kernel)
        y = F.leaky_relu(y.add_(shift), LRELU_SLOPE, inplace=True)
    else:
        x = x * styles[:, :, None, None]
        if winograd_kernels is not None:
            y = winograd.FrozenConv3x3.apply(x, weight, *winograd_kernels)
        elif up:
            y = conv2d_up2(x, weight, kernel)
        else:
            y = F.conv2d(x, weight, padding=weight.shape[-1] // 2)
        y = ScaleShiftLeakyReLU.apply(y, scale[:, :, None, None], shift)
    return y if clamp is None else y.clamp(-clamp, clamp)


_FROZEN: dict[int, tuple[weakref.ref, tuple, dict[tuple, tuple[Tensor, ...]]]] = {}  # id(weight) -> (weight,
# its state, {what was made from it: the tensors})


def frozen_weight(weight: Tensor, dtype: torch.dtype, channels_last: bool, transposed: bool = False
                  ) -> tuple[Tensor, Tensor]:
    """``weight [O, I, k, k]`` in ``dtype`` and the activations' layout (``[I, O, k, k]`` if ``transposed``, for
    a transposed convolution), and its ``[I, O]`` sums of squares over the kernel.

    Both are the same at every step of a solve (the generator is frozen), so for a weight that needs no gradient
    they are computed once and kept until the weight changes (:func:`_kept`); a casting or layout copy of each
    weight at every step was 5-10% of a 256 px step.
    """
    def prepare() -> tuple[Tensor, Tensor]:
        layout = torch.channels_last if channels_last else torch.contiguous_format
        cast = weight.to(dtype)
        squares = cast.square().sum(dim=(2, 3)).t()
        return (cast.transpose(0, 1) if transposed else cast).contiguous(memory_format=layout), squares
    return _kept(weight, ("cast", dtype, channels_last, transposed), prepare)  # type: ignore[return-value]


def frozen_scaled(tensor: Tensor, gain: float, dtype: torch.dtype, flip: bool = False) -> Tensor:
    """``(tensor * gain).to(dtype)`` (``tensor`` flipped in its last two dimensions first if ``flip``): biases,
    dense weights and FIR kernels as a step uses them, made once for a frozen tensor (:func:`_kept`) instead
    of two or three small operators (kernel launches on a GPU) per layer and step."""
    def prepare() -> tuple[Tensor]:
        return ((tensor.flip([-2, -1]) if flip else tensor) * gain).to(dtype),
    return _kept(tensor, ("scaled", gain, dtype, flip), prepare)[0]


def step_dtype(x: Tensor) -> torch.dtype:
    """The dtype a step computes ``x``'s layers in: autocast's for ``x``'s device when it is on there, else
    ``x``'s own."""
    device = x.device.type
    if x.is_floating_point() and torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return x.dtype


def winograd_weights(weight: Tensor) -> tuple[Tensor, Tensor]:
    """The Winograd-transformed weight and flipped, transposed weight (forward and input gradient) of a frozen
    3x3 ``weight``, made once (:func:`_kept`)."""
    def prepare() -> tuple[Tensor, Tensor]:
        flipped = weight.detach().flip(2, 3).transpose(0, 1)
        return winograd.transform_weight(weight), winograd.transform_weight(flipped)
    return _kept(weight, ("winograd",), prepare)  # type: ignore[return-value]


def _trainable(weight: Tensor) -> bool:
    return weight.requires_grad and torch.is_grad_enabled()


def _kept(weight: Tensor, kind: tuple, prepare: Callable[[], tuple[Tensor, ...]]) -> tuple[Tensor, ...]:
    """``prepare()``, made once per ``kind`` and kept while ``weight`` is unchanged (same version counter, data
    and device), dropped when the weight dies; for a weight that needs a gradient, or inside ``torch.compile``
    (whose guards on the cache's ids would recompile once per layer), made every time."""
    if _trainable(weight) or torch.compiler.is_compiling():
        return prepare()
    state = (weight._version, weight.data_ptr(), weight.device)
    identity = id(weight)
    entry = _FROZEN.get(identity)
    if entry is None or entry[0]() is not weight or entry[1] != state:
        forget = functools.partial(_FROZEN.pop, identity, None)  # bound to the dict: safe at interpreter exit
        entry = _FROZEN[identity] = (weakref.ref(weight, lambda _: forget()), state, {})
    made = entry[2].get(kind)
    if made is None:  # detached: never the weight itself, so that the entry cannot keep it alive
        made = entry[2][kind] = tuple(tensor.detach() for tensor in prepare())
    return made


ONE_PASS_ELEMENTS = 2**20  # addcmul wins above this (1024 px, bf16: 815 vs 922 ms a step), loses below (32 px)


def _scale_and_shift(y: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
    """``y * scale + bias``: one pass (addcmul) on large tensors, two cheaper kernels on small ones."""
    if y.numel() >= ONE_PASS_ELEMENTS:
        return torch.addcmul(bias, y, scale)
    return (y * scale).add_(bias)


class ScaleShiftLeakyReLU(torch.autograd.Function):
    """``lrelu(y * scale + shift)``: ``scale`` per sample and channel (``[B, C, 1, 1]``), ``shift`` broadcast to
    ``y`` (the bias, plus the noise input when it is on).

    Autograd's ``addcmul`` forms ``y * 1`` before multiplying by the gradient (one more pass over the
    activations); here the gradient to ``scale`` is one product and a sum over pixels.
    """

    @staticmethod
    def forward(ctx: Any, y: Tensor, scale: Tensor, shift: Tensor) -> Tensor:
        out = F.leaky_relu(_scale_and_shift(y, scale, shift), LRELU_SLOPE, inplace=True)
        ctx.save_for_backward(y, scale, out)
        ctx.shift_shape = shift.shape
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        y, scale, out = ctx.saved_tensors
        grad_pre = torch.ops.aten.leaky_relu_backward(grad, out, LRELU_SLOPE, True)
        grad_y = grad_pre * scale if ctx.needs_input_grad[0] else None
        grad_scale = _sum_to(grad_pre * y, scale.shape) if ctx.needs_input_grad[1] else None
        grad_shift = _sum_to(grad_pre, ctx.shift_shape) if ctx.needs_input_grad[2] else None
        return grad_y, grad_scale, grad_shift


def _sum_to(x: Tensor, shape: torch.Size) -> Tensor:
    """Sum ``x`` over the dimensions that ``shape`` broadcasts (size 1 there, or missing in front)."""
    lead = x.dim() - len(shape)
    dims = [d for d in range(x.dim()) if d < lead or (shape[d - lead] == 1 and x.shape[d] != 1)]
    return x.sum(dim=dims, keepdim=True).reshape(shape) if dims else x


def _grouped_conv(x: Tensor, weights: Tensor, up: bool, kernel: Tensor) -> Tensor:
    """Convolve sample b of ``x`` with ``weights[b]`` (``[B, O, I, k, k]``): one grouped convolution."""
    batch, out_channels, in_channels, k, _ = weights.shape
    if batch == 1:
        y = conv2d_up2(x, weights[0].transpose(0, 1), kernel) if up else F.conv2d(x, weights[0], padding=k // 2)
        return y
    grouped = x.reshape(1, batch * in_channels, *x.shape[2:])
    if up:
        flat = weights.transpose(1, 2).reshape(batch * in_channels, out_channels, k, k)
        y = F.conv_transpose2d(grouped, flat, stride=2, groups=batch)
        size = kernel.shape[-1]
        y = fir_padded(y, kernel, k // 2 + (size + 1) // 2 - (k - 1), gain=4.0)
    else:
        y = F.conv2d(grouped, weights.reshape(batch * out_channels, in_channels, k, k), padding=k // 2, groups=batch)
    return y.reshape(batch, out_channels, *y.shape[2:])


def modulated_conv1x1(x: Tensor, weight: Tensor, styles: Tensor, bias: Tensor, clamp: float | None = None) -> Tensor:
    """``clamp(conv1x1(x * styles, weight) + bias)`` (toRGB: no demodulation), bias inside the convolution."""
    y = F.conv2d(x * styles.to(x.dtype)[:, :, None, None], frozen_scaled(weight, 1.0, x.dtype),
                 frozen_scaled(bias, 1.0, x.dtype))
    return y if clamp is None else y.clamp(-clamp, clamp)
