"""The fast operations, the default path: the same equations as :mod:`invgen_stylegan2.network` rearranged to
pass over memory fewer times (:mod:`.ops`), Winograd's F(4x4, 3x3) for wide 3x3 convolutions on the CPU
(:mod:`.winograd`) and its C tile transforms (:mod:`.native`, ``csrc/``, built on first use).

Names shared with the reference say which is which: ``network.ops.upsample2d`` and ``network.ops.conv2d_up2``
are the reference (zero insertion, then the FIR filter); ``fast.ops.upsample2d`` and ``fast.ops.conv2d_up2``
are the fast forms (one depthwise transposed convolution), each tested against the reference."""
