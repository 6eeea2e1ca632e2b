"""Argument types the commands share: each parses one text, or says in one line why not."""

from __future__ import annotations

import argparse

from ..scenario import MAX_REPLICATIONS

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def whole_number(minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value:,}")
        return value

    return parse


positive_int = whole_number(1, 10**6)
replications = whole_number(1, MAX_REPLICATIONS)
seed = whole_number(0, 2**63 - 1)
