"""Typed, documented parameters of components: parsing, range checks and formatting.

A component declares its parameters once, at registration, as a tuple of :class:`Param`;
the registry parses spec values with them before it builds the component, so every bad
value is caught with a one-line :class:`~invgen.registry.spec.SpecError` and nothing heavy is
imported to list or check components.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from invgen.errors import SpecError
from invgen.registry.spec import format_spec, quote_value

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
KINDS = ("float", "int", "bool", "str", "choice", "path", "floats", "ints")


@dataclass(frozen=True)
class Param:
    """One parameter: its name, kind, default, range and a one-line description.

    ``kind`` is one of ``float``, ``int``, ``bool``, ``str``, ``choice`` (one of
    ``choices``), ``path``, ``floats`` / ``ints`` (lists). ``default=None`` with
    ``required=False`` means "optional, absent unless given". ``length`` fixes the
    length of a list parameter.
    """

    name: str
    kind: str
    default: Any = None
    doc: str = ""
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    choices: tuple[str, ...] = ()
    required: bool = False
    length: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Param {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"Param {self.name!r}: a choice needs choices")

    def expected(self) -> str:
        """Describe what a valid value looks like, for error messages and listings."""
        if self.kind == "choice":
            return "one of " + "|".join(self.choices)
        if self.kind in ("floats", "ints"):
            count = f"{self.length} " if self.length else ""
            return f"a list of {count}{self.kind[:-1]}s like [1,2]" + self._range_text()
        if self.kind == "bool":
            return "true or false"
        article = "an" if self.kind == "int" else "a"
        return f"{article} {self.kind}" + self._range_text()

    def _range_text(self) -> str:
        low = "" if self.min is None else (f" > {self.min:g}" if self.min_exclusive else f" >= {self.min:g}")
        high = "" if self.max is None else f" <= {self.max:g}"
        return (low + (" and" if low and high else "") + high) if (low or high) else ""

    def parse(self, raw: object, owner: str) -> Any:
        """Turn a raw spec value (text or list of text) or a Python value into a checked value."""
        try:
            value = self._convert(raw)
        except (TypeError, ValueError):
            raise self._bad(raw, owner) from None
        self._check(value, raw, owner)
        return value

    def _convert(self, raw: object) -> Any:
        if self.kind in ("floats", "ints"):
            if isinstance(raw, str) or not isinstance(raw, (list, tuple)):
                raise ValueError
            item = Param(self.name, self.kind[:-1])
            return tuple(item._convert(r) for r in raw)
        if isinstance(raw, (list, tuple)):
            raise ValueError
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise ValueError
        if self.kind == "float":
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if self.kind == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(raw) if not isinstance(raw, str) else int(raw.strip(), 10)
        return str(raw)

    def _check(self, value: Any, raw: object, owner: str) -> None:
        if self.kind == "choice" and value not in self.choices:
            raise self._bad(raw, owner)
        numbers = value if self.kind in ("floats", "ints") else (value,) if self.kind in ("float", "int") else ()
        if self.length is not None and len(numbers) != self.length:
            raise self._bad(raw, owner)
        for number in numbers:
            too_low = self.min is not None and (number <= self.min if self.min_exclusive else number < self.min)
            if too_low or (self.max is not None and number > self.max):
                raise self._bad(raw, owner)

    def _bad(self, raw: object, owner: str) -> SpecError:
        shown = "[" + ",".join(map(str, raw)) + "]" if isinstance(raw, (list, tuple)) else str(raw)
        return SpecError(f"{owner}: {self.name}={shown} is invalid (expected {self.expected()})")

    def format(self, value: Any) -> str:
        """Write a checked value back in spec syntax."""
        if self.kind in ("floats", "ints"):
            return "[" + ",".join(_format_scalar(v) for v in value) + "]"
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind in ("float", "int"):
            return _format_scalar(value)
        return quote_value(str(value))

    def describe_default(self) -> str:
        """The default as shown by ``invgen list``."""
        if self.required:
            return "(required)"
        if self.default is None:
            return "(optional)"
        return self.format(self.default)


def _format_scalar(value: float | int) -> str:
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def resolve(params: tuple[Param, ...], given: dict[str, object], owner: str) -> dict[str, Any]:
    """Check ``given`` values against ``params``; return every parameter's value (defaults filled)."""
    known = {p.name: p for p in params}
    for key in given:
        if key not in known:
            valid = ", ".join(known) or "none"
            raise SpecError(f"{owner}: unknown parameter {key!r} (valid parameters: {valid})")
    values: dict[str, Any] = {}
    for param in params:
        if param.name in given and given[param.name] is not None:
            values[param.name] = param.parse(given[param.name], owner)
        elif param.required:
            raise SpecError(f"{owner}: parameter {param.name!r} is required ({param.expected()})")
        else:
            values[param.name] = param.default
    return values


def canonical_values(params: tuple[Param, ...], values: dict[str, Any]) -> dict[str, str]:
    """The values that differ from their defaults, formatted, in declaration order."""
    out: dict[str, str] = {}
    for param in params:
        value = values.get(param.name)
        if value is not None and (param.required or value != param.default):
            out[param.name] = param.format(value)
    return out


@dataclass(frozen=True)
class SpecRecord:
    """How a component was built: its registered kind and name, declared parameters and checked values.

    The registry attaches one to every component it builds; :meth:`text` is the canonical spec
    (default values left out), which builds the same component again.
    """

    kind: str
    name: str
    params: tuple[Param, ...] = ()
    values: tuple[tuple[str, Any], ...] = field(default=())

    @classmethod
    def of(cls, kind: str, name: str, params: tuple[Param, ...], values: dict[str, Any]) -> "SpecRecord":
        return cls(kind, name, tuple(params), tuple(values.items()))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)

    def text(self) -> str:
        return format_spec(self.name, canonical_values(self.params, self.as_dict()))
