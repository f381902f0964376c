"""Inspect AI coding agent sessions for tool-call pairing defects the API rejects."""

__version__ = "0.1.0"
