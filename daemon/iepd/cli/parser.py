"""The command line's arguments: the commands, their options and the help text."""

from __future__ import annotations

import argparse

from iepd import __version__
from iepd.cli.certified import add_commands as add_certified_commands
from iepd.cli.init_prompts import add_init_arguments
from iepd.cli.twins import add_commands as add_twin_commands


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of iepd's command line."""
    parser = argparse.ArgumentParser(
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

    explain = commands.add_parser(
        "explain", help="the request a message would match and why, its class and the evidence"
    )
    explain.add_argument("file", metavar="FILE.eml", help="the message, as a .eml file")
    explain.add_argument("--json", action="store_true", help="machine-readable output")

    add_certified_commands(commands)  # print, mailed
    add_twin_commands(commands)  # send, close, meeting, agreed, reclassify

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
    demo.add_argument(
        "--language",
        choices=("en", "es"),
        default="en",
        help="the language the parent reads iepd in, and the letters' (default: en)",
    )

    password = commands.add_parser("password", help="manage the mail password")
    password_commands = password.add_subparsers(dest="password_command", required=True)
    password_commands.add_parser("set", help="store the mail password in the keyring")

    init = commands.add_parser(
        "init", help="a first run: write a commented config, store the password, check"
    )
    add_init_arguments(init)  # the flags are init's questions
    return parser
