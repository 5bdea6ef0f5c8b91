"""A real config, store and sender with no mail server: for tests of what iepd records.

Queueing renders and records a letter without any I/O; only Sender.deliver talks to a
server, so these tests move letters through the outbox steps themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.inbox.record import MessageRecorder
from iepd.outbox.sender import Sender
from iepd.store.database import Store
from iepd.store.rows import OutgoingRow
from support.family import Family, offline_family, speech_request

REQUEST = "sam-speech"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Offline:
    family: Family
    config: Config
    store: Store
    sender: Sender
    inbox: MessageRecorder
    clock: Clock
    letter: OutgoingRow  # the request letter, queued


def queued_request(root: Path) -> Offline:
    """Given a folder, return a family whose one request letter is queued, nothing sent."""
    family = offline_family(root, [speech_request(REQUEST)])
    config = load_config(family.config_path, family.environ())
    store = Store.open(config.state_dir)
    clock = Clock()
    sender = Sender(config, store, None, clock)  # type: ignore[arg-type]
    store.upsert_request(
        id=REQUEST,
        child="sam",
        reason="services_not_delivered",
        urgent=False,
        state_if_new="queued",
        subject="",
        now=clock(),
    )
    letter = sender.queue_letter(REQUEST)
    return Offline(
        family, config, store, sender, MessageRecorder(config, store, sender, clock), clock, letter
    )
