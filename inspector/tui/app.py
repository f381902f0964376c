"""The inspector app: a session's tool calls as a live tree, with what the API would reject.

:func:`make_app` builds the app for the CLI (:func:`run_app`) and for the tests.
All reading, rebuilding and checking runs in daemon threads awaited by async
workers (see :mod:`inspector.tui.threads`); the UI thread only merges finished
views into the tree. A rewind or repair is written in a thread the interpreter
waits for, and the app does not quit while it runs. The session file's folder is
watched with ``watchfiles.awatch`` in one exclusive worker, which also polls every
:data:`POLL_MS` in case an event is missed. A worker that fails is reported once,
by :meth:`InspectorApp._worker_changed` (the watcher is then started again).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import Notification, Notify, SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode
from textual.worker import Worker, WorkerState
from watchfiles import Change, awatch

from inspector.agents import FORMATS, HOME_AGENT, NotATranscript, plan_rewrite, session_folders
from inspector.agents.claude_code.layout import config_root, live_session_ids
from inspector.core.safe_text import escaped, one_line
from inspector.rewrite.plan import (
    Action,
    RewriteFailed,
    RewritePlan,
    RewriteRefused,
    RewriteResult,
    SessionLive,
    apply,
)
from inspector.timeline import tool_turns, turn_for, turn_marks
from inspector.tui.collector import (
    keep_out_of_collections,
    rarely_collected,
    return_to_collections,
)
from inspector.tui.conversation_view import (
    ConversationModel,
    ConversationView,
    NodeKind,
    Problem,
)
from inspector.tui.details import DetailRequest, describe
from inspector.tui.filtering import FILTER_LIMIT, FilterMatch, match_view
from inspector.tui.health import HealthCache
from inspector.tui.launch import Launch, demo_launch, resolve
from inspector.tui.screens.confirm import Choice, LiveScreen, RewriteScreen, WrittenScreen
from inspector.tui.screens.help import HelpScreen
from inspector.tui.screens.no_session import NoSessionScreen
from inspector.tui.screens.picker import SessionPicker
from inspector.tui.screens.timeline import TimelineScreen
from inspector.tui.screens.watching import WatchScreen
from inspector.tui.threads import (
    failure_text,
    in_daemon_thread,
    in_write_thread,
    start_in_daemon_thread,
)
from inspector.tui.widgets.detail import DetailPane
from inspector.tui.widgets.footer import KeysFooter
from inspector.tui.widgets.status_bar import StatusBar
from inspector.tui.widgets.tool_tree import ConversationNodes, NodeRef, ToolTree

DEBOUNCE_MS = 100
"""Longest a burst of writes is grouped before the view refreshes."""
STEP_MS = 20
"""Quiet time after a write before the view refreshes."""
POLL_MS = 2000
"""Refresh anyway this often, in case a file event was missed (network file systems)."""
NARROW_BELOW = 110
"""Terminal widths under this (half a laptop's terminal) get the stacked layout."""
ALL_KEYS_FROM = 144
"""Terminal widths from this on have room for every key in the footer (143 cells)."""
EXIT_OK = 0

PALETTE: dict[str, str] = {
    "next_problem": "Jump to the next problem",
    "previous_problem": "Jump to the previous problem",
    "toggle_follow": "Toggle following the session",
    "filter": "Filter calls by tool name, id or text",
    "toggle_output": "Show all of a folded output (or fold it again)",
    "sessions": "Open the session picker",
    "watch": "Every live session, its health and last event, updating",
    "timeline": "The tool calls of the selected turn as bars in time",
    "rewind": "Cut the session at the last valid turn",
    "repair": "Fix what the API rejects",
    "help": "Keys and status marks",
}
"""The command palette's line for each action of the app's bindings (quit is Textual's)."""
SESSION_ACTIONS = frozenset(
    {
        "next_problem",
        "previous_problem",
        "toggle_follow",
        "filter",
        "toggle_output",
        "rewind",
        "repair",
        "clear_filter",
        "timeline",
    }
)
"""Actions on the open session: offered (footer, palette) only on its screen, once open."""


class InspectorApp(App[None]):
    """Inspect one Claude Code session (and switch to others with the picker)."""

    CSS_PATH = "inspector.tcss"
    TITLE = "inspector"
    # Not a ClassVar for mypy: Textual declares it as ``ClassVar[...] | None``.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (NARROW_BELOW, "-wide"),
        (ALL_KEYS_FROM, "-full"),
    ]
    """Screen classes by terminal width, for inspector.tcss: ``-narrow`` stacks the detail
    under the tree and the dialogs' buttons in two rows; ``-full`` shows every footer key."""
    SECONDARY_KEYS = frozenset(
        {"previous_problem", "toggle_follow", "toggle_output", "timeline", "repair", "watch"}
    )
    """Actions whose keys the footer shows only under ``-full`` (the help screen and the
    command palette have them all): at 80 columns the footer keeps n / s r ? q."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_problem", "Next problem", id="inspector.next_problem"),
        Binding("p", "previous_problem", "Prev problem", id="inspector.previous_problem"),
        Binding("f", "toggle_follow", "Follow", id="inspector.follow"),
        Binding("slash", "filter", "Filter", id="inspector.filter"),
        Binding("e", "toggle_output", "Show all", id="inspector.show_all"),
        Binding("t", "timeline", "Timeline", id="inspector.timeline"),
        Binding("s", "sessions", "Sessions", id="inspector.sessions"),
        Binding("w", "watch", "Live", id="inspector.watch"),
        Binding("r", "rewind", "Rewind", id="inspector.agents.claude_code.rewind"),
        Binding("R", "repair", "Repair", id="inspector.agents.claude_code.repair"),
        Binding("question_mark", "help", "Help", id="inspector.help"),
        Binding("q", "quit", "Quit", id="inspector.quit"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="inspector.clear"),
    ]

    follow: reactive[bool] = reactive(True, init=False)
    """Move to the newest turn when lines arrive."""

    def __init__(self, launch: Launch, *, follow: bool = True, root: Path | None = None) -> None:
        super().__init__()
        self.launch = launch
        self.root = root or config_root()
        self.set_reactive(InspectorApp.follow, follow)
        self.main: ConversationNodes | None = None
        """The open session (None before one is opened)."""
        self.health = HealthCache()
        """Picker badges, kept while the app runs so reopening the picker is instant."""
        self.temporary: list[Path] = [launch.demo] if launch.demo else []
        """Folders to remove when the app ends (demo copies)."""
        self.scope = launch.scope
        self.live_pid: int | None = None
        self.error: str | None = None
        self.filter_text = ""
        self.show_all = False
        self.rewriting: Action | None = None
        """The rewind or repair under way, from planning to its result (None: none)."""
        self.writing = False
        """A rewind or repair is being written: the app does not quit meanwhile."""
        self._watch_failure: str | None = None
        """The last failure of the watcher, reported once however often it repeats."""
        self._problem_index: int | None = None
        # The widgets are kept as attributes: workers and handlers may still run while
        # the app shuts down, when a query for them would find nothing.
        self.tool_tree = ToolTree(id="tree")
        self.detail = DetailPane(id="detail")
        self.status_bar = StatusBar(id="status")
        self.filter_field = Input(placeholder="filter: tool name, id or text", id="filter")
        self._early: tuple[ConversationModel, Future[_MainRead]] | None = None
        """The first read of the session, started before the app runs (saves its startup)."""
        if launch.session is not None:
            model = ConversationModel(launch.session)
            read = partial(_first_read, model, self.root)
            self._early = (model, start_in_daemon_thread(read, name="inspector-read"))

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.filter_field
                yield self.tool_tree
            yield self.detail
        yield self.status_bar
        yield KeysFooter(self.SECONDARY_KEYS)

    def on_mount(self) -> None:
        self.tool_tree.border_title = "session"
        self.tool_tree.focus()
        self._show_status()
        launch = self.launch
        if launch.session is not None:
            self.open_session(launch.session)
        elif launch.picker:
            self.action_sessions()
        elif launch.problem is not None:
            self.push_screen(NoSessionScreen(launch.problem))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's commands, then every action of the app's bindings that works on the
        page under the palette, named as the footer names it."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)  # BINDINGS above holds Binding objects only
            help_text = PALETTE.get(binding.action)
            if help_text is not None and self._offered(binding.action):
                action = getattr(self, f"action_{binding.action}")
                yield SystemCommand(binding.description, help_text, action)
        if isinstance(screen, SessionPicker):
            yield from screen.palette_commands()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that would do nothing on this page are neither run nor in the footer."""
        return self._offered(action)

    def _offered(self, action: str) -> bool:
        """Whether ``action`` does something on the page the person is on: the topmost
        screen that is not a dialog (help, a confirmation, the palette sit over it)."""
        page = next((s for s in reversed(self.screen_stack) if not s.is_modal), None)
        if action in SESSION_ACTIONS:
            return self.main is not None and page is not None and page is self.screen_stack[0]
        if isinstance(page, TimelineScreen):  # a look at the session: back to it first
            return action not in ("sessions", "watch")
        if action == "sessions":
            return not isinstance(page, SessionPicker)
        if action == "watch":  # from the session, not over the picker or itself
            return not isinstance(page, (SessionPicker, WatchScreen))
        return True

    # ------------------------------------------------------------------ opening a session

    def open_session(self, path: Path) -> None:
        """Show ``path`` (replacing the open session) and start following it."""
        early = self._early
        model = early[0] if early and early[0].path == path else ConversationModel(path)
        if self.main is not None:
            return_to_collections()  # what the previous session held can go now
        self.main = self.tool_tree.open_session(model)
        self.tool_tree.border_title = Text(escaped(path.name))  # a Text: never markup
        self.error = None
        self.live_pid = None
        self.filter_text = ""
        self._watch_failure = None
        self._hide_filter()
        self._problem_index = None
        self._show_status()
        self._show_detail(self.tool_tree.root)
        self._watch(self.main)
        self.refresh_bindings()  # the session's keys work now

    @work(exclusive=True, group="watch", exit_on_error=False, description="follow the session")
    async def _watch(self, nodes: ConversationNodes, *, initial: bool = True) -> None:
        """Read the session (``initial``: the first time), then refresh on every change in
        its folder."""
        await self._refresh_main(nodes, initial=initial)
        stop = asyncio.Event()
        relevant = _relevant_changes(nodes)
        try:
            async for changes in awatch(
                nodes.path.parent,
                watch_filter=relevant,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                rust_timeout=POLL_MS,
                yield_on_timeout=True,
                stop_event=stop,
            ):
                if nodes is not self.main:
                    return
                await self._on_changes(nodes, {Path(path) for _, path in changes})
        finally:
            stop.set()

    async def _on_changes(self, nodes: ConversationNodes, paths: set[Path]) -> None:
        polled = not paths
        others = [path for path in paths - {nodes.path} if path.suffix == ".jsonl"]
        new_files = bool(others) and not self._known_files().issuperset(others)
        if polled or nodes.path in paths or new_files:
            await self._refresh_main(nodes, force=new_files, rescan=polled)
        for subagent in self.tool_tree.live_subagents():
            if subagent.view is not None and (polled or subagent.path in paths):
                await self._refresh(subagent)

    def _known_files(self) -> set[Path]:
        known = {nodes.path for nodes in self.tool_tree.live_subagents()}
        main = self.main
        if main is not None and main.view is not None:
            known.update(
                link.path for link in main.view.snapshot.conversation.subagents if link.path
            )
            known.update(Path(str(key[1])) for key in main.view.items_by_key if key[0] == "s")
        return known

    async def _refresh_main(
        self,
        nodes: ConversationNodes,
        *,
        initial: bool = False,
        force: bool = False,
        rescan: bool = False,
    ) -> None:
        keep_from = None if initial else nodes.start
        root = self.root
        early, self._early = self._early, None
        try:
            if early is not None and early[0] is nodes.model:
                view, live = await asyncio.wrap_future(early[1])
            else:
                view, live = await in_daemon_thread(
                    partial(_read_main, nodes.model, root, keep_from, force=force, rescan=rescan),
                    name="inspector-read",
                )
        except Exception as error:  # OSError, or a transcript the domain cannot read
            self.error = _describe_error(error)
            self.tool_tree.set_error(nodes, self.error)
            self._show_status()
            return
        if nodes is not self.main:
            return
        self.error = None
        self.live_pid = live
        if view is not None:
            await self._apply(nodes, view)
            if initial or self.follow:
                self.tool_tree.follow_tail()
        self._show_status()

    async def _refresh(self, nodes: ConversationNodes) -> None:
        try:
            running = self.live_pid is not None  # a subagent of a session being written
            refresh = partial(nodes.model.refresh, nodes.start, running=running)
            view = await in_daemon_thread(refresh)
        except Exception as error:  # OSError, or a transcript the domain cannot read
            self.tool_tree.set_error(nodes, _describe_error(error))
            nodes.loading = False
            return
        if view is not None:
            await self._apply(nodes, view)

    async def _apply(self, nodes: ConversationNodes, view: ConversationView) -> None:
        if nodes is self.main and self.filter_text:
            match = await in_daemon_thread(partial(match_view, nodes.model, view, self.filter_text))
            _set_filter(nodes, match)
        self.tool_tree.apply(nodes, view)
        cursor = self.tool_tree.cursor_node
        if cursor is not None and cursor.data is not None:
            ref = cursor.data
            if ref.owner is nodes or ref.child is nodes:
                self._show_detail(cursor)

    @on(ToolTree.LoadRequested)
    def _load_subagent(self, event: ToolTree.LoadRequested) -> None:
        self._read_subagent(event.nodes)

    @work(group="subagents", exit_on_error=False, description="read a subagent")
    async def _read_subagent(self, nodes: ConversationNodes) -> None:
        await self._refresh(nodes)
        nodes.loading = False

    @on(ToolTree.MoreRequested)
    def _more(self, event: ToolTree.MoreRequested) -> None:
        nodes = event.nodes
        self._extend(nodes, max(0, nodes.start - self.tool_tree.window))

    @work(group="extend", exit_on_error=False, description="show earlier messages")
    async def _extend(self, nodes: ConversationNodes, start: int) -> None:
        view = nodes.view
        if view is not None and start < nodes.start:
            await self._show_from(nodes, view, start)

    async def _show_from(
        self, nodes: ConversationNodes, view: ConversationView, start: int
    ) -> bool:
        """Read the texts of messages ``start``… and put them in the tree (False: the view
        changed meanwhile, nothing was shown)."""
        await in_daemon_thread(partial(nodes.model.read_texts, view, start, nodes.start))
        if nodes.view is not view:
            return False
        self.tool_tree.extend_window(nodes, start)
        return True

    # ------------------------------------------------------------------ detail

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        key = _detail_key(event.node)
        if key != self.detail.shown_key:
            self.show_all = False
        self._show_detail(event.node)

    def _show_detail(self, node: TreeNode[NodeRef]) -> None:
        ref = node.data
        if ref is None:
            return
        owner, child = ref.owner, ref.child
        request = DetailRequest(
            ref.kind,
            owner.path,
            owner.view,
            ref.key,
            self.show_all,
            child.view if child else None,
            owner.error,
        )
        self._render_detail(request, _detail_key(node))

    @work(exclusive=True, group="detail", exit_on_error=False, description="describe a row")
    async def _render_detail(self, request: DetailRequest, key: object) -> None:
        content = await in_daemon_thread(partial(describe, request), name="inspector-detail")
        self.detail.show(content, key)

    def action_toggle_output(self) -> None:
        self.show_all = not self.show_all
        cursor = self.tool_tree.cursor_node
        if cursor is not None:
            self._show_detail(cursor)

    # ------------------------------------------------------------------ problems

    def action_next_problem(self) -> None:
        self._goto_problem(1)

    def action_previous_problem(self) -> None:
        self._goto_problem(-1)

    @work(exclusive=True, group="goto", exit_on_error=False, description="go to a problem")
    async def _goto_problem(self, step: int) -> None:
        nodes = self.main
        if nodes is None or nodes.view is None:
            return
        view = nodes.view
        problems = view.problems
        if not problems:
            self.say("No problems: the API accepts this conversation.", timeout=3)
            return
        index = self._next_problem(problems, step)
        problem = problems[index]
        at = problem.message_index
        hidden = at is not None and at < nodes.start and nodes.filter_messages is None
        if hidden and not await self._show_from(nodes, view, max(0, (at or 0) - 5)):
            return
        node = self.tool_tree.problem_node(nodes, problem)
        if node is None:
            self.say("That problem is hidden by the filter (escape clears it).", timeout=3)
            return
        self._problem_index = index
        if self.follow:
            self.follow = False
        self.tool_tree.border_subtitle = (
            f"problem {index + 1}/{len(problems)}: {problem.finding.rule.value}"
        )
        self.tool_tree.reveal(node)

    def _next_problem(self, problems: list[Problem], step: int) -> int:
        cursor = self.tool_tree.cursor_node
        last = self._problem_index
        if last is None:
            return 0 if step > 0 else len(problems) - 1
        if last < len(problems) and _shows(cursor, problems[last], self.main):
            return (last + step) % len(problems)
        here = _position(cursor)
        keys = [_problem_position(problem) for problem in problems]
        if step > 0:
            return next((i for i, key in enumerate(keys) if key > here), 0)
        return next((i for i in range(len(keys) - 1, -1, -1) if keys[i] < here), len(problems) - 1)

    # ------------------------------------------------------------------ follow

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self.tool_tree.follow_tail()
        self._show_status()

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        field = self.filter_field
        field.add_class("visible")
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._run_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.tool_tree.focus()

    def action_clear_filter(self) -> None:
        field = self.filter_field
        if self.filter_text or field.has_class("visible"):
            field.value = ""
            self._hide_filter()
            self._run_filter("")
            self.tool_tree.focus()

    def _hide_filter(self) -> None:
        field = self.filter_field
        field.remove_class("visible")

    @work(exclusive=True, group="filter", exit_on_error=False, description="filter the tree")
    async def _run_filter(self, text: str) -> None:
        nodes = self.main
        text = text.strip()
        if nodes is None or nodes.view is None:
            self.filter_text = text
            return
        view = nodes.view
        match = (
            await in_daemon_thread(partial(match_view, nodes.model, view, text)) if text else None
        )
        if nodes.view is not view or nodes is not self.main:
            return
        self.filter_text = text
        cursor_key = _detail_key(self.tool_tree.cursor_node)
        _set_filter(nodes, match)
        self.tool_tree.refilter(nodes, cursor_key)
        if match is not None and match.truncated:
            self.say(f"Showing the newest {FILTER_LIMIT} matching messages.", timeout=3)
        self._show_status()

    # ------------------------------------------------------------------ screens

    def action_sessions(self) -> None:
        current = self.main.path if self.main is not None else None
        # Nothing to go back to: escape in this picker quits, and its footer says so.
        top_level = self.main is None and len(self.screen_stack) == 1
        picker = SessionPicker(
            root=self.root,
            scope=self.scope,
            health=self.health,
            current=current,
            top_level=top_level,
        )
        self.push_screen(picker, self._picked)

    def action_watch(self) -> None:
        folders = session_folders(self.root / "projects")
        self.push_screen(WatchScreen(folders), self._watched)

    def _watched(self, path: Path | None) -> None:
        if path is not None:
            self.open_session(path)

    def _picked(self, path: Path | None) -> None:
        if path is not None:
            if isinstance(self.screen, NoSessionScreen):
                self.pop_screen()
            self.open_session(path)
        elif self.main is None and not isinstance(self.screen, NoSessionScreen):
            self.exit(return_code=EXIT_OK)

    def action_demo(self) -> None:
        launch = demo_launch()
        if launch.demo is None:
            self.say("The sample sessions are not installed.", severity="error")
            return
        self.temporary.append(launch.demo)
        self.scope = launch.scope
        self.action_sessions()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_timeline(self) -> None:
        """The timeline of the turn of the selected row (the row's own conversation: a
        subagent's rows show the subagent's turns)."""
        node = self.tool_tree.cursor_node
        nodes = node.data.owner if node is not None and node.data is not None else self.main
        view = nodes.view if nodes is not None else None
        if view is None:
            self.say("The session is still being read.", timeout=3)
            return
        report = view.snapshot.report
        turn = turn_for(report, _message_of(node, view))
        if turn is None:
            self.say("No tool calls in this conversation: no timeline to show.", timeout=3)
            return
        self._open_timeline(nodes, view, turn)

    @work(exclusive=True, group="timeline", exit_on_error=False, description="open a timeline")
    async def _open_timeline(
        self, nodes: ConversationNodes, view: ConversationView, turn: int
    ) -> None:
        whys = await in_daemon_thread(view.causes, name="inspector-causes")
        report = view.snapshot.report
        marks = partial(turn_marks, report, whys)

        def back(shown: int | None) -> None:
            """Closed on another turn than it opened on: the cursor goes to that turn."""
            now = nodes.view
            if shown is None or shown == turn or now is None or shown >= now.message_count:
                return
            node = self.tool_tree.node_for(nodes, shown, None)
            if node is not None:
                self.tool_tree.reveal(node)

        self.push_screen(TimelineScreen(report, tool_turns(report), turn, marks), back)

    def on_unmount(self) -> None:
        return_to_collections()  # the app may live on in a longer process (tests, embedding)

    async def action_quit(self) -> None:
        if self.writing:
            # The write itself would finish (in_write_thread), unseen: where it went and
            # how to resume it are shown when it is done.
            assert self.rewriting is not None  # set for as long as a write runs
            self.say(
                f"The {self.rewriting.value} is being written: quit once it is done, to see "
                "where it went and how to resume it.",
                severity="warning",
            )
            return
        self.exit(return_code=EXIT_OK)  # a person quitting, whatever was on screen

    # ------------------------------------------------------------------ rewind / repair

    def action_rewind(self) -> None:
        self._rewrite(Action.REWIND)

    def action_repair(self) -> None:
        self._rewrite(Action.REPAIR)

    def _rewrite(self, action: Action) -> None:
        """The one place where rewind and repair start: plan, confirm, write, report."""
        if self.rewriting is not None:
            self.say(
                f"A {self.rewriting.value} is already under way: finish or cancel it first.",
                severity="warning",
            )
            return
        if self.main is None:
            self.say(f"{action.value}: open a session first")
            return
        self.rewriting = action
        self._plan_rewrite(self.main.path, action)

    @work(group="rewrite", exit_on_error=False, description="rewind or repair")
    async def _plan_rewrite(self, path: Path, action: Action) -> None:
        try:
            await self._plan_and_write(path, action)
        finally:
            self.rewriting = None

    async def _plan_and_write(self, path: Path, action: Action) -> None:
        while True:
            planning = self.say(f"Planning the {action.value}…", timeout=2)
            try:
                plan = await in_daemon_thread(
                    partial(plan_rewrite, action, path), name="inspector-plan"
                )
            except (RewriteFailed, NotATranscript, OSError) as error:
                self.say(f"{action.value}: {error}", severity="error")
                return
            finally:
                # Done: it must not linger behind the dialog. Queued after the Notify
                # message, so it is taken down even when planning beat its showing.
                self.call_later(self._unnotify, planning)
            if plan.nothing_to_fix:
                self.say(f"Nothing to {action.value}: " + "; ".join(plan.notes))
                return
            choice = await self.push_screen_wait(RewriteScreen(plan))
            if choice is None:
                return
            if choice is not Choice.SWITCH:
                break
            action = Action.REPAIR if action is Action.REWIND else Action.REWIND
            self.rewriting = action
        result = await self._write(plan, choice)
        if result is None:
            return
        if result.resume:
            self.say(f"Resume it with: {result.resume}", timeout=10)
        if await self.push_screen_wait(WrittenScreen(result)) and result.written is not None:
            self.open_session(result.written)

    async def _write(self, plan: RewritePlan, choice: Choice) -> RewriteResult | None:
        """Write ``plan`` as chosen; a live session written in place is confirmed first
        (why it was refused, then replace anyway, fork instead or cancel)."""
        action = plan.action.value
        force = False
        while True:
            self.writing = True
            try:
                return await in_write_thread(
                    partial(apply, plan, in_place=choice is Choice.IN_PLACE, force=force),
                    name="inspector-write",
                )
            except SessionLive as error:
                reason = error.reason
            except RewriteRefused as error:
                self.say(f"{action} refused: {error}", severity="warning", timeout=8)
                return None
            except (RewriteFailed, OSError) as error:
                self.say(f"{action} failed: {error}", severity="error", timeout=8)
                return None
            finally:
                self.writing = False
            answer = await self.push_screen_wait(LiveScreen(plan, reason))
            if answer is None:
                return None
            choice, force = answer, answer is Choice.IN_PLACE

    # ------------------------------------------------------------------ worker errors

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Report a worker that failed (once); a failed watcher is started again."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        text = failure_text(worker)
        if worker.group != "watch":
            self.say(text, severity="error", timeout=8)
            return
        if text != self._watch_failure:
            self._watch_failure = text
            self.say(f"{text}; following it again", severity="error", timeout=8)
        nodes = self.main
        if nodes is not None:
            self.set_timer(POLL_MS / 1000, partial(self._watch_again, nodes))

    def _watch_again(self, nodes: ConversationNodes) -> None:
        if nodes is self.main:
            self._watch(nodes, initial=False)

    def say(
        self, message: str, *, severity: SeverityLevel = "information", timeout: float = 4
    ) -> Notification:
        """A notification whose text is shown as typed (it may quote file names or errors);
        returned so that it can be taken down early (``self._unnotify``)."""
        notification = Notification(escaped(message, 400), "", severity, timeout, markup=False)
        self.post_message(Notify(notification))  # what App.notify does, keeping the object
        return notification

    # ------------------------------------------------------------------ status

    def _show_status(self) -> None:
        main = self.main
        self.status_bar.show_status(
            main.path if main else None,
            main.view if main else None,
            follow=self.follow,
            live_pid=self.live_pid,
            error=self.error,
            filter_text=self.filter_text,
        )


_MainRead = tuple[ConversationView | None, int | None]
"""A new view of the session (None: unchanged) and the pid of a Claude Code that has it open."""


def _read_main(
    model: ConversationModel,
    root: Path,
    keep_from: int | None = None,
    *,
    force: bool = False,
    rescan: bool = False,
) -> _MainRead:
    """Look up whether a Claude Code process has the session open (by the file's name, and
    by the session id once read), and refresh it: the calls of the batch such a process
    is writing are running, not missing."""
    snapshot = model.live.snapshot
    live = live_session_ids(root)
    names = [model.path.stem]
    if snapshot is not None and snapshot.conversation.session_id:
        names.append(snapshot.conversation.session_id)
    pid = next((live[name] for name in names if name in live), None)
    view = model.refresh(keep_from, force=force, rescan=rescan, running=pid is not None)
    if view is not None and model.read_whole:
        # its entries stay alive until the file is closed or re-read
        keep_out_of_collections(restarted=view.snapshot.restarted)
    return view, pid


def _first_read(model: ConversationModel, root: Path) -> _MainRead:
    """The first read, with the cyclic collector running far less often."""
    with rarely_collected():
        return _read_main(model, root)


def _relevant_changes(nodes: ConversationNodes) -> Callable[[Change, str], bool]:
    """A watch filter: the session file and what its agent stores of the session beside it
    (Claude Code's subagent files), nothing else in the folder."""
    path = nodes.path

    def relevant(change: Change, raw: str) -> bool:
        name = nodes.model.live.format  # known once the session was first read
        agent = FORMATS.get(name, HOME_AGENT) if name else HOME_AGENT
        view = nodes.view
        session_id = view.snapshot.conversation.session_id if view is not None else None
        return agent.watches(path, session_id, Path(raw))

    return relevant


def _set_filter(nodes: ConversationNodes, match: FilterMatch | None) -> None:
    if match is None:
        nodes.filter_messages = None
        nodes.filter_calls = None
    else:
        nodes.filter_messages = match.messages
        nodes.filter_calls = match.calls


def _describe_error(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file is gone (waiting for it to come back)"
    if isinstance(error, OSError):
        return f"cannot read the file: {one_line(error.strerror or str(error), 80)}"
    if isinstance(error, NotATranscript):
        return f"cannot read this as a conversation: {one_line(error.what, 80)}"
    return f"cannot read this transcript: {one_line(repr(error), 120)}"


def _detail_key(node: TreeNode[NodeRef] | None) -> object:
    if node is None or node.data is None:
        return None
    ref = node.data
    return (id(ref.owner), ref.kind, ref.key)


def _position(node: TreeNode[NodeRef] | None) -> tuple[int, int]:
    """Where a row sits in the conversation, to find the next problem after it."""
    if node is None or node.data is None:
        return (-1, 0)
    ref = node.data
    while ref.owner.anchor.data is not None and ref.owner.anchor.data.kind is not NodeKind.SESSION:
        ref = ref.owner.anchor.data  # inside a subagent: use the call that spawned it
    owner = ref.owner
    if ref.kind is NodeKind.MESSAGE:
        row = owner.message_row(ref.key)
        return (row.index, 0) if row else (-1, 0)
    if ref.kind in (NodeKind.CALL, NodeKind.RESULT, NodeKind.SUBAGENT):
        call = owner.call_row(ref.key)
        return (call.message_index, call.key[1]) if call else (-1, 0)
    item = owner.item(ref.key)
    if item is not None:
        return (item.anchor, 1 << 30)
    return (-1, 0)


def _message_of(node: TreeNode[NodeRef] | None, view: ConversationView) -> int:
    """The message a row belongs to in its own conversation; for the session row (or a
    row that has none) the message of the first problem, else the last message."""
    ref = node.data if node is not None else None
    if ref is not None:
        if ref.kind is NodeKind.MESSAGE:
            row = ref.owner.message_row(ref.key)
            if row is not None:
                return row.index
        if ref.kind in (NodeKind.CALL, NodeKind.RESULT, NodeKind.SUBAGENT):
            call = ref.owner.call_row(ref.key)
            if call is not None:
                return call.message_index
        item = ref.owner.item(ref.key) if ref.kind is not NodeKind.SESSION else None
        if item is not None:
            return max(item.anchor, 0)
    first = next((p.message_index for p in view.problems if p.message_index is not None), None)
    return first if first is not None else view.message_count - 1


def _shows(
    node: TreeNode[NodeRef] | None, problem: Problem, nodes: ConversationNodes | None
) -> bool:
    """Whether ``node`` is the row that shows ``problem``."""
    if node is None or node.data is None or node.data.owner is not nodes:
        return False
    key = node.data.key
    if problem.call_key is not None:
        return bool(key == problem.call_key)
    if problem.item_key is not None:
        return bool(key == problem.item_key)
    return node.data.kind is NodeKind.SESSION


def _problem_position(problem: Problem) -> tuple[int, int]:
    index = problem.message_index if problem.message_index is not None else -1
    if problem.call_key is not None:
        return (index, problem.call_key[1])
    if problem.item_key is not None and problem.item_key[0] != "m":
        return (index, 1 << 30)
    return (index, 0)


def make_app(
    target: str | None = None,
    *,
    demo: bool = False,
    follow: bool = True,
    root: Path | None = None,
    cwd: Path | None = None,
) -> InspectorApp:
    """Build the app for a CLI target (the CLI and the tests both come through here)."""
    config = root or config_root()
    launch = demo_launch() if demo else resolve(target, cwd=cwd or Path.cwd(), root=config)
    return InspectorApp(launch, follow=follow, root=config)


def run_app(target: str | None, demo: bool, follow: bool) -> int:
    """Run the app in the terminal; returns the exit code."""
    app = make_app(target, demo=demo, follow=follow)
    try:
        app.run()
    finally:
        for folder in app.temporary:
            shutil.rmtree(folder, ignore_errors=True)
    return app.return_code or 0


__all__ = ["InspectorApp", "make_app", "run_app"]
