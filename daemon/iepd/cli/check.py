"""`iepd check [--connect]`: the config is valid, every letter renders and, with --connect,
both mail servers take the login. Also the last step of `iepd init`."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from iepd.cli.views import counted
from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.errors import MailServerError
from iepd.letters.checks import check_templates
from iepd.trail.page_check import check_export_page


def check(config_path: Path, *, connect: bool) -> int:
    """Given the config's path, print what was checked and return the exit status: 0, 78
    for a template (a letter, a reminder or the export page) that does not render, 69 for a
    server that refused. Raise ConfigError for a config with problems."""
    config = load_config(config_path, os.environ)
    problems = check_templates(config) + check_export_page(config)
    for problem in problems:
        print(f"template: {problem}")
    if problems:
        return 78
    children = counted(len(config.children), "child")
    print(f"config ok: {config.path} ({children}, {counted(len(config.requests), 'request')})")
    if not connect:
        return 0
    return asyncio.run(_check_connect(config))


async def _check_connect(config: Config) -> int:
    from iepd.mail.credentials import get_secret
    from iepd.mail.imap_check import check_imap
    from iepd.mail.smtp import check_smtp

    mail = config.mail
    secret = get_secret(mail, os.environ)
    status = 0
    try:
        print(
            await asyncio.to_thread(
                check_imap,
                mail.imap,
                username=mail.username,
                secret=secret,
                auth=mail.auth,
                ca_file=mail.ca_file,
            )
        )
    except MailServerError as error:
        print(f"FAILED: {error}")
        status = 69
    try:
        print(
            await check_smtp(
                mail.smtp,
                username=mail.username,
                secret=secret,
                auth=mail.auth,
                ca_file=mail.ca_file,
            )
        )
    except MailServerError as error:
        print(f"FAILED: {error}")
        status = 69
    return status
