"""Loopback HTTP servers that stand in for outside services in tests.

`LoopbackServer` is the shared base: a standard-library `ThreadingHTTPServer` on 127.0.0.1 with an
ephemeral port, served from a background thread, speaking HTTP/1.1 (keep-alive, chunked streaming like
the real services). `stop()` shuts the listener, closes every open keep-alive connection and joins the
handler threads, so nothing outlives the test. Each server records the JSON bodies it received in
`requests`, `fail_next()` queues faults for the next requests, and `hold_next()` makes the next request
of a kind wait, before or after the server acted on it, until the test releases it (a client killed
meanwhile never gets its answer).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Recorder:
    """Streams one generation of the embedded model, keeping the text and the number of pieces."""

    def __init__(self, stream: Iterator[str]):
        self._stream, self.text, self.count = stream, "", 0

    def pieces(self) -> Iterator[str]:
        try:
            for piece in self._stream:
                self.text += piece
                self.count += 1
                yield piece
        finally:
            self._stream.close()  # a client that hung up must not leave the model locked


@dataclass
class Fault:
    """What to answer instead of the real response: an HTTP status with a JSON body and headers, or
    (`status=None`) a stream that breaks off after `after_pieces` pieces."""

    status: int | None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after_pieces: int = 0


@dataclass
class Hold:
    """A request kept waiting: `arrived` is set once one is waiting; `release()` lets it go on."""

    name: str
    after: bool
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    dropped: bool = False

    def release(self) -> None:
        self.released.set()

    def drop(self) -> None:
        """Let it go without the server acting on it: as if the request had never arrived."""
        self.dropped = True
        self.released.set()


HOLD_LIMIT_S = 60.0  # a held request goes on by itself after this, so no handler thread waits forever


class JSONHandler(BaseHTTPRequestHandler):
    """Request handler helpers: read a JSON body, answer JSON, stream HTTP/1.1 chunks."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # a stuck client cannot hold a handler thread forever
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_stream(self, content_type: str, chunks: Iterable[bytes]) -> None:
        """Answer 200 with `chunks`, each sent (and flushed) as one HTTP/1.1 chunk as soon as it exists."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.broken = False
        try:
            for chunk in chunks:
                if self.broken:
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client hung up
            self.close_connection = True
            return
        finally:
            getattr(chunks, "close", lambda: None)()  # stop generating (and free the model) at once
        if not self.broken:
            self.wfile.write(b"0\r\n\r\n")

    def break_connection(self) -> None:
        """Drop the connection mid-response, as a crashed server would."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = self.broken = True


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    owner: LoopbackServer

    def process_request(self, request: socket.socket, client_address: Any) -> None:
        self.owner._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        self.owner._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is not an error
            super().handle_error(request, client_address)


class LoopbackServer:
    """Base class: subclasses set `handler` (a JSONHandler subclass). Use as a context manager or call
    start()/stop(); `url` is http://127.0.0.1:<port>."""

    handler: type[JSONHandler]

    def __init__(self) -> None:
        self.requests: list[dict] = []  # JSON bodies received, in order
        self.faults: deque[Fault] = deque()
        self.holds: list[Hold] = []
        self._connections: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._httpd = _Server(("127.0.0.1", 0), self.handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        for hold in self.holds:
            hold.release()
        self._httpd.shutdown()  # stops accepting; returns once serve_forever has left its loop
        for connection in list(self._connections):  # wake keep-alive handlers waiting for a next request
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()  # joins the handler threads
        self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, count: int = 1, status: int | None = 500, body: Any = None,
                  headers: dict[str, str] | None = None, *, after_pieces: int = 0) -> None:
        """The next `count` requests get this fault instead of a real answer."""
        for _ in range(count):
            self.faults.append(Fault(status, body, dict(headers or {}), after_pieces))

    def hold_next(self, name: str, *, after: bool = False) -> Hold:
        """The next request called `name` (the subclass says what its names are: a Bot API method, a path)
        waits until the test releases it: before the server acts on it, or (`after`) once it has acted
        and before it answers."""
        hold = Hold(name, after)
        with self._lock:
            self.holds.append(hold)
        return hold

    def pause(self, name: str, *, after: bool) -> bool:
        """Called by handlers at both points of each request: wait here if a hold was set for it. True: the
        hold was dropped, and the handler must close the connection without acting or answering."""
        with self._lock:
            hold = next((h for h in self.holds if h.name == name and h.after == after and not h.arrived.is_set()), None)
            if hold is not None:
                hold.arrived.set()
        if hold is None:
            return False
        hold.released.wait(HOLD_LIMIT_S)
        return hold.dropped

    def record(self, body: dict) -> Fault | None:
        """Log a request body and take the fault queued for it, if any (thread-safe)."""
        with self._lock:
            self.requests.append(body)
            return self.faults.popleft() if self.faults else None


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
