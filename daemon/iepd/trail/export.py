"""``iepd export``: the folder a parent hands to a state complaint investigator, a mediator
or an attorney.

The folder holds ``index.html`` (printable, self-contained), ``timeline.csv`` (one row per
event, UTC and local times, each event's hash), ``messages/NNN-kind.eml`` (byte-for-byte
copies of every stored message, numbered in time order), ``messages/draft-NNN-kind-status.eml``
(the letters iepd drafted that were never sent: withdrawn, or still waiting for SEND) and
``SHA256SUMS`` (``sha256sum -c`` format, covering every other file). Nothing is exported from
a store that fails ``verify``, and each copied message is checked against its recorded
SHA-256 as it is copied. The folder is built under a temporary name beside the target and
renamed into place, so an interrupted export never leaves a half folder under the name the
parent asked for.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from iepd.cli.views import iso_utc
from iepd.config.model import Config
from iepd.errors import IepdError
from iepd.inbox.parse import parse_message
from iepd.store.database import Store
from iepd.trail.export_page import Body, Cover, render_index
from iepd.trail.timeline import Trail, TrailMessage, load_trail

logger = logging.getLogger(__name__)

INDEX = "index.html"
TIMELINE = "timeline.csv"
SUMS = "SHA256SUMS"
MESSAGES = "messages"
CSV_COLUMNS = (
    "seq",
    "at_utc",
    "at_local",
    "kind",
    "message_id",
    "from",
    "to",
    "cc",
    "subject",
    "class",
    "detail",
    "date_header_utc",
    "date_header_local",
    "internaldate_utc",
    "internaldate_local",
    "sent_at_utc",
    "sent_at_local",
    "recorded_at_utc",
    "recorded_at_local",
    "file",
    "sha256",
    "prev_hash",
    "hash",
)


class ExportRefused(IepdError):
    """The export was not written: the store failed verification or the folder is in use."""


@dataclass(frozen=True)
class ExportResult:
    """What ``export_request`` wrote."""

    folder: Path
    index: Path
    files: tuple[str, ...]  # relative paths, as listed in SHA256SUMS
    head: str
    events: int
    messages: int


def _check_target(folder: Path) -> None:
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ExportRefused(f"{folder} exists and is not a folder; give a new folder name")
    if folder.is_dir() and any(folder.iterdir()):
        raise ExportRefused(
            f"{folder} is not empty; iepd writes an export only into a new or empty folder"
        )


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).isoformat()


def timeline_csv(trail: Trail, timezone: str) -> str:
    """Given a trail and the parent's timezone, return ``timeline.csv``: one row per event
    with UTC and local times, the message it is about and the event's place in the chain.
    """
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in trail.entries:
        event, message = entry.event, entry.message
        row = message.row if message else None
        times: list[str] = []
        for moment in (
            row.date_header if row else None,
            row.internaldate if row else None,
            message.sent_at if message else None,
            message.recorded_at if message else None,
        ):
            times += [iso_utc(moment) or "", _local(moment, zone)]
        writer.writerow(
            [
                event.seq,
                iso_utc(event.at),
                _local(event.at, zone),
                event.kind,
                event.message_id or "",
                event.from_addr or "",
                " ".join(row.to_addrs) if row else "",
                " ".join(row.cc_addrs) if row else "",
                event.subject or "",
                (row.klass or message.kind) if row and message else "",
                event.detail or "",
                *times,
                f"{MESSAGES}/{message.filename}" if message else "",
                row.sha256 if row else "",
                event.prev_hash,
                event.hash,
            ]
        )
    return buffer.getvalue()


def _body(message: TrailMessage, raw: bytes) -> Body:
    parsed = parse_message(raw)
    problems = "; ".join(parsed.problems) if message.row.direction == "in" else ""
    return Body(
        text=parsed.text,
        html_only=parsed.parts.html_only,
        delivery_status=parsed.parts.delivery_status,
        calendar=tuple(
            (invite.summary, invite.start, invite.location) for invite in parsed.parts.invites
        ),
        problems=problems,
    )


def cover_for(config: Config, trail: Trail, now: datetime) -> Cover:
    """Given the config, a trail and the export's moment, return what the page's cover says."""
    from iepd.letters.words import REASON_LABELS
    from iepd.trail.export_words import PAGE_WORDS

    request = trail.request
    parent = config.parent
    try:
        settings = config.request(request.id)
        concern = settings.concern
    except KeyError:
        concern = PAGE_WORDS[parent.language]["request_gone"]
    try:
        child = config.child(request.child)
    except KeyError:
        child_line = request.child
        case_manager = principal = PAGE_WORDS[parent.language]["child_gone"]
    else:
        child_line = f"{child.name}, {child.grade}, {child.school}"
        case_manager = f"{child.case_manager.name} <{child.case_manager.email}>"
        principal = f"{child.principal.name} <{child.principal.email}>"
    return Cover(
        request_id=request.id,
        child=child_line,
        parent=f"{parent.name} <{parent.email}>",
        case_manager=case_manager,
        principal=principal,
        reason=REASON_LABELS[parent.language].get(request.reason, request.reason),
        concern=concern,
        urgent=request.urgent,
        exported_at=now,
        timezone=parent.timezone,
        language=parent.language,
    )


def _write(folder: Path, relative: str, data: bytes) -> None:
    path = folder / relative
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    with os.fdopen(os.open(path, flags, 0o600), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def sha256sums(entries: Sequence[tuple[str, bytes]]) -> str:
    """Given (relative path, bytes) pairs, return a ``sha256sum -c`` file for them."""
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {relative}\n" for relative, data in sorted(entries)
    )


def export_request(
    config: Config, store: Store, request_id: str, folder: Path, *, now: datetime
) -> ExportResult:
    """Given the config, the store, a request id, a new or empty folder and the time, write
    the export there and return what was written.

    Raise ExportRefused if the store fails verification (naming each problem), a message
    file no longer matches its SHA-256, or the folder exists and is not empty; IepdError
    if the store has no such request.
    """
    folder = Path(folder).expanduser().absolute()
    _check_target(folder)
    trail = load_trail(store, request_id)
    if trail is None:
        raise IepdError(f"no request {request_id!r} in the store")
    problems = store.verify(request_id)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ExportRefused(
            f"the record does not verify, so nothing was exported:\n{lines}\n"
            "(run `iepd verify` for the full report)"
        )
    files: list[tuple[str, bytes]] = []
    bodies: dict[int, Body] = {}
    for message in trail.messages:
        raw = message.row.raw_path.read_bytes()
        found = hashlib.sha256(raw).hexdigest()
        if found != message.row.sha256:
            raise ExportRefused(
                f"{message.row.eml_path} changed while exporting: sha256 should be "
                f"{message.row.sha256}, found {found}; nothing was exported"
            )
        files.append((f"{MESSAGES}/{message.filename}", raw))
        bodies[message.number] = _body(message, raw)
    files.extend(_unsent_drafts(store, request_id))
    cover = cover_for(config, trail, now)
    index = render_index(cover, trail, bodies, templates=config.override_templates_dir)
    files.append((INDEX, index.encode()))
    files.append((TIMELINE, timeline_csv(trail, config.parent.timezone).encode("utf-8-sig")))
    _write_folder(folder, files)
    logger.info("exported %s to %s (%d files)", request_id, folder, len(files) + 1)
    return ExportResult(
        folder=folder,
        index=folder / INDEX,
        files=tuple(sorted(relative for relative, _ in files)),
        head=trail.head,
        events=len(trail.entries),
        messages=len(trail.messages),
    )


def _unsent_drafts(store: Store, request_id: str) -> list[tuple[str, bytes]]:
    """The drafts never sent (withdrawn, or still waiting for SEND), byte for byte: an
    approved draft is among the messages already, as the letter that went out."""
    found = []
    for draft in store.drafts(request_id):
        if draft.status == "approved":
            continue
        raw = draft.raw_path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != draft.sha256:
            raise ExportRefused(
                f"{draft.eml_path} no longer matches its SHA-256; nothing was exported"
            )
        found.append((f"{MESSAGES}/draft-{draft.id:03d}-{draft.kind}-{draft.status}.eml", raw))
    return found


def _write_folder(folder: Path, files: Sequence[tuple[str, bytes]]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = folder.parent / f".{folder.name}.iepd-export-{secrets.token_hex(4)}"
    try:
        building.mkdir(mode=0o700)
        (building / MESSAGES).mkdir(mode=0o700)
        for relative, data in files:
            _write(building, relative, data)
        _write(building, SUMS, sha256sums(files).encode())
        # rename() replaces an empty folder and fails on a non-empty one, so a folder
        # filled since the check is refused, never merged into.
        building.rename(folder)
    except OSError as error:
        raise ExportRefused(f"cannot write the export to {folder}: {error}") from error
    finally:
        with contextlib.suppress(OSError):
            if building.exists():
                shutil.rmtree(building)
