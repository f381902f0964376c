"""Short, plain reasons for operating-system errors, for one-line messages."""

from __future__ import annotations

import errno
from pathlib import Path

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "the name is already taken",
    errno.EISDIR: "is a folder, not a file",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENOTDIR: "a part of the path is not a folder",
}


def describe_os_error(error: OSError) -> str:
    """A short reason for an OS error ("no space left on the device", …)."""
    if error.errno in _REASONS:
        return _REASONS[error.errno]
    return error.strerror or str(error) or type(error).__name__


def describe_failure(error: Exception, path: Path) -> str:
    """One line saying why ``path`` could not be used (an OS error, or the error's own words)."""
    if isinstance(error, OSError):
        return f"{path}: {describe_os_error(error)}"
    return str(error)
