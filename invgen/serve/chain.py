"""Forward-model specs from the page's typed widgets: one widget per registered parameter, so the
components of any installed plugin appear without page code; the files they name are the session's uploads,
shown by name and resolved only here. Gradio-free, so it is tested on its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

from invgen.errors import SpecError
from invgen.registry.params import Param, canonical_values, resolve
from invgen.registry.paths import replace_paths
from invgen.registry.table import ComponentInfo
from invgen.registry.spec import format_spec, parse_spec

LIST_KINDS = ("floats", "ints")


def widget_kind(param: Param) -> str:
    """How the page asks for ``param``: number, checkbox, dropdown, file or text."""
    if param.kind in ("float", "int"):
        return "number"
    if param.kind == "bool":
        return "checkbox"
    if param.kind == "choice":
        return "dropdown"
    if param.kind == "path":
        return "file"
    return "text"


def widget_label(param: Param) -> str:
    """The widget's label: the name, what is valid and whether it may be left empty."""
    needed = " (required)" if param.required else " (optional)" if param.default is None else ""
    return f"{param.name}{needed}: {param.expected()}"


def spec_from_widgets(info: ComponentInfo, values: Sequence[Any]) -> str:
    """The canonical spec of ``info`` with ``values`` (one per parameter, as the widgets give them: empty text,
    None or an unset file mean "not given"); a :class:`SpecError` names the parameter and what is valid."""
    given: dict[str, object] = {}
    for param, value in zip(info.params, values):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if param.kind in LIST_KINDS:
            value = parse_spec(f"{info.name}:{param.name}={str(value).strip()}").values[param.name]
        elif param.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        given[param.name] = value
    checked = resolve(info.params, given, info.name)
    return format_spec(info.name, canonical_values(info.params, checked))


def chain_lines(text: str) -> list[str]:
    """The chain box's specs, one per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]



def confined(kind: str, spec: str, uploads: dict[str, str]) -> str:
    """``spec`` (a component of ``kind`` typed on the page) with each file it names resolved among this
    session's ``uploads`` (the name shown on the page -> where the server keeps it). Any other path is refused
    with one line that is the same whether or not such a file exists on the server: the page reads only
    what it was given."""
    def resolve_upload(value: str) -> str:
        if value in uploads:
            return uploads[value]
        raise SpecError(f"{value!r} is not a file uploaded on this page; the page reads only its uploads: add the "
                        "file with the corruption's file box")
    return replace_paths(kind, spec, resolve_upload)


def upload_name(path: str, uploads: dict[str, str]) -> str:
    """The name an uploaded file is shown by (its own file name, made safe; ``-2``, ``-3`` ... when this session
    has another upload of that name), never the server's path to it."""
    stem = re.sub(r"[^A-Za-z0-9_.\-]+", "_", Path(path).name).strip("._") or "upload"
    name, count = stem, 1
    while name in uploads and uploads[name] != path:
        count += 1
        base, dot, suffix = stem.rpartition(".")
        name = f"{base}-{count}.{suffix}" if dot else f"{stem}-{count}"
    return name
