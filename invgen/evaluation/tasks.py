"""Named tasks: forward chains used to corrupt the evaluation images (any user chain works too).

``inpaint-large`` varies its free-form mask over images: image ``i`` uses mask seed ``i % 10``,
so the set sees ten different masks while images sharing a mask are still solved together.
"""

from __future__ import annotations

from dataclasses import dataclass

from invgen.spec import SpecError

MASK_VARIANTS = 10


@dataclass(frozen=True)
class Task:
    """A named corruption; ``chain_for(i)`` is the list of forward specs applied to image ``i``."""

    name: str
    specs: tuple[str, ...]
    varies: bool = False

    def chain_for(self, index: int) -> list[str]:
        if not self.varies:
            return list(self.specs)
        return [spec.replace("{seed}", str(index % MASK_VARIANTS)) for spec in self.specs]

    def group_of(self, index: int) -> int:
        return index % MASK_VARIANTS if self.varies else 0


TASKS = {
    "sr4": Task("sr4", ("downsample:factor=4",)),
    "sr8": Task("sr8", ("downsample:factor=8",)),
    "inpaint-center": Task("inpaint-center", ("center-mask:fraction=0.25",)),
    "inpaint-large": Task("inpaint-large", ("random-mask:kind=strokes,fraction=0.3,seed={seed}",), varies=True),
    "deblur": Task("deblur", ("blur:sigma=1.5", "noise:std=0.02")),
}


def task(name: str) -> Task:
    """A named task, or a user chain written as specs separated by ``|``."""
    from invgen.plugins import registry

    if name in TASKS:
        return TASKS[name]
    specs = tuple(part.strip() for part in name.split("|") if part.strip())
    for spec in specs:
        try:
            registry().parse("forward", spec)
        except SpecError as error:
            raise SpecError(f"task {name!r} is neither a named task ({', '.join(TASKS)}) nor a forward chain: "
                            f"{error}") from None
    return Task(name, specs)
