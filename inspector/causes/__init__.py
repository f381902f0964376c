"""Root causes of defects (issue #17): :func:`explain` gives each finding its :class:`Why`."""

from inspector.causes.explain import explain, tools_and_batches
from inspector.causes.model import CauseKind, Evidence, Why

__all__ = ["CauseKind", "Evidence", "Why", "explain", "tools_and_batches"]
