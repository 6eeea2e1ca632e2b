"""Errors a user can act on.

An `InputError` carries where the bad input came from (a file, an option, a folder), the
key and the reason, so the command line can print one line that points at the fix.
`ScenarioError` is the older name of the same error and keeps working. Anything else
that escapes is a bug.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a file, key, value, option or folder that cannot be used."""

    def __init__(self, reason: str, *, key: str = "", source: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key
        self.source = source

    def located(self, *, key: str | None = None, source: str | None = None) -> "InputError":
        """A copy with the key or source filled in where it was not known yet."""
        return type(self)(
            self.reason,
            key=self.key or (key or ""),
            source=self.source or (source or ""),
        )

    def __reduce__(self) -> tuple:
        # Errors raised in a worker process cross back whole, key and source included.
        return (_rebuild, (type(self), self.reason, self.key, self.source))

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.key) if p]
        parts.append(self.reason)
        return ": ".join(parts)


ScenarioError = InputError


def _rebuild(cls: type, reason: str, key: str, source: str) -> InputError:
    return cls(reason, key=key, source=source)


class ConservationError(RuntimeError):
    """Records were created or lost inside the model: always a bug, never bad input."""


class WorkLimitError(InputError):
    """A scenario whose work grew past a stated bound while it ran."""
