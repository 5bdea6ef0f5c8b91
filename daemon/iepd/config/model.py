"""The validated configuration as frozen dataclasses. ``config.load`` builds these from TOML.

Every string that reaches a mail header has been checked for control characters by the
loader, so code that holds a ``Config`` may put these values into headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from iepd.vocabulary import DEFAULT_AUTO_SEND

REASONS = (
    "general",
    "services_not_delivered",
    "outside_evaluation",
    "regression",
    "change_in_functioning",
    "placement_change",
    "behavior",
    "transition",
    "new_data",
)

# The systemd credential's file name when mail.password.name is not set.
DEFAULT_CREDENTIAL_NAME = "iepd-mail-password"

REQUIRED_DETAILS: Mapping[str, tuple[str, ...]] = {
    "services_not_delivered": ("service",),
    "outside_evaluation": ("evaluator", "areas"),
}


@dataclass(frozen=True)
class Duration:
    """A span written as "1d12h". Days stay apart from seconds because with
    ``business_days = true`` a day means a school day, which only the planner can count."""

    days: int = 0
    seconds: int = 0

    def as_timedelta(self) -> timedelta:
        """Return the span counting every day as 24 hours (calendar days)."""
        return timedelta(days=self.days, seconds=self.seconds)

    def __str__(self) -> str:
        parts = []
        if self.days:
            parts.append(f"{self.days}d")
        remaining = self.seconds
        for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
            if remaining >= size:
                parts.append(f"{remaining // size}{unit}")
                remaining %= size
        return "".join(parts) or "0s"


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


# The languages iepd writes in (v2): its reminders and its letters to the school.
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Parent:
    name: str
    email: str
    remind_to: str
    timezone: str  # IANA name, already checked with zoneinfo
    signature: str
    # The printed letter's sender block (`iepd print`); lines apart, "" when not given.
    postal_address: str = ""
    # v2: the language of the reminders, and of the letters to the school (LANGUAGES)
    language: str = "en"
    letters_language: str = "en"


@dataclass(frozen=True)
class PasswordSource:
    source: str  # keyring | credential | command
    name: str = DEFAULT_CREDENTIAL_NAME
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # tls | starttls | plain
    inbox: str = "INBOX"
    sent_folder: str = "Sent"  # "" = do not file copies
    poll_every: timedelta = timedelta(minutes=2)
    idle_refresh: timedelta = timedelta(minutes=9)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # tls | starttls | plain


@dataclass(frozen=True)
class MailSettings:
    username: str
    password: PasswordSource
    imap: ImapSettings
    smtp: SmtpSettings
    provider: str = ""
    auth: str = "password"  # password | xoauth2
    ca_file: Path | None = None
    provider_files_sent: bool = False  # the provider files a Sent copy itself (Gmail, M365)


@dataclass(frozen=True)
class SendWindow:
    """Days of the week (0 = Monday) and a local time range in which letters may go out."""

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class Timing:
    followup_after: Duration = Duration(days=7)
    escalate_after: Duration = Duration(days=7)
    business_days: bool = False
    holidays: frozenset[date] = frozenset()
    send_window: SendWindow | None = None
    meeting_prep_before: Duration = Duration(days=3)
    after_meeting: Duration = Duration(days=1)
    meeting_deadline: Duration | None = None


@dataclass(frozen=True)
class Assist:
    """The config's [assist]: how iepd carries the conversation after the first answer."""

    # The draft kinds sent without the parent's SEND (never "recap").
    auto_send: frozenset[str] = frozenset(DEFAULT_AUTO_SEND)
    commands_by_email: bool = True
    recap_correct_within: Duration = Duration(days=10)


@dataclass(frozen=True)
class Child:
    id: str
    name: str
    grade: str
    school: str
    pronouns: str  # he | she | they
    case_manager: Contact
    principal: Contact
    school_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestSettings:
    id: str
    child: str  # a Child.id, checked to exist
    reason: str  # one of REASONS
    concern: str
    availability: tuple[str, ...]
    urgent: bool = False
    hold: bool = False
    send_at: datetime | None = None  # naive, in the parent's timezone
    meeting_at: datetime | None = None  # naive, in the parent's timezone
    closed: bool = False
    details: Mapping[str, str] = field(default_factory=dict, hash=False)
    attendees: tuple[str, ...] = ()  # who the parent brings to the meeting (the confirm letter)


@dataclass(frozen=True)
class Config:
    path: Path  # the file it was read from; templates/ next to it overrides ours
    state_dir: Path
    parent: Parent
    mail: MailSettings
    timing: Timing
    children: tuple[Child, ...]
    requests: tuple[RequestSettings, ...]
    assist: Assist = Assist()

    def child(self, child_id: str) -> Child:
        for child in self.children:
            if child.id == child_id:
                return child
        raise KeyError(child_id)

    def request(self, request_id: str) -> RequestSettings:
        # A scan: fine for one letter; a loop over every request uses requests_by_id().
        for request in self.requests:
            if request.id == request_id:
                return request
        raise KeyError(request_id)

    def requests_by_id(self) -> dict[str, RequestSettings]:
        return {request.id: request for request in self.requests}

    @property
    def override_templates_dir(self) -> Path:
        return self.path.parent / "templates"
