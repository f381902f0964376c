"""Root causes of defects (issue #17): :func:`explain` gives each finding its :class:`Why`."""

from inspector.causes.explain import explain, finding_batch, finding_tools
from inspector.causes.model import CauseKind, Evidence, Why

__all__ = ["CauseKind", "Evidence", "Why", "explain", "finding_batch", "finding_tools"]
