"""Logging for the long-running commands: one line per event, as text or (SLEEPCOT_LOG_FORMAT=json) one JSON
object, a traceback kept inside its line. What is logged at INFO names users by their id and things by
their kind, never health data, message text or secrets (the tests read the logs for them). Written on the
standard library: four fields and an escaped traceback do not need a dependency in every image."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpx2")  # they log every request URL at INFO: Bot API URLs hold the token


class OneLineFormatter(logging.Formatter):
    """The text format with a traceback folded onto the event's line."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class JSONFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"[, "exception"]} per line."""

    def format(self, record: logging.LogRecord) -> str:
        event = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def setup(log_format: str, level: int = logging.INFO) -> None:
    """Log to stderr in `log_format` ("text" or "json") from here on, replacing earlier handlers."""
    handler = logging.StreamHandler()
    handler.setFormatter(JSONFormatter() if log_format == "json" else OneLineFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
