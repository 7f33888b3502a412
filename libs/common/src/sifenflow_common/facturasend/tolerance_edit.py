"""What a tolerance rule asks for: one key of the document removed or set, with its warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

REMOVE: Final = object()  # Edit.value: delete the key


@dataclass(frozen=True, slots=True)
class Edit:
    """One change a rule asks for: in the object at ``trail`` (keys and list indexes from the
    document's root), remove ``key`` or set it to ``value``; ``code`` (CAMPO_IGNORADO or
    VALOR_CORREGIDO) and ``message`` are the warning the integrator gets."""

    trail: tuple[str | int, ...]
    key: str
    code: str
    message: str
    value: Any = REMOVE

    def path(self, root: str) -> str:
        text = root
        for step in self.trail:
            text += f"[{step}]" if isinstance(step, int) else f".{step}"
        return f"{text}.{self.key}"
