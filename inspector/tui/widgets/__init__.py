"""Widgets of the inspector app: the tool tree, the detail pane, the status bar."""
