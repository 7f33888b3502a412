"""structlog JSON logs; ``message_id``, ``correlation_id``, ``tenant_id``, ``type`` bound per delivery."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from aiohttp.http_exceptions import HttpProcessingError

from sifenflow_common.messages.envelope import Envelope


class HttpParserErrorRedaction(logging.Filter):
    """aiohttp logs a request its HTTP parser refused with the parser's exception, whose text holds
    the offending bytes: a header value such as ``Authorization: Bearer <key>``. Keep the fact and
    the exception type, never the bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = f"http_request_refused_by_parser: {type(exc).__name__} (status {exc.code})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str = "INFO", *, json: bool = True, service: str | None = None) -> None:
    """Configure structlog and the stdlib root logger once, at startup."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    handler.addFilter(HttpParserErrorRedaction())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    if service:
        structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


@contextmanager
def bound_to(envelope: Envelope, *, service: str | None = None) -> Iterator[None]:
    """Bind the envelope's ids (the gateway's correlation id among them) to every log line written
    while handling it; ``service`` names the consuming service (several share one process in
    ``sifenflow run``)."""
    ids: dict[str, str] = {
        "message_id": str(envelope.message_id),
        "correlation_id": str(envelope.correlation_id),
        "tenant_id": str(envelope.tenant_id),
        "type": envelope.type,
    }
    if envelope.stream:
        ids["stream"] = envelope.stream
    if service:
        ids["service"] = service
    with structlog.contextvars.bound_contextvars(**ids):
        yield
