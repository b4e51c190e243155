"""Reading NVIDIA's network pickles without running anything stored in them.

Their pickles wrap every network in ``torch_utils.persistence``: each module is stored as
``_reconstruct_persistent_obj(meta)`` where ``meta`` holds the Python *source text* of the
module that defines it, a class name and the object's state. The original loader executes
that source text. We resolve only an allow-list of globals, replace the reconstruction
function by one that keeps ``meta`` as inert data (:class:`PersistentStub`), and never look
at ``module_src``. Tensors inside come back through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import collections
import io
import pickle
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import torch


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asks for something outside the allow-list; nothing in it was run."""


@dataclass
class PersistentStub:
    """A persistent object from an NVIDIA pickle, kept as data: class name and state only."""

    class_name: str
    state: dict[str, Any]

    @property
    def init_kwargs(self) -> dict[str, Any]:
        return dict(self.state.get("_init_kwargs") or {})

    def state_dict(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """Parameters and persistent buffers of this module and its children, with dotted names."""
        tensors: dict[str, torch.Tensor] = {}
        skipped = set(self.state.get("_non_persistent_buffers_set") or ())
        for group in ("_parameters", "_buffers"):
            for name, value in (self.state.get(group) or {}).items():
                if value is not None and name not in skipped:
                    tensors[prefix + name] = value.detach()
        for name, child in (self.state.get("_modules") or {}).items():
            if isinstance(child, PersistentStub):
                tensors.update(child.state_dict(f"{prefix}{name}."))
        return tensors


class EasyDictStub(dict):
    """Stands in for ``dnnlib.util.EasyDict`` (a dict with attribute access) while unpickling."""


def _reconstruct_persistent_obj(meta: Any) -> PersistentStub:
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("state"), dict):
        raise UnsafePickleError("malformed persistent object")
    return PersistentStub(str(meta.get("class_name")), dict(meta["state"]))


def _load_from_bytes(data: bytes) -> Any:
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def _dtype(name: str) -> torch.dtype:
    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype):
        raise UnsafePickleError(f"refused global torch.{name}")
    return value


def _numpy_multiarray() -> Any:
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    return multiarray


ALLOWED: dict[tuple[str, str], Any] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): torch._utils._rebuild_parameter_with_state,
    ("torch.storage", "_load_from_bytes"): _load_from_bytes,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("dnnlib.util", "EasyDict"): EasyDictStub,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("numpy", "dtype"): np.dtype,
    ("numpy", "ndarray"): np.ndarray,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    ALLOWED[(_module, "scalar")] = _numpy_multiarray().scalar
    ALLOWED[(_module, "_reconstruct")] = _numpy_multiarray()._reconstruct


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED` globals and torch dtypes."""

    def find_class(self, module: str, name: str) -> Any:
        target = ALLOWED.get((module, name))
        if target is not None:
            return target
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return _dtype(name)
        raise UnsafePickleError(f"refused global {module}.{name} (not on the allow-list)")

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("refused a persistent reference (not an NVIDIA network pickle)")


def safe_load(stream: BinaryIO) -> Any:
    """Unpickle ``stream`` with :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(stream).load()
