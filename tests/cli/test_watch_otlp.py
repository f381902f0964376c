"""``inspector watch --otlp URL``: the events reach an OTLP/HTTP collector, here a loopback
receiver the test starts, which decodes what it gets with OpenTelemetry's own protobufs."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from inspector.cli import main
from inspector.cli.watch import run_watch
from inspector.otlp import EVENTS_METRIC, SERVICE_NAME, OtlpSink
from inspector.watch import BROKE, Watcher
from tests.conftest import SAMPLES

pytest.importorskip("opentelemetry.sdk", reason="the otlp extra is not installed")

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

ORPHAN = (SAMPLES / "orphan-tool-use.jsonl").read_bytes()


class Receiver:
    """An OTLP/HTTP collector on 127.0.0.1 that keeps what is posted to it, by path."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def logs(self) -> list[ExportLogsServiceRequest]:
        return [ExportLogsServiceRequest.FromString(b) for p, b in self.posts if p == "/v1/logs"]

    def metrics(self) -> list[ExportMetricsServiceRequest]:
        return [
            ExportMetricsServiceRequest.FromString(body)
            for path, body in self.posts
            if path == "/v1/metrics"
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    started.thread.start()
    yield started
    started.server.shutdown()
    started.server.server_close()


def value(found: AnyValue) -> object:
    if found.HasField("array_value"):
        return [value(item) for item in found.array_value.values]
    return getattr(found, found.WhichOneof("value") or "string_value")


def as_dict(pairs: Iterable[KeyValue]) -> dict[str, object]:
    return {pair.key: value(pair.value) for pair in pairs}


def broken_session(tmp_path: Path) -> Path:
    folder = tmp_path / "my-project"
    folder.mkdir()
    path = folder / "session.jsonl"
    path.write_bytes(ORPHAN)  # seen broken at the first look
    return path


def test_a_broken_session_reaches_the_collector(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken_session(tmp_path)
    code = main(
        ["watch", str(path.parent), "--interval", "0.1", "--for", "0.5", "--otlp", receiver.url]
    )
    assert code == 0
    assert '"event":"broke"' in capsys.readouterr().out  # printed as before

    [request] = receiver.logs()  # sent when watch stops, before it returns
    [resource_logs] = request.resource_logs
    resource = as_dict(resource_logs.resource.attributes)
    assert resource["service.name"] == SERVICE_NAME
    assert resource["host.name"] == socket.gethostname()
    assert "service.version" in resource
    [record] = [r for scope in resource_logs.scope_logs for r in scope.log_records]
    attributes = as_dict(record.attributes)
    assert attributes["inspector.event"] == BROKE
    assert attributes["file.path"] == str(path)
    assert attributes["session.id"] == "780c4b16-a510-49fa-a2b2-bbd1c38dbe31"
    assert attributes["inspector.agent"] == "claude-code"
    assert attributes["inspector.project"] == "my-project"
    assert attributes["inspector.rules"] == ["R1"]
    assert attributes["inspector.client.name"] == "Claude Code"
    assert attributes["inspector.client.version"]  # the release the rebuild followed
    assert str(attributes["inspector.fix"]).startswith(f"inspector repair {path}")
    assert record.severity_text == "ERROR"
    assert record.severity_number == 17  # SEVERITY_NUMBER_ERROR
    assert record.body.string_value.startswith("broke: R1")
    assert abs(record.time_unix_nano / 1e9 - time.time()) < 60

    points = [
        point
        for request in receiver.metrics()
        for resource_metrics in request.resource_metrics
        for scope in resource_metrics.scope_metrics
        for metric in scope.metrics
        if metric.name == EVENTS_METRIC
        for point in metric.sum.data_points
    ]
    assert points, "no count of the events reached the collector"
    last = points[-1]
    assert as_dict(last.attributes)["event"] == BROKE
    assert last.as_int == 1
    assert metric_is_monotonic_sum(receiver)


def metric_is_monotonic_sum(receiver: Receiver) -> bool:
    return all(
        metric.sum.is_monotonic
        for request in receiver.metrics()
        for resource_metrics in request.resource_metrics
        for scope in resource_metrics.scope_metrics
        for metric in scope.metrics
        if metric.name == EVENTS_METRIC
    )


def test_a_collector_that_is_down_does_not_stop_watch(tmp_path: Path) -> None:
    path = broken_session(tmp_path)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    out, errors = (tmp_path / "out").open("w+"), (tmp_path / "errors").open("w+")
    sink = OtlpSink(closed, export_every=0.2, timeout=1.0, errors=errors)
    started = time.monotonic()
    code = run_watch(
        [path.parent], interval=0.1, recent=3600, idle=600, stall=300, run_for=2.0,
        exec_command=None, bell=False, out=out, otlp=sink,
    )  # fmt: skip
    took = time.monotonic() - started
    assert code == 0
    out.seek(0)
    assert '"event":"broke"' in out.read()
    assert took < 10  # two failed exports at the end wait about their timeout each
    errors.seek(0)
    said = errors.read().splitlines()
    assert len(said) == 1, said  # many failed exports, one line a minute
    assert said[0].startswith(f"inspector watch: OTLP collector {closed}: ")


def test_without_the_extra_it_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk._logs", None)  # import fails
    code = main(["watch", str(tmp_path), "--for", "0", "--otlp", "http://127.0.0.1:4318"])
    assert code == 2
    assert capsys.readouterr().err == (
        "inspector watch --otlp needs the otlp extra: pip install 'agent-session-inspector[otlp]'\n"
    )


def test_a_url_that_is_not_http_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["watch", str(tmp_path), "--for", "0", "--otlp", "127.0.0.1:4318"])
    assert code == 2
    assert capsys.readouterr().err.startswith("inspector watch --otlp: not an http(s) URL")


def test_a_collector_that_hangs_never_holds_the_loop_up(tmp_path: Path) -> None:
    path = broken_session(tmp_path)
    listening = socket.socket()  # accepts connections (the kernel does), never answers
    listening.bind(("127.0.0.1", 0))
    listening.listen(16)
    watcher = Watcher([path.parent])
    watcher.discover()
    [event] = watcher.poll()
    errors = (tmp_path / "errors").open("w+")
    sink = OtlpSink(
        f"http://127.0.0.1:{listening.getsockname()[1]}", export_every=0.05, timeout=1.0,
        errors=errors,
    )  # fmt: skip
    try:
        started = time.monotonic()
        for _ in range(20):
            sink.send(event)
            time.sleep(0.01)  # the exports start meanwhile, and wait for an answer
        assert time.monotonic() - started < 0.5
    finally:
        sink.close()
        listening.close()
