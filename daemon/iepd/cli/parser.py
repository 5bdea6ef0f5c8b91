"""The command line's arguments: the commands, their options and the help text."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from iepd import __version__


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own, sized to the terminal as shutil would, without importing shutil:
    argparse builds a formatter for every add_argument, and shutil (with bz2 and lzma)
    cost every command ~5 ms."""

    def __init__(self, prog: str) -> None:
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                columns = 80
        super().__init__(prog, width=max(columns, 20) - 2)


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)  # subcommands' parsers too
        super().__init__(**kwargs)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the parser. Given the arguments it will parse, leave out the `init` flags
    unless they name `init` (`iepd --help` lists commands, not their flags): building them
    imports init_prompts and the providers table, about 5 ms every other command would pay."""
    parser = _Parser(
        prog="iepd",
        description="Ask the school for an IEP meeting in writing, watch for the answer, "
        "follow up, and keep the paper trail.",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="the config file (default: $IEPD_CONFIG, then ~/.config/iepd/config.toml, "
        "then /etc/iepd/config.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    parser.add_argument("--version", action="version", version=f"iepd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="the daemon, in the foreground (systemd runs it)")
    run.add_argument(
        "--once",
        action="store_true",
        help="one pass: send what is due, deliver what waits, then exit",
    )

    check = commands.add_parser("check", help="validate the config")
    check.add_argument(
        "--connect", action="store_true", help="also log in to the IMAP and SMTP servers and report"
    )

    preview = commands.add_parser("preview", help="print the exact letter a request would send")
    preview.add_argument("request_id", metavar="ID")

    status = commands.add_parser("status", help="one row per request")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    timeline = commands.add_parser("timeline", help="the paper trail of one request")
    timeline.add_argument("request_id", metavar="ID")
    timeline.add_argument("--json", action="store_true", help="machine-readable output")

    verify = commands.add_parser("verify", help="check the event hash chain and stored messages")
    verify.add_argument("request_id", metavar="ID", nargs="?")

    export = commands.add_parser(
        "export", help="write a printable, checkable folder of one request's paper trail"
    )
    export.add_argument("request_id", metavar="ID")
    export.add_argument(
        "--out", metavar="DIR", required=True, help="a new or empty folder to write into"
    )

    demo = commands.add_parser(
        "demo", help="the whole flow in a minute, against an embedded local mail sandbox"
    )
    demo.add_argument(
        "--dir",
        metavar="DIR",
        help="a new or empty folder for the demo's config, store, mailboxes and export "
        "(default: a new temporary folder); it is kept",
    )
    demo.add_argument(
        "--plain", action="store_true", help="one line per event instead of the live table"
    )

    password = commands.add_parser("password", help="manage the mail password")
    password_commands = password.add_subparsers(dest="password_command", required=True)
    password_commands.add_parser("set", help="store the mail password in the keyring")

    init = commands.add_parser(
        "init", help="a first run: write a commented config, store the password, check"
    )
    if argv is None or "init" in argv:
        from iepd.cli.init_prompts import add_init_arguments  # the flags are its questions

        add_init_arguments(init)
    return parser
