"""Evaluation tasks: the ones plugins register (``sr4``, ``deblur`` ...), or any user chain ``"a | b"``."""

from __future__ import annotations

from invgen.errors import SpecError
from invgen.registry.manager import registry
from invgen.registry.records import Task


def task(name: str) -> Task:
    """A registered task, or a user chain written as specs separated by ``|``."""
    known = registry().tasks
    if name in known:
        return known[name]
    specs = tuple(part.strip() for part in name.split("|") if part.strip())
    for spec in specs:
        try:
            registry().parse("forward", spec)
        except SpecError as error:
            named = ", ".join(known) or "none registered"
            raise SpecError(f"task {name!r} is neither a registered task ({named}) nor a forward chain: "
                            f"{error}") from None
    return Task(name, specs)


def first_task() -> Task:
    """The first registered task: what ``invgen eval`` runs when no ``--task`` is given."""
    if not registry().tasks:
        raise SpecError("no task given and no installed plugin registers one: pass --task with forward specs")
    return next(iter(registry().tasks.values()))
