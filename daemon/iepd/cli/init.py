"""`iepd init`: from nothing to a checked configuration.

Ask each question of ``init_prompts`` (or take it from its flag), check every answer as
it is given and ask again with the reason; store the password in the keyring (or, when
the keyring is refused, say why and take another source); write the commented config
with mode 0600, refusing to overwrite one without --force, after proving that it loads;
run the checks of `iepd check --connect`; print the next steps.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from iepd.cli import init_prompts as prompts
from iepd.config import values
from iepd.config.load import load_config
from iepd.errors import CredentialError, IepdError
from iepd.mail import providers

logger = logging.getLogger(__name__)

Ask = Callable[[str], str]
SOURCE = "password_source"  # the answer that says where the secret comes from


def config_target(cli_path: str | None, environ: Mapping[str, str]) -> Path:
    """Return where init writes: --config, else $IEPD_CONFIG, else the user's
    $XDG_CONFIG_HOME/iepd/config.toml (never /etc: that is for an administrator)."""
    for given in (cli_path, environ.get("IEPD_CONFIG")):
        if given:
            return values.expand_user(given, environ).absolute()
    xdg = environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else values.home(environ) / ".config"
    return base / "iepd" / "config.toml"


def run(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> int:
    """Given the parsed `iepd init` arguments, run the wizard; return the exit status."""
    target = config_target(args.config, environ)
    if target.exists() and not args.force:
        raise IepdError(
            f"{target} already exists: iepd init will not overwrite it; edit it, or run "
            "`iepd init --force` to start again"
        )
    interactive = not args.non_interactive
    if interactive:
        print(f"iepd init: a few questions, then the config goes to {target}")
        print("Press Enter to take the [suggestion]. Ctrl-C stops without writing anything.\n")
    given = {q.key: getattr(args, q.key) for q in prompts.QUESTIONS if getattr(args, q.key)}
    answers = gather(given, environ, input if interactive else None)
    advise(answers)
    keyring_password = _read_password(args, answers, interactive)
    if keyring_password is not None:
        _store_password(answers, keyring_password, environ, interactive)
    text = prompts.render_config(answers)
    write_config(target, text, force=args.force, environ=environ)
    print(f"\nwrote {target} (mode 0600)")
    status = 0
    if args.no_connect:
        print("connection check skipped (--no-connect); later run: iepd check --connect")
    else:
        status = _check(target)
    _next_steps(target, answers, status)
    return status


def gather(
    given: Mapping[str, str], environ: Mapping[str, str], ask: Ask | None
) -> prompts.Answers:
    """Given the answers from flags, the environment and a way to ask (None: ask nothing),
    return every answer, each checked. Raise IepdError naming every bad or missing flag
    when nothing may be asked."""
    answers: prompts.Answers = {"_system_timezone": values.system_timezone(environ)}
    problems: list[str] = []
    for question in prompts.QUESTIONS:
        if not question.asked(answers):
            continue
        if question.key in given:
            try:
                answers[question.key] = question.check(given[question.key], answers)
                continue
            except ValueError as error:
                if ask is None:
                    problems.append(f"{question.flag}: {error}")
                    continue
                print(f"  {question.flag} {given[question.key]!r}: {error}")
        if ask is None:
            default = question.default(answers)
            try:
                answers[question.key] = question.check(default, answers)
            except ValueError:
                problems.append(f"{question.flag}: required ({question.prompt})")
            continue
        answers[question.key] = ask_until_valid(question, answers, ask)
    if problems:
        raise IepdError("iepd init --non-interactive:\n" + "\n".join(f"  - {p}" for p in problems))
    del answers["_system_timezone"]
    return answers


def ask_until_valid(question: prompts.Question, answers: prompts.Answers, ask: Ask) -> str:
    """Ask the question until its check passes; show the reason after each refusal."""
    while True:
        default = question.default(answers)
        shown = f" [{default}]" if default else ""
        text = ask(f"{question.prompt}{shown}: ").strip() or default
        try:
            return question.check(text, answers)
        except ValueError as error:
            print(f"  not accepted: {error}")


def advise(answers: Mapping[str, str]) -> None:
    advice = providers.ADVICE.get(answers["provider"])
    if advice is not None:
        print(f"\n{advice.label} needs an {advice.secret}: {advice.steps}.")


def _read_password(
    args: argparse.Namespace, answers: prompts.Answers, interactive: bool
) -> str | None:
    if answers[SOURCE] != "keyring":
        return None
    if interactive:
        what = (
            "app password"
            if answers.get("provider") in ("gmail", "icloud", "yahoo", "fastmail")
            else "password"
        )
        return getpass.getpass(f"The {what} for {answers['username']} (not shown): ")
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    print("no password given (--password-stdin); store it later with: iepd password set")
    return None


def _store_password(
    answers: prompts.Answers, password: str, environ: Mapping[str, str], interactive: bool
) -> None:
    from iepd.mail.credentials import store_password

    try:
        store_password(answers["username"], password)
    except CredentialError as error:
        if not interactive:
            raise CredentialError(
                f"{error}\nrun iepd init again with --password-source command "
                "--password-command '...' (or credential)"
            ) from None
        print(f"\nThe password was not stored: {error}")
        print("Choose another place for it: a command that prints it (a password manager),")
        print("or a systemd credential (for a system service; see docs/systemd.md).")
        for question in prompts.QUESTIONS:
            if question.key in ("password_source", "password_command"):
                answers.pop(question.key, None)
        source = prompts.Question(
            "password_source",
            "Where iepd gets the secret (command, credential)",
            prompts.choice(("command", "credential")),
            default=lambda answers: "command",
        )
        answers[SOURCE] = ask_until_valid(source, answers, input)
        if answers[SOURCE] == "command":
            command = next(q for q in prompts.QUESTIONS if q.key == "password_command")
            answers["password_command"] = ask_until_valid(command, answers, input)
    else:
        print(f'stored in the keyring for service "iepd", user "{answers["username"]}"')


def write_config(target: Path, text: str, *, force: bool, environ: Mapping[str, str]) -> None:
    """Write text to target with mode 0600, after proving it loads. Without force, refuse
    to replace a file (even one created while the questions were asked).

    Raise IepdError if the file exists, or if the config would not load (a bug: the
    answers were checked).
    """
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        load_config(Path(temporary), environ)
        if force:
            os.replace(temporary, target)
        else:
            # link() fails if target exists: no window in which another file is replaced.
            try:
                os.link(temporary, target)
            except FileExistsError:
                raise IepdError(f"{target} appeared meanwhile; nothing was overwritten") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _check(target: Path) -> int:
    from iepd.cli.check import check

    print("\nchecking the config and logging in to both servers (iepd check --connect):")
    try:
        return check(target, connect=True)
    except IepdError as error:
        print(f"FAILED: {error}")
        return error.exit_code


def _next_steps(target: Path, answers: Mapping[str, str], status: int) -> None:
    config = "" if target == config_target(None, os.environ) else f" --config {target}"
    request = prompts.request_id(answers)
    print("\nNext:")
    if status != 0:
        print(f"  0. fix what failed above, then: iepd{config} check --connect")
    print(f"  1. edit the draft request in {target} (your concern, your availability)")
    print(f"  2. iepd{config} preview {request}    # the exact letter, headers and all")
    print("  3. delete its `hold = true` line, then enable the service:")
    print("     systemctl --user enable --now iepd.service   (see docs/systemd.md)")
