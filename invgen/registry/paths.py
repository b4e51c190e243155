"""The file paths a spec names: found through each component's declared ``path`` parameters, so a manifest can
read them from its own folder and the page can allow only the files uploaded to it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from invgen.errors import SpecError
from invgen.registry.spec import format_spec, parse_spec, quote_value


def path_values(kind: str, spec: str) -> dict[str, str]:
    """The ``path`` parameters given in ``spec`` (a component of ``kind``), by name; none for a spec that does
    not parse (its error comes when it is built)."""
    from invgen.registry.manager import registry

    try:
        parsed = parse_spec(spec)
        params = registry().info(kind, parsed.name).params
    except SpecError:
        return {}
    paths = {param.name for param in params if param.kind == "path"}
    return {key: value for key, value in parsed.values.items() if key in paths and isinstance(value, str)}


def replace_paths(kind: str, spec: str, replace: Callable[[str], str]) -> str:
    """``spec`` with each of its ``path`` values passed through ``replace`` (the other values as written)."""
    given = path_values(kind, spec)
    if not given:
        return spec
    parsed = parse_spec(spec)
    values = {key: _written(replace(value) if key in given else value) for key, value in parsed.values.items()}
    return format_spec(parsed.name, values)


def rebased(kind: str, spec: str, base: Path) -> str:
    """``spec`` with its relative ``path`` values taken from ``base`` (a manifest's folder)."""
    return replace_paths(kind, spec, lambda value: value if Path(value).is_absolute() else str(base / value))


def _written(value: object) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_written(item) for item in value) + "]"
    return quote_value(str(value))
