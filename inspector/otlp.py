"""Watch events to the OpenTelemetry collector a team already runs (``watch --otlp URL``).

Each :class:`~inspector.watch.WatchEvent` becomes one OTLP log record (its text as the body,
what it is about as attributes, a severity by kind) and one count on the
``inspector.watch.events`` counter, sent over OTLP/HTTP to ``URL/v1/logs`` and
``URL/v1/metrics``. Both are exported by the SDK's background threads: :meth:`OtlpSink.send`
only queues, so a slow or absent collector never holds the watch loop up, and what it
says about a failed export reaches stderr at most once a minute.

The SDK is the optional ``otlp`` extra: it is imported when a sink is made, never before,
so ``inspector`` runs without it.
"""

from __future__ import annotations

import logging
import socket
import sys
import time
from typing import TYPE_CHECKING, TextIO

from inspector import __version__
from inspector.core.safe_text import one_line
from inspector.watch import API_ERROR, BROKE, CLIENT_PATCHED, ENDED, HEALED, STALLED, WatchEvent

if TYPE_CHECKING:
    from opentelemetry.util.types import Attributes

SERVICE_NAME = "agent-session-inspector"
EVENTS_METRIC = "inspector.watch.events"
EXTRA_MISSING = (
    "inspector watch --otlp needs the otlp extra: pip install 'agent-session-inspector[otlp]'"
)

SEVERITY = {
    BROKE: "ERROR",
    API_ERROR: "ERROR",
    CLIENT_PATCHED: "WARN",
    STALLED: "WARN",
    HEALED: "INFO",
    ENDED: "INFO",
}
"""Severity text per event kind (the number is the OpenTelemetry one of that name)."""


class OtlpUnavailable(RuntimeError):
    """The ``otlp`` extra is not installed."""


class OtlpSink:
    """Sends watch events to an OTLP/HTTP collector at ``url`` (its base, as
    ``http://127.0.0.1:4318``), in the background."""

    def __init__(
        self,
        url: str,
        *,
        export_every: float = 5.0,
        timeout: float = 5.0,
        errors: TextIO | None = None,
    ) -> None:
        try:
            from opentelemetry._logs import LogRecord, SeverityNumber
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
            from opentelemetry.sdk.resources import Resource
        except ImportError as error:
            raise OtlpUnavailable(EXTRA_MISSING) from error

        base = url.rstrip("/")
        # OTEL_RESOURCE_ATTRIBUTES (deployment.environment, team, …) is merged in by create().
        resource = Resource.create(
            {
                "service.name": SERVICE_NAME,
                "service.version": __version__,
                "host.name": socket.gethostname(),
            }
        )
        self._said = _OncePerMinute(errors or sys.stderr, base)
        self._sdk_log = logging.getLogger("opentelemetry")
        self._sdk_log.addHandler(self._said)
        self._sdk_log.propagate = False  # its export errors: ours, at most once a minute

        self._logs = LoggerProvider(resource=resource)
        self._logs.add_log_record_processor(
            BatchLogRecordProcessor(
                OTLPLogExporter(endpoint=f"{base}/v1/logs", timeout=timeout),
                schedule_delay_millis=export_every * 1000,
                export_timeout_millis=timeout * 1000,
            )
        )
        self._logger = self._logs.get_logger("inspector.watch", __version__)
        self._metrics = MeterProvider(
            resource=resource,
            metric_readers=[
                PeriodicExportingMetricReader(
                    OTLPMetricExporter(endpoint=f"{base}/v1/metrics", timeout=timeout),
                    export_interval_millis=export_every * 1000,
                    export_timeout_millis=timeout * 1000,
                )
            ],
        )
        self._events = self._metrics.get_meter("inspector.watch", __version__).create_counter(
            EVENTS_METRIC, unit="{event}", description="Watch events, by kind"
        )
        self._timeout = timeout
        self._record = LogRecord
        self._severity_number = SeverityNumber

    def send(self, event: WatchEvent) -> None:
        """Queue one event for export; never blocks on the network."""
        severity = SEVERITY.get(event.kind, "INFO")
        self._logger.emit(
            self._record(
                timestamp=int(event.at * 1e9),
                observed_timestamp=time.time_ns(),
                severity_text=severity,
                severity_number=self._severity_number[severity],
                body=event.text,
                attributes=event_attributes(event),
            )
        )
        counted: dict[str, str] = {"event": event.kind}
        if event.agent:
            counted["agent"] = event.agent
        self._events.add(1, counted)

    def close(self) -> None:
        """Export what is queued (waiting at most about the timeout for each signal), stop."""
        try:
            self._logs.shutdown()
            self._metrics.shutdown(timeout_millis=self._timeout * 1000)
        finally:
            self._sdk_log.removeHandler(self._said)
            self._sdk_log.propagate = True


def event_attributes(event: WatchEvent) -> Attributes:
    """What the event is about: its kind, the session (file, id, project folder), the agent
    and client, the rules it broke and the fix."""
    attributes: dict[str, str | list[str]] = {
        "inspector.event": event.kind,
        "file.path": str(event.path),
        "inspector.project": event.path.parent.name,
    }
    if event.session_id:
        attributes["session.id"] = event.session_id
    if event.agent:
        attributes["inspector.agent"] = event.agent
    if event.client:
        attributes["inspector.client.name"] = event.client.label
        attributes["inspector.client.version"] = event.client.version
    if event.findings:
        attributes["inspector.rules"] = sorted({f.rule.value for f in event.findings})
        attributes["inspector.tool_ids"] = sorted({i for f in event.findings for i in f.ids})
    if event.fix:
        attributes["inspector.fix"] = event.fix
    return attributes


class _OncePerMinute(logging.Handler):
    """The SDK's warnings and errors (an export that failed), one line a minute at most."""

    def __init__(self, stream: TextIO, url: str, every: float = 60.0) -> None:
        super().__init__(logging.WARNING)
        self.stream = stream
        self.url = url
        self.every = every
        self._last: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.every:
            return
        self._last = now
        try:
            message = one_line(record.getMessage(), 300)
            self.stream.write(
                f"inspector watch: OTLP collector {one_line(self.url)}: {message}"
                " (said once a minute at most)\n"
            )
            self.stream.flush()
        except (OSError, ValueError):  # a closed stderr is no reason to stop
            pass
