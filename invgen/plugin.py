"""The public plugin API: everything a plugin may use, in one module (``from invgen.plugin import ...``).

Plugins, the ones in this repository included, import invgen only from here, so a plugin
published by a third party is built exactly like ours. Names are imported lazily, so a hook
module that does ``from invgen.plugin import hookimpl, Param`` does not import torch.

Registering (in a hook module, no torch): :data:`hookimpl`, :class:`Param`.
Implementing components: :class:`Generator`, :class:`ForwardModel`, :class:`Loss`,
:class:`Prior`, :class:`LatentStats`, :data:`Shape`, :class:`Identity`, and the optional
interface :class:`Convolution` (deconvolution baselines find a blur kernel through it).
Errors (each carries its CLI exit code): :class:`UserError`, :class:`UsageError`,
:class:`SpecError`, :class:`InputError`, :class:`OutputExists`, :class:`WeightsError`.
Files: :func:`load_image`, :func:`load_array`, :func:`open_picture` (a picture opened after its size is checked),
:func:`save_image`, :func:`png_bytes`, :func:`grid_png`,
:data:`IMAGE_SUFFIXES`, :func:`write_atomic`, :func:`quote_value`; weights and caches:
:func:`resolve_weights` (a registered weight file's local path), :func:`data_home`.
Commands: :func:`reported_errors` (one-line errors and exit codes, as the core's commands),
:func:`build_generator` (a generator from a spec), :func:`resolve_device` (``auto``/``cpu``/``cuda:N`` to a
device, TF32 off unless asked).
Speed: :func:`fast_paths` (False inside :func:`plain_paths` and ``invgen bench --baseline``'s plain run: a plugin with an optimised
implementation of the same equations keeps the plain one behind it); :func:`kept_memory` (glibc keeps freed memory for
reuse inside the block, as during a solve: for a plugin's own loops of same-shaped steps, such as training).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_NAMES = {
    "hookimpl": "invgen.registry.hookspecs",
    "Param": "invgen.registry.params",
    "Generator": "invgen.problem.interfaces",
    "ForwardModel": "invgen.problem.interfaces",
    "Loss": "invgen.problem.interfaces",
    "Prior": "invgen.problem.interfaces",
    "LatentStats": "invgen.problem.interfaces",
    "Shape": "invgen.problem.interfaces",
    "Convolution": "invgen.problem.interfaces",
    "SpeedNotes": "invgen.problem.interfaces",
    "Identity": "invgen.problem.chain",
    "UserError": "invgen.errors",
    "UsageError": "invgen.errors",
    "SpecError": "invgen.errors",
    "InputError": "invgen.errors",
    "OutputExists": "invgen.errors",
    "WeightsError": "invgen.errors",
    "load_image": "invgen.io.images",
    "load_array": "invgen.io.images",
    "open_picture": "invgen.io.images",
    "save_image": "invgen.io.images",
    "png_bytes": "invgen.io.images",
    "IMAGE_SUFFIXES": "invgen.io.images",
    "grid_png": "invgen.render.grid",
    "write_atomic": "invgen.io.atomic",
    "quote_value": "invgen.registry.spec",
    "resolve_weights": ("invgen.registry.weights", "resolve_named"),
    "data_home": ("invgen.io.home", "home"),
    "reported_errors": "invgen.runtime.reporting",
    "build_generator": ("invgen.problem.components", "build_generator"),
    "resolve_device": ("invgen.runtime.device", "resolve_device"),
    "fast_paths": "invgen.runtime.speed",
    "plain_paths": "invgen.runtime.speed",
    "kept_memory": "invgen.runtime.speed",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module 'invgen.plugin' has no attribute {name!r} (the plugin API is: "
                             f"{', '.join(__all__)})")
    where = _NAMES[name]
    module_name, attribute = where if isinstance(where, tuple) else (where, name)
    value = getattr(import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
