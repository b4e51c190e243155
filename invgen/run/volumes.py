"""A run's volumes written whole: once every slice of a volume (a NIfTI along an axis, a DICOM series) has its
result, the slices are joined into one output folder with the volume (:func:`~invgen.io.volumes.volume_files`)
and a ``run.json`` with a row per slice. Each slice's result keeps ``reconstruction_slice.npy``, the
reconstruction at its input slice's size, from which the volume is made; any process of a sharded run that
finds every slice done writes it (the same files, put in place whole)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from torch import Tensor

import invgen
from invgen.io.volumes import volume_files
from invgen.run.geometry import resample
from invgen.run.inputs import InputItem
from invgen.run.store import RunStore

SLICE_FILE = "reconstruction_slice.npy"


def slice_bytes(image: Tensor, size: Sequence[int], warnings: list[str]) -> bytes:
    """The first image's first channel ``[H, W]`` as float32 ``.npy`` at the input slice's ``size`` (resampled,
    with a warning, when the reconstruction has another size, e.g. after a super-resolution)."""
    if tuple(image.shape[-2:]) != tuple(size):
        warnings.append(f"the reconstruction is {image.shape[-2]}x{image.shape[-1]}, the slice {size[0]}x{size[1]}: "
                        "resampled to the slice's size for the volume")
        image = resample(image[:1, :1].float(), (int(size[0]), int(size[1])))
    buffer = io.BytesIO()
    np.save(buffer, image[0, 0].detach().cpu().float().numpy(), allow_pickle=False)
    return buffer.getvalue()


def write_volumes(store: RunStore, items: Sequence[InputItem]) -> list[Path]:
    """Write every volume among ``items`` whose slices are all complete; returns the folders written."""
    from invgen.render.map_files import json_bytes

    volumes: dict[str, list[InputItem]] = {}
    for item in items:
        if item.volume is not None:
            volumes.setdefault(item.volume.volume, []).append(item)
    written = []
    for name, members in volumes.items():
        members.sort(key=lambda item: item.volume.index)  # type: ignore[union-attr]
        records = [store.record(item.name) for item in members]
        if len(members) != members[0].volume.count or not all(  # type: ignore[union-attr]
                record is not None and not record.get("interrupted") and SLICE_FILE in record.get("files", [])
                for record in records):
            continue
        slices = [(np.load(store.folder(item.name) / SLICE_FILE), record["medical"])  # type: ignore[index]
                  for item, record in zip(members, records)]
        files, notes = volume_files(slices, f"{records[0]['generator']} | {' | '.join(records[0]['forward'])}")
        record = _volume_record(name, members, records, notes)
        record["files"] = sorted(files)
        files["run.json"] = json_bytes(record)
        written.append(store.write(name, files))
    return written


def _volume_record(name: str, members: Sequence[InputItem], records: Sequence[dict[str, Any]],
                   notes: list[str]) -> dict[str, Any]:
    """The volume's ``run.json``: where it came from and a row per slice (its result folder and metrics)."""
    first = records[0]["medical"]
    source: dict[str, Any] = ({"format": "nifti", "path": first["path"], "axis": first["axis"],
                               "shape": first["volume_shape"]} if first["format"] == "nifti" else
                              {"format": "dicom", "files": [record["medical"]["path"] for record in records]})
    rows = []
    for item, record in zip(members, records):
        where = record["medical"].get("slice") if first["format"] == "nifti" else record["medical"]["path"]
        rows.append({"index": item.volume.index, "slice": where, "result": item.name,  # type: ignore[union-attr]
                     "metrics": {key: values[0] for key, values in record.get("metrics", {}).items()},
                     "fit_db": record.get("fit", {}).get("observation_db"),
                     "seconds": record.get("timings_s", {}).get("total")})
    volume: dict[str, Any] = {"volume": name, "version": invgen.__version__, "source": source,
                              "generator": records[0]["generator"], "forward": records[0]["forward"], "slices": rows}
    if notes:
        volume["warnings"] = notes
    return volume
