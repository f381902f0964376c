"""Lengths of time as people read them: in a sentence, or in a narrow column."""

from __future__ import annotations


def spoken(seconds: float) -> str:
    """For a sentence: ``350 ms``, ``4.2 s``, ``2.5 min``."""
    if abs(seconds) < 1:
        return f"{seconds * 1000:.0f} ms"
    if abs(seconds) < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def compact(seconds: float) -> str:
    """For a column or a label: ``0.35s``, ``4.2s``, ``42s``, ``2m05s``, ``1h02m``."""
    if seconds < 1:
        return f"{seconds:.2f}s"
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
