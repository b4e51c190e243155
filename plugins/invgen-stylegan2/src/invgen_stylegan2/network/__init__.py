"""The StyleGAN2 network and its reference arithmetic: :mod:`.ops` (FIR resampling, biased activations,
written from the papers' equations), :mod:`.layers` (mapping, modulated convolutions, synthesis blocks) and
:mod:`.networks` (the whole generator). These are the reference: the fast forms in
:mod:`invgen_stylegan2.fast` are tested against them, and the plain path (``invgen.plugin.plain_paths``,
``invgen bench --baseline``) runs them."""
