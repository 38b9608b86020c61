"""Collect the records a logger handles during a block (level DEBUG, not propagated)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from django_fastapi.operations import RequestIdFilter


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())  # as in a project's LOGGING: at the time of logging
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def collected(name: str) -> Iterator[list[logging.LogRecord]]:
    logger = logging.getLogger(name)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    handler = Collect()
    logger.handlers, logger.level, logger.propagate = [handler], logging.DEBUG, False
    try:
        yield handler.records
    finally:
        logger.handlers, logger.level, logger.propagate = saved
