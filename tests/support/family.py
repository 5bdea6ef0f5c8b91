"""A real iepd config file for tests: pointed at the test servers on 127.0.0.1
(``new_family``), or at none, for tests that contact no server (``offline_family``).

The password reaches iepd as a systemd credential (a file in $CREDENTIALS_DIRECTORY), the
way a system service gets it, so it never appears in a command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PARENT_NAME = "Jordan Rivera"
CHILD_NAME = "Sam Rivera"
# The offline family's addresses (new_family's are fresh accounts on the test Dovecot).
PARENT = "jordan@family.example"
CASE_MANAGER = "dalvarez@example.test"
PRINCIPAL = "lchen@example.test"


@dataclass
class Family:
    """Where a test's iepd lives: its config file, its state and its credential folder."""

    root: Path
    parent: str
    parent_password: str
    case_manager: str
    principal: str
    imap_port: int
    smtp_port: int
    ca_file: Path
    requests: list[str] = field(default_factory=list)
    timing: str = ""
    remind_to: str | None = None
    sent_folder: str = "Sent"
    passwords: dict[str, str] = field(default_factory=dict)  # school accounts, for reading

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def credentials_dir(self) -> Path:
        return self.root / "credentials"

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(base or {})
        env["CREDENTIALS_DIRECTORY"] = str(self.credentials_dir)
        env["IEPD_CONFIG"] = str(self.config_path)
        return env

    def write(self) -> Path:
        self.credentials_dir.mkdir(parents=True, exist_ok=True)
        (self.credentials_dir / "iepd-mail-password").write_text(self.parent_password + "\n")
        remind_to = f'remind_to = "{self.remind_to}"\n' if self.remind_to else ""
        self.config_path.write_text(
            f"""state_dir = "{self.state_dir}"

[parent]
name = "{PARENT_NAME}"
email = "{self.parent}"
{remind_to}timezone = "America/Chicago"
signature = "{PARENT_NAME}\\n(555) 010-0000"

[mail]
ca_file = "{self.ca_file}"

[mail.password]
source = "credential"

[mail.imap]
host = "127.0.0.1"
port = {self.imap_port}
security = "starttls"
sent_folder = "{self.sent_folder}"

[mail.smtp]
host = "127.0.0.1"
port = {self.smtp_port}
security = "starttls"

[timing]
{self.timing}

[[child]]
id = "sam"
name = "{CHILD_NAME}"
grade = "4th grade"
school = "Lincoln Elementary School"
pronouns = "he"
case_manager = {{ name = "Dana Alvarez", email = "{self.case_manager}" }}
principal = {{ name = "Lee Chen", email = "{self.principal}" }}
school_domains = ["example.test"]

{"".join(self.requests)}"""
        )
        return self.config_path


def speech_request(request_id: str = "sam-speech", *, urgent: bool = False, extra: str = "") -> str:
    return f"""
[[request]]
id = "{request_id}"
child = "sam"
reason = "services_not_delivered"
urgent = {"true" if urgent else "false"}
concern = "Since October Sam has received about half of his speech sessions."
availability = ["Mon or Wed after 3:30 pm", "Fri 8-10 am"]
{extra}
[request.details]
service = "60 minutes per week of speech-language therapy in a small group"
"""


def new_family(
    root: Path,
    dovecot: Any,
    smtp_server: Any,
    new_mail_account: Callable[[str], Any],
    **settings: Any,
) -> Family:
    """Given the test servers and the account factory, return a family with fresh accounts
    for the parent, the case manager and the principal, and its config written."""
    parent = new_mail_account("parent")
    case_manager = new_mail_account("school")
    principal = new_mail_account("school")
    settings.setdefault("requests", [speech_request()])
    family = Family(
        root=root,
        parent=parent.user,
        parent_password=parent.password,
        case_manager=case_manager.user,
        principal=principal.user,
        passwords=dict([case_manager, principal]),
        imap_port=dovecot.imap_port,
        smtp_port=smtp_server.port,
        ca_file=Path(dovecot.ca_file),
        **settings,
    )
    family.write()
    return family


def offline_family(root: Path, requests: list[str]) -> Family:
    """Given a folder and [[request]] tables (``speech_request``), write a family's config
    whose mail servers are never contacted, and return the family."""
    root.mkdir(parents=True, exist_ok=True)
    ca_file = root / "ca.pem"
    ca_file.write_text("not used: no server is contacted\n")
    family = Family(
        root=root,
        parent=PARENT,
        parent_password="not-a-real-password",
        case_manager=CASE_MANAGER,
        principal=PRINCIPAL,
        imap_port=1,
        smtp_port=2,
        ca_file=ca_file,
        requests=requests,
    )
    family.write()
    return family
