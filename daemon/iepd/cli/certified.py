"""Certified mail: `iepd print` (a letter as a PDF to sign and mail) and `iepd mailed` (the
mailing and the delivery, in the paper trail).

`iepd print` changes nothing: it reads the config and the store and writes one new file.
Its words are the email's: the stored copy of a letter already sent, or, for a request not
sent yet, the letter `iepd preview` shows. `iepd mailed` appends ``mailed`` and
``mail_delivered`` events to the hash-chained log (``trail.postal``); with ``--pdf`` it
records the SHA-256 of the PDF that was mailed. A request the daemon has not copied into
the store yet is copied first, as `iepd run` would, so a parent who only mails the letter
keeps a record too.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from iepd.errors import IepdError
from iepd.vocabulary import LETTER_NAMES, LETTER_PURPOSES

if TYPE_CHECKING:
    from email.message import EmailMessage

    from iepd.config.model import Config
    from iepd.store.database import OutgoingRow, Store


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `print` and `mailed` to the command line."""
    printing = commands.add_parser(
        "print", help="write a letter as a PDF to sign and send by certified mail"
    )
    printing.add_argument("request_id", metavar="ID")
    printing.add_argument("--out", metavar="FILE.pdf", required=True, help="a new file")
    printing.add_argument(
        "--letter",
        choices=LETTER_PURPOSES,
        default="request",
        help="which letter: the request (the default, sent or not), or a follow-up already sent",
    )
    printing.add_argument(
        "--paper", choices=("letter", "a4"), default="letter", help="US Letter (default) or A4"
    )
    printing.add_argument(
        "--font",
        metavar="FILE.ttf",
        help="a TrueType font instead of Noto Serif, for characters it lacks",
    )

    mailed = commands.add_parser(
        "mailed", help="record that a printed letter was mailed, or delivered"
    )
    mailed.add_argument("request_id", metavar="ID")
    mailed.add_argument("--tracking", metavar="NUMBER", help="the tracking number on the receipt")
    mailed.add_argument("--date", metavar="YYYY-MM-DD", help="the day it was mailed (today)")
    mailed.add_argument("--delivered", metavar="YYYY-MM-DD", help="the day it was delivered")
    mailed.add_argument("--letter", choices=LETTER_PURPOSES, default="request")
    mailed.add_argument(
        "--pdf", metavar="FILE.pdf", help="the PDF that was mailed: its SHA-256 is recorded"
    )


def _config(args: argparse.Namespace) -> Config:
    from iepd.config.load import find_config_path, load_config

    return load_config(find_config_path(args.config, os.environ), os.environ)


def letter_name(letter: str) -> str:
    return "request letter" if letter == "request" else LETTER_NAMES.get(letter, letter)


def stored_letter(store: Store | None, request_id: str, letter: str) -> OutgoingRow | None:
    """Return the newest stored letter of this kind for the request, if iepd queued one."""
    if store is None:
        return None
    found = [row for row in store.list_outgoing(request_id) if row.purpose == letter]
    return found[-1] if found else None


def letter_message(
    config: Config, store: Store | None, request_id: str, letter: str, now: datetime
) -> EmailMessage:
    """Given a request and a letter, return that letter as an email: its stored copy when
    iepd queued it (the words the school got), else, for the request, the letter `iepd
    preview` renders. Raise IepdError if a follow-up was never sent or its copy changed."""
    import email.message
    import email.parser
    import email.policy

    from iepd.letters.compose import make_message_id
    from iepd.letters.school import render_request
    from iepd.store.files import sha256_hex

    row = stored_letter(store, request_id, letter)
    if row is not None:
        try:
            raw = row.read_raw()
        except OSError as error:
            raise IepdError(f"cannot read the stored {row.eml_path}: {error}") from error
        if sha256_hex(raw) != row.sha256:
            raise IepdError(
                f"the stored {row.eml_path} changed after iepd wrote it; run: iepd verify"
            )
        parser = email.parser.BytesParser(policy=email.policy.default)
        message = parser.parsebytes(raw)
        assert isinstance(message, email.message.EmailMessage)  # policy.default makes one
        return message
    if letter != "request":
        raise IepdError(
            f"no {letter_name(letter)} of {request_id} has been sent: --letter {letter}"
            " prints one iepd sent"
        )
    return render_request(
        config, request_id, message_id=make_message_id(config.parent.email), date=now
    )


def cmd_print(args: argparse.Namespace) -> int:
    from iepd.letters.pdf import write_pdf
    from iepd.letters.printed import PAGE_NAMES, sheet_for
    from iepd.store.database import Store

    config = _config(args)
    if args.request_id not in config.requests_by_id():
        raise IepdError(f"no request {args.request_id!r} in {config.path}")
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(config.parent.timezone)).date()
    store = Store.open_existing(config.state_dir)
    try:
        message = letter_message(config, store, args.request_id, args.letter, now)
    finally:
        if store is not None:
            store.close()
    sheet = sheet_for(config, args.request_id, message, today)
    font = Path(args.font).expanduser() if args.font else None
    written = write_pdf(sheet, args.paper, Path(args.out).expanduser(), font=font)
    pages = "1 page" if written.pages == 1 else f"{written.pages} pages"
    print(
        f"wrote {written.path}: the {letter_name(args.letter)} of {args.request_id},"
        f" {pages}, {PAGE_NAMES[args.paper]}"
    )
    print("  sign it above your name, send it by certified mail, then record the mailing:")
    letter = "" if args.letter == "request" else f" --letter {args.letter}"
    print(f"  iepd mailed {args.request_id}{letter} --tracking NUMBER --pdf {written.path}")
    return 0


def _day(text: str | None, option: str, today: date) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise IepdError(f"{option}: expected a date like 2026-12-01, got {text!r}") from None
    if day > today:
        raise IepdError(f"{option} {day} is in the future (today is {today})")
    return day


def _ensure_request(config: Config, store: Store, request_id: str, now: datetime) -> None:
    """Copy a configured request into the store, as `iepd run` would, if it is not there."""
    if store.get_request(request_id) is not None:
        return
    settings = config.requests_by_id().get(request_id)
    if settings is None:
        raise IepdError(f"no request {request_id!r} in the config or the store")
    store.upsert_request(
        id=settings.id,
        child=settings.child,
        reason=settings.reason,
        urgent=settings.urgent,
        state_if_new="draft" if settings.hold else "queued",
        subject="",
        now=now,
    )


def cmd_mailed(args: argparse.Namespace) -> int:
    from iepd.store.database import Store
    from iepd.store.files import file_sha256
    from iepd.trail.postal import checked_tracking, describe, record_delivered, record_mailed

    if args.tracking is None and args.delivered is None:
        raise IepdError("give --tracking NUMBER (it was mailed) or --delivered YYYY-MM-DD")
    if args.pdf and args.tracking is None:
        raise IepdError("--pdf goes with --tracking: the PDF of the letter mailed")
    config = _config(args)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(config.parent.timezone)).date()
    mailed_on = _day(args.date, "--date", today) or today
    delivered_on = _day(args.delivered, "--delivered", today)
    tracking = checked_tracking(args.tracking) if args.tracking is not None else None
    pdf_sha256 = None
    if args.pdf:
        try:
            pdf_sha256 = file_sha256(Path(args.pdf).expanduser())
        except OSError as error:
            raise IepdError(f"cannot read {args.pdf}: {error.strerror or error}") from error
    request_id, letter = args.request_id, args.letter
    with Store.open(config.state_dir) as store:
        _ensure_request(config, store, request_id, now)
        if letter != "request" and stored_letter(store, request_id, letter) is None:
            raise IepdError(f"no {letter_name(letter)} of {request_id} has been sent")
        if tracking is not None:
            mailing = record_mailed(
                store,
                request_id,
                letter,
                day=mailed_on,
                tracking=tracking,
                pdf_sha256=pdf_sha256,
                now=now,
            )
            if mailing is None:
                print(f"already recorded: the {letter_name(letter)} with tracking {tracking}")
            else:
                print(f"recorded: {request_id}: {describe(mailing).rpartition(', ')[0]}")
        if delivered_on is not None:
            mailing = record_delivered(
                store, request_id, letter, day=delivered_on, tracking=tracking, now=now
            )
            print(f"recorded: {request_id}: {describe(mailing)}")
            request = store.get_request(request_id)
            if letter == "request" and request is not None and request.sent_at is None:
                print(
                    "  no email of this request was sent: the school's clock runs from"
                    f" {delivered_on}, the day it was delivered, and iepd emails no request"
                )
                settings = config.requests_by_id().get(request_id)
                if settings is not None and settings.hold:
                    print(
                        "  the request is on hold: take the hold off (hold = false) for iepd"
                        " to follow up by email if the school does not answer"
                    )
    return 0
