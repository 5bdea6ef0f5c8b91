"""The command line's twins of the commands by email (issue 15): `iepd send ID`, `close ID`,
`meeting ID WHEN`, `agreed ID` and `reclassify ID CLASS`.

Each is one of ``ParentMoves``'s moves, recorded in the store like the same command by email
(``via`` "cli"). A letter approved here is queued in the outbox; the daemon sends it on its
next pass, as it sends every letter, so two processes never deliver the same message.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from iepd.errors import IepdError

if TYPE_CHECKING:
    from iepd.config.model import Config

CLASSES = {
    "answer": "answer",
    "declined": "declined",
    "informal": "informal",
    "auto": "auto_reply",
    "auto_reply": "auto_reply",
}
_AFTER_QUEUE = (
    "The daemon (`iepd run`) sends it on its next pass; if it is not running, run: iepd run --once"
)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add send, close, meeting, agreed and reclassify to the command line."""
    send = commands.add_parser("send", help="approve and send the draft letter waiting for SEND")
    send.add_argument("request_id", metavar="ID")
    close = commands.add_parser("close", help="close a request: nothing more is sent for it")
    close.add_argument("request_id", metavar="ID")
    meeting = commands.add_parser("meeting", help='the meeting is set, e.g. "Dec 8 3:30 pm"')
    meeting.add_argument("request_id", metavar="ID")
    meeting.add_argument("when", metavar="WHEN", nargs="+", help="date and time (your time)")
    agreed = commands.add_parser(
        "agreed",
        help="after the meeting: what was agreed, one item per line (standard input, or $EDITOR)",
    )
    agreed.add_argument("request_id", metavar="ID")
    reclassify = commands.add_parser(
        "reclassify", help="correct iepd's reading of the school's newest message"
    )
    reclassify.add_argument("request_id", metavar="ID")
    reclassify.add_argument("klass", metavar="CLASS", choices=sorted(CLASSES))


def cmd_twin(args: argparse.Namespace) -> int:
    """Carry out one of the twins; print what was done."""
    from iepd.config.load import find_config_path, load_config
    from iepd.outbox.enqueue import OutboxQueue
    from iepd.run.parent_moves import ParentMoves
    from iepd.store.database import Store

    config = load_config(find_config_path(args.config, os.environ), os.environ)
    store = Store.open_existing(config.state_dir)
    if store is None:
        raise IepdError("nothing recorded yet: `iepd run` has not run; nothing to act on")
    with store:

        def clock() -> datetime:
            return datetime.now(UTC)

        moves = ParentMoves(config, store, OutboxQueue(config, store, clock), clock)
        request_id = args.request_id
        if store.get_request(request_id) is None:
            raise IepdError(f"no request {request_id!r} in the store")
        if args.command == "send":
            print(moves.send_draft(request_id, via="cli"))
            print(_AFTER_QUEUE)
        elif args.command == "close":
            print(moves.close(request_id, via="cli"))
        elif args.command == "meeting":
            print(moves.set_meeting(request_id, _when(config, " ".join(args.when)), via="cli"))
        elif args.command == "agreed":
            print(moves.agreed(request_id, _items(), via="cli"))
        else:
            print(moves.reclassify(request_id, CLASSES[args.klass], via="cli"))
    return 0


def _when(config: Config, text: str) -> datetime:
    from iepd.decide.meeting_time import UnreadableMeetingTime, parse_meeting_time
    from iepd.letters.text_format import parent_zone

    zone = parent_zone(config)
    try:
        return parse_meeting_time(text, datetime.now(UTC), zone, config.parent.language)
    except UnreadableMeetingTime as error:
        raise IepdError(f"cannot read the meeting's date and time: {error}") from error


def _items() -> list[str]:
    """The agreements, one per line: from standard input when it is not a terminal, else
    from $EDITOR (or $VISUAL) on a file with instructions; lines starting with # are left out."""
    if not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            raise IepdError("give the agreements on standard input, one per line, or set $EDITOR")
        # Here, not at the top: every command imports this module to build the parser.
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "agreed.txt"
            path.write_text(
                "# What was agreed at the meeting, one item per line: what, by whom, by when.\n"
                "# Lines starting with # are left out. Save and quit when done.\n",
                encoding="utf-8",
            )
            subprocess.run([*editor.split(), str(path)], check=True)
            text = path.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
