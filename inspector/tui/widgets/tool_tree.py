"""The tool tree: session → messages → tool calls → results (and subagents, branches).

Nodes hold only a :class:`NodeRef` (what kind of row, which conversation, which
key); the row itself is looked up in the conversation's latest view, so a node
never shows stale data. Children are built when a node is first expanded. A new
view is merged into the existing nodes by key: rows that stay keep their node (and
so the cursor, expansion and scroll), their label is replaced only when it changed,
and only rows that differ are removed or added.

Only the newest :attr:`ToolTree.window` messages are put in
the tree at first; a "⋯ N earlier messages" row loads more, and jumping to a
problem loads what it needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from rich.text import Text, TextType
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode, UnknownNodeID

from inspector.tui import labels
from inspector.tui.conversation_view import (
    WINDOW,
    ApiErrorRow,
    BranchRow,
    CallKey,
    CallRow,
    ConversationModel,
    ConversationView,
    Item,
    ItemKey,
    LooseSubagentRow,
    MessageRow,
    NodeKind,
    Problem,
)

BRANCH_LINES_SHOWN = 200


@dataclass(eq=False, slots=True, repr=False)
class NodeRef:
    """What a tree node shows: a kind, the conversation it belongs to, and a key."""

    kind: NodeKind
    owner: ConversationNodes
    key: Any = None
    """An ItemKey, a CallKey, or (branch key, position) for a branch entry."""
    populated: bool = False
    """Children were built (nodes are filled on first expand)."""
    child: ConversationNodes | None = None
    """For a subagent node: the subagent's own conversation, once asked for."""
    shown: object = None
    """The row of the view it was last labelled from: a row that a newer view reuses
    (the same object: same message, calls and findings) needs no new label."""

    def __repr__(self) -> str:
        return f"NodeRef({self.kind.value}, {self.key!r})"


@dataclass(eq=False, repr=False)
class ConversationNodes:
    """One conversation (the session or a subagent) and the nodes that show it."""

    model: ConversationModel
    anchor: TreeNode[NodeRef]
    """The node its rows hang under: the root, or a subagent node."""
    view: ConversationView | None = None
    error: str | None = None
    start: int = 0
    """First message index put in the tree."""
    gap: TreeNode[NodeRef] | None = None
    items: dict[ItemKey, TreeNode[NodeRef]] = field(default_factory=dict)
    loading: bool = False
    filter_messages: set[int] | None = None
    """When a filter is on: the messages that match it (only they are shown)."""
    filter_calls: set[CallKey] | None = None

    def __repr__(self) -> str:
        # Short on purpose: a worker's description reprs its arguments.
        return f"ConversationNodes({str(self.model.path)!r})"

    @property
    def path(self) -> Path:
        return self.model.path

    def message_row(self, key: Any) -> MessageRow | None:
        if self.view is None:
            return None
        item = self.view.items_by_key.get(key)
        return item if isinstance(item, MessageRow) else None

    def call_row(self, key: Any) -> CallRow | None:
        if self.view is None:
            return None
        return self.view.calls.get(key)

    def item(self, key: Any) -> Item | None:
        return self.view.items_by_key.get(key) if self.view else None


class ToolTree(Tree[NodeRef]):
    """Session, messages, calls and results, built lazily and merged in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "expand_cursor", "Expand", show=False, id="tree.expand"),
        Binding("left", "collapse_cursor", "Collapse", show=False, id="tree.collapse"),
    ]

    class LoadRequested(Message):
        """A subagent node was expanded: its conversation must be read."""

        def __init__(self, nodes: ConversationNodes) -> None:
            super().__init__()
            self.nodes = nodes

    class MoreRequested(Message):
        """The "earlier messages" row was chosen: read their texts, then show them."""

        def __init__(self, nodes: ConversationNodes) -> None:
            super().__init__()
            self.nodes = nodes

    def __init__(self, *, id: str | None = None, window: int = WINDOW) -> None:
        super().__init__(Text("no session"), id=id)
        self.window = window
        """Messages put in the tree at first, and added by each "show more"."""
        self.guide_depth = 3
        self.auto_expand = False
        self.main: ConversationNodes | None = None
        self.subagents: list[ConversationNodes] = []
        """Subagent conversations opened in the tree (some may have been removed since)."""

    # ------------------------------------------------------------------ keys

    def action_expand_cursor(self) -> None:
        """Expand the node under the cursor, or go to its first child."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.children:
            self.move_cursor(node.children[0])

    def action_collapse_cursor(self) -> None:
        """Collapse the node under the cursor, or go to its parent."""
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    # ------------------------------------------------------------------ plain labels

    def process_label(self, label: TextType) -> Text:
        """Labels are plain ``Text`` (never markup); keep only the first line."""
        text = label if isinstance(label, Text) else Text(str(label))
        if "\n" in text.plain:
            return text.split()[0]
        return text

    def get_label_width(self, node: TreeNode[NodeRef]) -> int:
        label = node.label
        width = label.cell_len if isinstance(label, Text) else len(str(label))
        return width + 2

    # ------------------------------------------------------------------ session

    def open_session(self, model: ConversationModel) -> ConversationNodes:
        """Forget the current session and show ``model`` (its rows arrive with :meth:`apply`)."""
        self.clear()
        self.subagents = []
        self.root.set_label(labels.session_label(model.path, None))
        nodes = ConversationNodes(model, self.root)
        self.root.data = NodeRef(NodeKind.SESSION, nodes)
        self.root.expand()
        self.main = nodes
        self.cursor_line = 0
        return nodes

    def apply(self, nodes: ConversationNodes, view: ConversationView) -> None:
        """Merge a new view of a conversation into its nodes."""
        restarted = nodes.view is None or view.snapshot.restarted
        nodes.view = view
        nodes.error = None
        nodes.loading = False
        if restarted:
            nodes.start = max(0, view.message_count - self.window)
            self._remove_all(nodes)
        nodes.start = min(nodes.start, view.message_count)
        with self._still():
            self._relabel_anchor(nodes)
            self._sync_items(nodes)

    def set_error(self, nodes: ConversationNodes, error: str) -> None:
        nodes.error = error
        self._relabel_anchor(nodes)

    def _relabel_anchor(self, nodes: ConversationNodes) -> None:
        anchor = nodes.anchor
        ref = anchor.data
        if ref is not None:
            self._set_label(anchor, self.label_for(ref))

    # ------------------------------------------------------------------ top-level rows

    def _wanted_items(self, nodes: ConversationNodes) -> list[Item]:
        view = nodes.view
        if view is None:
            return []
        if nodes.filter_messages is not None:
            wanted = nodes.filter_messages
            return [
                item for item in view.items if isinstance(item, MessageRow) and item.index in wanted
            ]
        return view.items[view.first_item_of(nodes.start) :]

    def _sync_items(self, nodes: ConversationNodes) -> None:
        """Merge the wanted rows into the nodes: the longest run of rows that kept their
        key keeps its nodes; the rest is replaced. Subagent files not linked yet stay at
        the end, matched by key, so a running subagent keeps its node while lines arrive."""
        wanted = self._wanted_items(nodes)
        rows = [item for item in wanted if not isinstance(item, LooseSubagentRow)]
        loose = [item for item in wanted if isinstance(item, LooseSubagentRow)]
        self._sync_gap(nodes)
        children = [child for child in nodes.anchor.children if child is not nodes.gap]
        loose_nodes = [c for c in children if c.data and c.data.kind is NodeKind.LOOSE_SUBAGENT]
        current = [c for c in children if not (c.data and c.data.kind is NodeKind.LOOSE_SUBAGENT)]
        same = _same_keys(current, rows)
        if same < len(current):
            self._remove_nodes(nodes, current[same:])
        for node, item in zip(current[:same], rows[:same], strict=True):
            self._update_item(nodes, node, item)
        first_loose = loose_nodes[0] if loose_nodes else None
        for row in rows[same:]:
            self._add_item(nodes, row, before=first_loose)
        keys = {item.key for item in loose}
        gone = [node for node in loose_nodes if node.data is None or node.data.key not in keys]
        self._remove_nodes(nodes, gone)
        shown = {node.data.key for node in loose_nodes if node.data and node.data.key in keys}
        for agent in loose:
            if agent.key in shown:
                self._update_item(nodes, nodes.items[agent.key], agent)
            else:
                self._add_item(nodes, agent)

    def _sync_gap(self, nodes: ConversationNodes) -> None:
        hidden = 0 if nodes.filter_messages is not None else nodes.start
        if hidden and nodes.gap is None:
            nodes.gap = nodes.anchor.add(
                labels.gap_label(hidden, self.window),
                NodeRef(NodeKind.GAP, nodes),
                before=0,
                allow_expand=False,
            )
        elif hidden and nodes.gap is not None:
            self._set_label(nodes.gap, labels.gap_label(hidden, self.window))
        elif not hidden and nodes.gap is not None:
            self._remove_nodes(nodes, [nodes.gap])
            nodes.gap = None

    def _add_item(
        self, nodes: ConversationNodes, item: Item, before: TreeNode[NodeRef] | None = None
    ) -> TreeNode[NodeRef]:
        kind, expandable = _item_kind(item)
        ref = NodeRef(kind, nodes, item.key, shown=item)
        node = nodes.anchor.add(self.label_for(ref), ref, before=before, allow_expand=expandable)
        nodes.items[item.key] = node
        if nodes.filter_calls is not None and isinstance(item, MessageRow) and expandable:
            self.populate(node)
            node.expand()
        return node

    def _update_item(self, nodes: ConversationNodes, node: TreeNode[NodeRef], item: Item) -> None:
        ref = node.data
        assert ref is not None
        if ref.shown is item:
            return
        ref.shown = item
        self._set_label(node, self.label_for(ref))
        _, expandable = _item_kind(item)
        node.allow_expand = expandable or bool(node.children)
        if ref.populated and isinstance(item, MessageRow):
            self._sync_calls(nodes, node, item)  # a branch's entries never change

    def refilter(self, nodes: ConversationNodes, cursor_key: object) -> None:
        """Rebuild the rows after the filter changed, keeping the cursor on its row if shown."""
        self._remove_all(nodes)
        self._sync_items(nodes)
        if nodes.filter_messages is not None and not nodes.items:
            nodes.anchor.add_leaf(
                labels.note_label("nothing matches the filter (escape clears it)"),
                NodeRef(NodeKind.NOTE, nodes),
            )
        target = self._find(nodes, cursor_key)
        if target is not None:
            self.reveal(target)
        elif nodes.filter_messages is not None:
            first = next(iter(nodes.items.values()), None)
            if first is not None:
                self.move_cursor(first)
        else:
            self.follow_tail()

    def _find(self, nodes: ConversationNodes, key: object) -> TreeNode[NodeRef] | None:
        if not isinstance(key, tuple) or len(key) != 3:
            return None
        owner_id, kind, row_key = key
        if owner_id != id(nodes):
            return None
        if kind is NodeKind.MESSAGE:
            return nodes.items.get(row_key)
        if kind in (NodeKind.CALL, NodeKind.RESULT) and nodes.view is not None:
            call = nodes.view.calls.get(row_key)
            if call is not None:
                return self.node_for(nodes, call.message_index, call.key)
        return None

    def extend_window(self, nodes: ConversationNodes, start: int) -> None:
        """Show messages from ``start`` on (their texts were read already)."""
        view = nodes.view
        if view is None or start >= nodes.start:
            return
        first_shown = next(
            (child for child in nodes.anchor.children if child is not nodes.gap), None
        )
        old_start = nodes.start
        nodes.start = max(0, start)
        new_items = view.items[view.first_item_of(nodes.start) : view.first_item_of(old_start)]
        with self._still():
            for item in new_items:
                self._add_item(nodes, item, before=first_shown)
            self._sync_gap(nodes)

    # ------------------------------------------------------------------ children

    @on(Tree.NodeExpanded)
    def _on_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        node = event.node
        ref = node.data
        if ref is None:
            return
        if ref.kind in (NodeKind.SUBAGENT, NodeKind.LOOSE_SUBAGENT):
            self._open_subagent(node, ref)
        else:
            self.populate(node)

    @on(Tree.NodeSelected)
    def _on_selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        node = event.node
        ref = node.data
        if ref is not None and ref.kind is NodeKind.GAP:
            event.stop()
            self.post_message(self.MoreRequested(ref.owner))
        elif node.allow_expand:
            node.toggle()

    def populate(self, node: TreeNode[NodeRef]) -> None:
        """Build a node's children, if not done yet."""
        ref = node.data
        if ref is None or ref.populated:
            return
        ref.populated = True
        owner = ref.owner
        if ref.kind is NodeKind.MESSAGE:
            row = owner.message_row(ref.key)
            if row is not None:
                self._sync_calls(owner, node, row)
        elif ref.kind is NodeKind.CALL:
            row_call = owner.call_row(ref.key)
            if row_call is not None:
                self._sync_call_children(owner, node, row_call)
        elif ref.kind is NodeKind.BRANCH:
            item = owner.item(ref.key)
            if isinstance(item, BranchRow):
                origins = item.branch.origins
                for position, origin in enumerate(origins[:BRANCH_LINES_SHOWN]):
                    node.add_leaf(
                        labels.origin_label(origin),
                        NodeRef(NodeKind.BRANCH_LINE, owner, (ref.key, position)),
                    )
                if len(origins) > BRANCH_LINES_SHOWN:
                    node.add_leaf(
                        labels.note_label(f"… {len(origins) - BRANCH_LINES_SHOWN} more entries"),
                        NodeRef(NodeKind.NOTE, owner),
                    )

    def _sync_calls(
        self, nodes: ConversationNodes, node: TreeNode[NodeRef], row: MessageRow
    ) -> None:
        wanted = list(row.calls)
        if nodes.filter_calls is not None and any(c.key in nodes.filter_calls for c in wanted):
            wanted = [call for call in wanted if call.key in nodes.filter_calls]
        current = list(node.children)
        same = _same_keys(current, wanted)
        if same < len(current):
            self._remove_nodes(nodes, current[same:])
        for child, call in zip(current[:same], wanted[:same], strict=True):
            assert child.data is not None
            self._set_label(child, self.label_for(child.data))
            child.allow_expand = _call_expandable(call)
            if child.data.populated:
                self._sync_call_children(nodes, child, call)
        for call in wanted[same:]:
            node.add(
                self.label_for(NodeRef(NodeKind.CALL, nodes, call.key)),
                NodeRef(NodeKind.CALL, nodes, call.key),
                allow_expand=_call_expandable(call),
            )

    def _sync_call_children(
        self, nodes: ConversationNodes, node: TreeNode[NodeRef], call: CallRow
    ) -> None:
        if call.call.use is None:
            return  # a result without a call: the call row is the result
        result_node = next(
            (c for c in node.children if c.data and c.data.kind is NodeKind.RESULT), None
        )
        if call.call.result is not None:
            ref = NodeRef(NodeKind.RESULT, nodes, call.key)
            if result_node is None:
                node.add_leaf(self.label_for(ref), ref, before=0)
            else:
                self._set_label(result_node, self.label_for(ref))
        elif result_node is not None:
            self._remove_nodes(nodes, [result_node])
        agent_node = next(
            (c for c in node.children if c.data and c.data.kind is NodeKind.SUBAGENT), None
        )
        if call.subagent_path is not None and agent_node is None:
            ref = NodeRef(NodeKind.SUBAGENT, nodes, call.key)
            node.add(self.label_for(ref), ref, allow_expand=True)
        elif agent_node is not None and agent_node.data is not None:
            self._set_label(agent_node, self.label_for(agent_node.data))

    def _open_subagent(self, node: TreeNode[NodeRef], ref: NodeRef) -> None:
        if ref.child is None:
            path = self._subagent_path(ref)
            if path is None:
                return
            ref.child = ConversationNodes(ConversationModel(path, is_subagent=True), node)
            self.subagents.append(ref.child)
        if ref.child.view is None and not ref.child.loading:
            ref.child.loading = True
            self.post_message(self.LoadRequested(ref.child))

    def _subagent_path(self, ref: NodeRef) -> Path | None:
        if ref.kind is NodeKind.LOOSE_SUBAGENT:
            item = ref.owner.item(ref.key)
            return item.path if isinstance(item, LooseSubagentRow) else None
        call = ref.owner.call_row(ref.key)
        return call.subagent_path if call is not None else None

    # ------------------------------------------------------------------ labels

    def label_for(self, ref: NodeRef) -> Text:
        owner = ref.owner
        model = owner.model
        kind = ref.kind
        if kind is NodeKind.SESSION:
            return labels.session_label(owner.path, owner.view, owner.error)
        if kind is NodeKind.MESSAGE:
            row = owner.message_row(ref.key)
            if row is None:
                return labels.note_label("(gone)")
            return labels.message_label(row, model.preview(row.message))
        if kind in (NodeKind.CALL, NodeKind.RESULT, NodeKind.SUBAGENT):
            call = owner.call_row(ref.key)
            if call is None:
                return labels.note_label("(gone)")
            if kind is NodeKind.CALL:
                use = call.call.use
                return labels.call_label(call, model.text(use) if use is not None else None)
            if kind is NodeKind.RESULT:
                return labels.result_label(call)
            child = ref.child
            return labels.subagent_label(
                call, child.view if child else None, child.error if child else None
            )
        item = owner.item(ref.key)
        if isinstance(item, ApiErrorRow):
            return labels.api_error_label(item)
        if isinstance(item, BranchRow):
            return labels.branch_label(item)
        if isinstance(item, LooseSubagentRow):
            child = ref.child
            return labels.loose_subagent_label(
                item.path, child.view if child else None, child.error if child else None
            )
        return labels.note_label("")

    def _set_label(self, node: TreeNode[NodeRef], label: Text) -> None:
        if node.label != label:
            node.set_label(label)

    # ------------------------------------------------------------------ finding nodes

    def node_for(
        self,
        nodes: ConversationNodes,
        message_index: int | None,
        call_key: CallKey | None,
        item_key: ItemKey | None = None,
    ) -> TreeNode[NodeRef] | None:
        """The node of a message (expanded to show the call) or of a call; None if not loaded."""
        if message_index is None and item_key is None:
            return nodes.anchor
        key = item_key
        if key is None and nodes.view is not None and message_index is not None:
            key = nodes.view.rows[message_index].key
        node = nodes.items.get(key) if key is not None else None
        if node is None or call_key is None:
            return node
        self.populate(node)
        node.expand()
        return next((c for c in node.children if c.data and c.data.key == call_key), node)

    def reveal(self, node: TreeNode[NodeRef]) -> None:
        """Expand a node's parents, put the cursor on it and scroll it into the middle."""
        parent = node.parent
        while parent is not None:
            if not parent.is_expanded:
                parent.expand()
            parent = parent.parent
        self.last_line  # noqa: B018 - the property rebuilds the lines, so node.line is right
        self.move_cursor(node)
        self.call_after_refresh(self._center, node)

    def _center(self, node: TreeNode[NodeRef]) -> None:
        if node.line >= 0:
            self.scroll_to_line(node.line, animate=False)
            self.scroll_to(y=max(0, node.line - self.size.height // 2), animate=False)

    def follow_tail(self) -> None:
        """Put the cursor on the newest message of the session."""
        main = self.main
        if main is None or main.view is None or not main.view.rows:
            return
        node = main.items.get(main.view.rows[-1].key)
        if node is not None:
            self.last_line  # noqa: B018 - rebuild the lines, so node.line is right
            self.move_cursor(node)
            self.call_after_refresh(self.scroll_end, animate=False)

    def problem_node(self, nodes: ConversationNodes, problem: Problem) -> TreeNode[NodeRef] | None:
        return self.node_for(nodes, problem.message_index, problem.call_key, problem.item_key)

    # ------------------------------------------------------------------ keeping still

    def _still(self) -> _StillView:
        """A context manager: lines added or removed above the viewport do not move it."""
        return _StillView(self)

    def _remove_all(self, nodes: ConversationNodes) -> None:
        self._remove_nodes(nodes, list(nodes.anchor.children))
        nodes.items.clear()
        nodes.gap = None

    def _remove_nodes(self, nodes: ConversationNodes, doomed: list[TreeNode[NodeRef]]) -> None:
        if not doomed:
            return
        cursor = self.cursor_node
        moved = cursor is not None and any(_is_within(cursor, node) for node in doomed)
        for node in doomed:
            if node.data is not None and nodes.items.get(node.data.key) is node:
                del nodes.items[node.data.key]
            if node is nodes.gap:
                nodes.gap = None
            node.remove()
        if moved:
            parent = doomed[0].parent
            survivors = [child for child in parent.children] if parent is not None else []
            target = survivors[-1] if survivors else parent
            self.call_after_refresh(self.move_cursor, target)

    def live_subagents(self) -> list[ConversationNodes]:
        """Opened subagent conversations whose node is still in the tree."""
        alive: list[ConversationNodes] = []
        for nodes in self.subagents:
            try:
                self.get_node_by_id(nodes.anchor.id)
            except UnknownNodeID:
                continue
            alive.append(nodes)
        self.subagents = alive
        return alive

    def iter_nodes(self) -> Iterator[TreeNode[NodeRef]]:
        """Every node, depth first (for tests and finding things)."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


class _StillView:
    """Remembers the node at the top of the viewport and puts it back in the same place."""

    def __init__(self, tree: ToolTree) -> None:
        self.tree = tree
        self.top: TreeNode[NodeRef] | None = None
        self.line = 0

    def __enter__(self) -> _StillView:
        self.line = int(self.tree.scroll_offset.y)
        self.top = self.tree.get_node_at_line(self.line)
        return self

    def __exit__(self, *_: object) -> None:
        tree, top = self.tree, self.top
        if top is None:
            return
        try:
            tree.get_node_by_id(top.id)
        except UnknownNodeID:
            return
        tree.last_line  # noqa: B018 - the property rebuilds the lines now
        shift = top.line - self.line
        if shift:
            tree.scroll_to(y=tree.scroll_offset.y + shift, animate=False, immediate=True)


def _item_kind(item: Item) -> tuple[NodeKind, bool]:
    if isinstance(item, MessageRow):
        return NodeKind.MESSAGE, bool(item.calls)
    if isinstance(item, ApiErrorRow):
        return NodeKind.API_ERROR, False
    if isinstance(item, BranchRow):
        return NodeKind.BRANCH, True
    return NodeKind.LOOSE_SUBAGENT, True


def _call_expandable(call: CallRow) -> bool:
    return call.call.use is not None and (
        call.call.result is not None or call.subagent_path is not None
    )


def _is_within(node: TreeNode[NodeRef], ancestor: TreeNode[NodeRef]) -> bool:
    current: TreeNode[NodeRef] | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


class _Keyed(Protocol):
    @property
    def key(self) -> Any: ...


def _same_keys(nodes: Sequence[TreeNode[NodeRef]], items: Sequence[_Keyed]) -> int:
    """How many leading nodes already show the leading items (same keys, same order)."""
    same = 0
    for node, item in zip(nodes, items, strict=False):
        if node.data is None or node.data.key != item.key:
            break
        same += 1
    return same
