"""The footer: every key on a wide terminal, the keys that matter on a narrow one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    """A :class:`Footer` whose keys for :attr:`secondary` actions get the class
    ``-secondary``, which the CSS hides unless the terminal is wide enough for all."""

    def __init__(self, secondary: frozenset[str]) -> None:
        super().__init__()
        self.secondary = secondary
        """Action names whose keys are shown only when there is room (see inspector.tcss)."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in self.secondary:
                widget.add_class("-secondary")
            yield widget
