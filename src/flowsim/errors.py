"""Errors a user can act on.

A `ScenarioError` carries the file, the key and the reason, so the command line can
print one line that points at the fix. Anything else that escapes is a bug.
"""

from __future__ import annotations


class ScenarioError(Exception):
    """Bad input: a file, key or value that cannot be used."""

    def __init__(self, reason: str, *, key: str = "", source: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key
        self.source = source

    def located(self, *, key: str | None = None, source: str | None = None) -> "ScenarioError":
        """A copy with the key or source filled in where it was not known yet."""
        return ScenarioError(
            self.reason,
            key=self.key or (key or ""),
            source=self.source or (source or ""),
        )

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.key) if p]
        parts.append(self.reason)
        return ": ".join(parts)


class ConservationError(RuntimeError):
    """Records were created or lost inside the model: always a bug, never bad input."""
