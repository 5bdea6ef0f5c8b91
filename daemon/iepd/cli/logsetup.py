"""Logging to stderr in the shape journald reads best.

Under systemd (``$JOURNAL_STREAM`` set) each line starts with a ``<N>`` syslog priority and
carries no timestamp, since the journal adds its own; elsewhere lines get a time and level.
"""

from __future__ import annotations

import logging
import os
import sys

SYSLOG_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = SYSLOG_PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{super().format(record)}"


def setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # The protocol libraries are chatty at INFO and DEBUG; their DEBUG may echo credentials.
    for noisy in ("aiosmtplib", "imapclient", "apscheduler", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
