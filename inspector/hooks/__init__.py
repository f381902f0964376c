"""``inspector hooks install | uninstall | status``: our entries in Claude Code's
``settings.json``, merged in and taken out without disturbing the user's own.

:mod:`~inspector.hooks.document` reads and writes a settings file in its own style,
:mod:`~inspector.hooks.entries` knows our entries, :mod:`~inspector.hooks.settings`
finds the file and changes it safely. The command they install, ``inspector hook``, is
:mod:`~inspector.hooks.respond`.
"""
