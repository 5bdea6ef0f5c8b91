"""The command line. Imports are made inside each command so `iepd --help` stays quick."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from iepd.cli.certified import cmd_mailed, cmd_print
from iepd.cli.parser import build_parser
from iepd.cli.twins import cmd_twin
from iepd.errors import IepdError

if TYPE_CHECKING:
    from iepd.config.model import Config
    from iepd.store.database import Store

logger = logging.getLogger("iepd")


def load(args: argparse.Namespace) -> Config:
    from iepd.config.load import find_config_path, load_config

    return load_config(find_config_path(args.config, os.environ), os.environ)


@contextlib.contextmanager
def open_store(config: Config) -> Iterator[Store | None]:
    """Yield the store to read, or None before `iepd run` has recorded anything: a command
    that only reads creates no state folder, and creates or migrates no database."""
    from iepd.store.database import Store

    store = Store.open_existing(config.state_dir)
    with store if store is not None else contextlib.nullcontext():
        yield store


def unknown_request(request_id: str) -> IepdError:
    return IepdError(f"no request {request_id!r} in the config or the store")


def nothing_yet(config: Config, request_id: str | None, what: str) -> str:
    """Given a request id the store has no record of (None: there is no store yet), return
    what a read-only command says: nothing to `what` yet. Raise IepdError for an id in
    neither the config nor the store."""
    if request_id is None:
        return f"nothing to {what} yet: `iepd run` has recorded nothing in {config.state_dir}"
    if request_id not in config.requests_by_id():
        raise unknown_request(request_id)
    return f"nothing to {what} for {request_id} yet: `iepd run` has recorded nothing for it"


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: only `iepd run` needs it

    from iepd.config.load import find_config_path
    from iepd.run.daemon import Daemon

    daemon = Daemon(find_config_path(args.config, os.environ))
    return asyncio.run(daemon.run(once=args.once))


def cmd_check(args: argparse.Namespace) -> int:
    from iepd.cli.check import check
    from iepd.config.load import find_config_path

    return check(find_config_path(args.config, os.environ), connect=args.connect)


def cmd_preview(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from iepd.cli.readable import readable_letter
    from iepd.letters.compose import make_message_id
    from iepd.letters.school import render_request

    config = load(args)
    try:
        config.request(args.request_id)
    except KeyError:
        raise IepdError(f"no request {args.request_id!r} in {config.path}") from None
    message = render_request(
        config,
        args.request_id,
        message_id=make_message_id(config.parent.email),
        date=datetime.now(UTC),
    )
    sys.stdout.write(readable_letter(message))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from iepd.cli import views
    from iepd.run.snapshots import status_functions

    config = load(args)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    with open_store(config) as store:
        if store is not None:
            requests = store.list_requests()
            next_step, waiting = status_functions(config, store, now, requests)
            rows = views.status_rows(store, next_step, requests, waiting)
    # Requests added to the config since `iepd run` last copied them into the store.
    known = {row["id"] for row in rows}
    new = views.unrecorded_rows(config, [r for r in config.requests if r.id not in known], now)
    if args.json:
        print(views.json_rows(rows + new))
    else:
        print(views.format_status(rows + new, config.parent.timezone, now, len(new)))
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from iepd.cli import views
    from iepd.trail.timeline import load_trail

    config = load(args)
    with open_store(config) as store:
        trail = load_trail(store, args.request_id) if store is not None else None
    if trail is None:
        settings = config.requests_by_id().get(args.request_id)
        if settings is None:
            raise unknown_request(args.request_id)
        now = datetime.now(UTC)
        [new] = views.unrecorded_rows(config, [settings], now)
        print("[]" if args.json else views.unrecorded_line(new, config.parent.timezone, now))
        return 0
    rows = views.trail_rows(trail)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(views.format_timeline(rows, config.parent.timezone))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from iepd.cli.views import counted

    config = load(args)
    with open_store(config) as store:
        if store is None or (args.request_id and store.get_request(args.request_id) is None):
            print(nothing_yet(config, args.request_id, "verify"))
            return 0
        problems = store.verify(args.request_id)
        events = len(store.events())
        head = store.chain_head()
        messages = (
            len(store.messages_for(args.request_id))
            if args.request_id
            else sum(len(store.messages_for(row.id)) for row in store.list_requests())
        )
    for problem in problems:
        print(f"TAMPERED: {problem}")
    if problems:
        print(
            f"iepd verify: {counted(len(problems), 'problem')} in {config.state_dir}: the record"
            " was changed after iepd wrote it",
            file=sys.stderr,
        )
        return 1
    stored = counted(messages, "stored message")
    scope = f"the {stored} of {args.request_id}" if args.request_id else f"all {stored}"
    if messages == 1 and not args.request_id:
        scope = f"the {stored}"
    print(f"ok: the event chain ({counted(events, 'event')}, head {head}) and {scope} verify")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from iepd.cli.views import counted
    from iepd.trail.export import export_request

    config = load(args)
    with open_store(config) as store:
        if store is None or store.get_request(args.request_id) is None:
            raise IepdError(nothing_yet(config, args.request_id, "export"))
        result = export_request(
            config, store, args.request_id, Path(args.out), now=datetime.now(UTC)
        )
    print(f"exported {args.request_id} to {result.folder}")
    print(f"  open {result.index} in a web browser, and print it from there (Letter or A4)")
    print(f"  check it: cd {result.folder} && sha256sum -c SHA256SUMS")
    print(
        f"  {counted(result.events, 'event')}, {counted(result.messages, 'message')}"
        " (messages/*.eml);"
        f" chain head {result.head}"
    )
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from iepd.cli import explain

    raw = explain.read_message(args.file)
    config = load(args)
    with open_store(config) as store:
        explanation = explain.explain(config, store, raw)
    print(explain.as_json(explanation) if args.json else explain.as_text(config, explanation))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from iepd.demo.main import run_demo

    return run_demo(Path(args.dir) if args.dir else None, plain=args.plain, language=args.language)


def cmd_password(args: argparse.Namespace) -> int:
    import getpass

    from iepd.mail.credentials import store_password

    config = load(args)
    if config.mail.password.source != "keyring":
        print(
            f"note: {config.path} reads the password from {config.mail.password.source!r}, "
            "not the keyring",
            file=sys.stderr,
        )
    secret = getpass.getpass(f"mail password for {config.mail.username}: ")
    if not secret:
        raise IepdError("no password given; nothing stored")
    store_password(config.mail.username, secret)
    print(f'stored in the keyring for service "iepd", user "{config.mail.username}"')
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from iepd.cli import init

    return init.run(args)


COMMANDS = {
    "run": cmd_run,
    "check": cmd_check,
    "preview": cmd_preview,
    "status": cmd_status,
    "timeline": cmd_timeline,
    "verify": cmd_verify,
    "export": cmd_export,
    "explain": cmd_explain,
    "print": cmd_print,
    "mailed": cmd_mailed,
    **dict.fromkeys(("send", "close", "meeting", "agreed", "reclassify"), cmd_twin),
    "password": cmd_password,
    "demo": cmd_demo,
    "init": cmd_init,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from iepd.cli.logsetup import setup_logging

    setup_logging(args.verbose)
    try:
        return COMMANDS[args.command](args)
    except IepdError as error:
        print(f"iepd: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `iepd timeline ID | head`: the reader left; that is not an error. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
