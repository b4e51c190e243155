"""Registrations only: this module is imported on every `invgen` start, so it must not import torch."""

from __future__ import annotations

from typing import Callable

from invgen.plugin import Param, hookimpl


@hookimpl
def register_forward_models(register: Callable[..., None]) -> None:
    # 3. one register() per component: a name, a lazy "module:Class", typed parameters, a summary
    register("vignette", "invgen_myplugin.vignette:Vignette", params=(
        Param("strength", "float", 0.5, "darkening at the corners: 0 none, 1 black", min=0.0, max=1.0),
    ), summary="darkens the image towards its corners (a lens's vignetting)")
