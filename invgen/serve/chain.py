"""Forward-model specs from the page's typed widgets: one widget per registered parameter, so the
components of any installed plugin appear without page code. Gradio-free, so it is tested on its own."""

from __future__ import annotations

from typing import Any, Sequence

from invgen.registry.params import Param, canonical_values, resolve
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

