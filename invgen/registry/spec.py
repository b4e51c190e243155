"""The spec language: ``name`` or ``name:key=value,key=value``.

Grammar (see ``docs/spec-language.md``)::

    spec   := name [":" [param ("," param)*]]
    param  := key "=" value
    value  := list | quoted | bare
    list   := "[" [value ("," value)*] "]"
    quoted := '"' chars '"' | "'" chars "'"      (backslash escapes the next character)
    bare   := any characters except , [ ] = and quotes; surrounding spaces are dropped

This module only splits text into a name and raw values (strings and lists of strings);
typing and range checks belong to :mod:`invgen.registry.params`. It imports no torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from invgen.errors import SpecError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_SPECIAL = set(',[]="\'')


@dataclass(frozen=True)
class ParsedSpec:
    """A spec split into its component name and its raw (untyped) values, in written order."""

    name: str
    values: dict[str, object] = field(default_factory=dict)


class _Reader:
    """A cursor over the parameter part of a spec."""

    def __init__(self, text: str, spec: str) -> None:
        self.text, self.spec, self.pos = text, spec, 0

    def fail(self, why: str) -> SpecError:
        return SpecError(f"cannot parse spec {self.spec!r}: {why} at character {self.pos + 1} of the parameters")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def key(self) -> str:
        start = self.pos
        while self.peek() and self.peek() not in "=,":
            self.pos += 1
        key = self.text[start:self.pos].strip()
        if self.peek() != "=":
            raise self.fail(f"expected key=value, found {key!r} with no '='")
        if not _KEY.match(key):
            raise self.fail(f"{key!r} is not a valid parameter name")
        self.pos += 1
        return key

    def value(self) -> object:
        self.skip_spaces()
        char = self.peek()
        if char == "[":
            return self.list_value()
        if char and char in "\"'":
            return self.quoted()
        return self.bare()

    def list_value(self) -> list[object]:
        self.pos += 1
        items: list[object] = []
        self.skip_spaces()
        if self.peek() == "]":
            self.pos += 1
            return items
        while True:
            items.append(self.value())
            self.skip_spaces()
            char = self.peek()
            self.pos += 1
            if char == "]":
                return items
            if char != ",":
                raise self.fail("unclosed list (expected ',' or ']')")

    def quoted(self) -> str:
        quote = self.peek()
        self.pos += 1
        out: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.fail(f"unclosed quote {quote}")
            self.pos += 1
            if char == "\\" and self.peek():
                out.append(self.peek())
                self.pos += 1
            elif char == quote:
                return "".join(out)
            else:
                out.append(char)

    def bare(self) -> str:
        start = self.pos
        while self.peek() and self.peek() not in _SPECIAL:
            self.pos += 1
        if self.peek() in ("=", "'", '"'):
            raise self.fail(f"unexpected {self.peek()!r} in a value (quote values that contain it)")
        value = self.text[start:self.pos].strip()
        if not value:
            raise self.fail("empty value")
        return value


def parse_spec(spec: str) -> ParsedSpec:
    """Split ``spec`` into a name and raw values; raise :class:`SpecError` on malformed text."""
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError("empty spec: give a component name such as 'blur' or 'blur:sigma=2'")
    name, sep, rest = spec.strip().partition(":")
    name = name.strip()
    if not _NAME.match(name):
        raise SpecError(f"cannot parse spec {spec!r}: {name!r} is not a valid component name")
    values: dict[str, object] = {}
    if sep and rest.strip():
        reader = _Reader(rest, spec)
        while True:
            reader.skip_spaces()
            key = reader.key()
            if key in values:
                raise SpecError(f"cannot parse spec {spec!r}: parameter {key!r} is given twice")
            values[key] = reader.value()
            reader.skip_spaces()
            char = reader.peek()
            if not char:
                break
            if char != ",":
                raise reader.fail(f"expected ',' between parameters, found {char!r}")
            reader.pos += 1
    return ParsedSpec(name, values)


def quote_value(text: str) -> str:
    """Write ``text`` so that :func:`parse_spec` reads it back unchanged."""
    if text and text == text.strip() and not (set(text) & _SPECIAL):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_spec(name: str, formatted_values: dict[str, str]) -> str:
    """Join a name and already formatted values into a spec string."""
    if not formatted_values:
        return name
    return name + ":" + ",".join(f"{key}={value}" for key, value in formatted_values.items())
