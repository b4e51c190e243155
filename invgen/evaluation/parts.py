"""Finished (task, method) results kept beside the tables, so that a long evaluation can resume.

Each outcome is written, atomically, to ``OUTPUT/parts/<key>.safetensors`` as soon as it is
done: per-image metrics and the example reconstructions as tensors, the rest as metadata. The
key hashes everything that decides the numbers (generator, data, images, task, method and
solver settings), so ``invgen eval --resume`` reuses only results of the same experiment.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from invgen.io.atomic import write_atomic
from invgen.evaluation.trials import MethodOutcome

FOLDER = "parts"


def part_key(settings: dict[str, Any], clean: torch.Tensor) -> str:
    """A short hash of ``settings`` (JSON-serialisable) and of the clean images' bytes."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(clean.contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


def save_part(output: Path, key: str, outcome: MethodOutcome) -> None:
    from safetensors.torch import save

    tensors = {f"metric.{name}": torch.tensor(values, dtype=torch.float64) for name, values in outcome.metrics.items()}
    if outcome.examples is not None:
        tensors["examples"] = outcome.examples.contiguous()
    metadata = {"task": outcome.task, "method": outcome.method, "seconds": repr(outcome.seconds),
                "count": str(outcome.count), "example_indices": json.dumps(outcome.example_indices),
                "threads": str(outcome.threads)}
    write_atomic(output / FOLDER / f"{key}.safetensors", save(tensors, metadata=metadata))


def load_part(output: Path, key: str) -> MethodOutcome | None:
    """The saved outcome for ``key``, or None when there is none (or it cannot be read)."""
    from safetensors import SafetensorError, safe_open

    path = output / FOLDER / f"{key}.safetensors"
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        metrics = {name.removeprefix("metric."): tensor.tolist() for name, tensor in tensors.items()
                   if name.startswith("metric.")}
        examples = tensors.get("examples")
        # parts saved before example_indices existed hold the first images' reconstructions
        default = "[]" if examples is None else json.dumps(list(range(len(examples))))
        return MethodOutcome(metadata["task"], metadata["method"], metrics, float(metadata["seconds"]),
                       int(metadata["count"]), examples, json.loads(metadata.get("example_indices", default)),
                       int(metadata.get("threads", "0")))
    except (SafetensorError, KeyError, ValueError, OSError):
        return None
