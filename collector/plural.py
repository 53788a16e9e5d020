"""Counts in words: ``1 bout``, ``2 bouts``, ``0 days`` (every count sitload prints)."""

from __future__ import annotations


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``noun`` for exactly one, else ``nouns`` (default: ``noun + "s"``)."""
    return noun if n == 1 else (nouns if nouns is not None else noun + "s")


def counted(n: int, noun: str, nouns: str | None = None, *, thousands: bool = False) -> str:
    """``"1 bout"``, ``"3 bouts"``; ``thousands`` writes ``12,345``."""
    return f"{n:,} {plural(n, noun, nouns)}" if thousands else f"{n} {plural(n, noun, nouns)}"
