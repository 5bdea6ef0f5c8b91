"""The demo's cast: a family with five children, each with one request, and the school.

What each case manager does is the script ``iepd.demo.school`` plays: Sam's answers in the
thread; Maya's is away (a vacation program answers) and answers the follow-up once back;
Eli's never answers, so the request is followed up, escalated to the principal and ends
with a no_response reminder; Noa's left the school and her address no longer exists, so the
letter bounces; Ava's offers a phone call instead of the meeting, iepd drafts the letter
that insists on the formal meeting, the parent approves it by replying SEND to the reminder
that shows it, and the case manager then agrees to the meeting. ``outcomes`` says whether
the store shows each request ended that way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from iepd.store.database import Store

# What the school does, in the words the demo's table shows.
ANSWERS = "answers"
AWAY = "away, then answers"
SILENT = "never answers"
GONE = "address gone"
OFFERS_CALL = "offers a call"


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Scene:
    """One request of the demo and what the school does with it."""

    request_id: str
    child_id: str
    child_name: str
    grade: str
    pronouns: str
    case_manager: Person
    behaviour: str
    reason: str
    concern: str
    details: tuple[tuple[str, str], ...] = ()


PARENT = Person("Jordan Rivera", "jordan@rivera.example")
SCHOOL = "Lincoln K-8 School"
SCHOOL_DOMAIN = "lincoln-k8.example"
PRINCIPAL = Person("Lee Chen", f"lchen@{SCHOOL_DOMAIN}")
MAIL_SYSTEM = "MAILER-DAEMON@mail.rivera.example"
CREDENTIAL_NAME = "iepd-mail-password"  # the config's default [mail.password] name

SCENES = (
    Scene(
        "sam-speech",
        "sam",
        "Sam Rivera",
        "4th grade",
        "he",
        Person("Dana Alvarez", f"dalvarez@{SCHOOL_DOMAIN}"),
        ANSWERS,
        "services_not_delivered",
        "Since October Sam has received about half of his speech sessions.",
        (("service", "60 minutes per week of speech-language therapy in a small group"),),
    ),
    Scene(
        "maya-reading",
        "maya",
        "Maya Rivera",
        "7th grade",
        "she",
        Person("Pat Okafor", f"pokafor@{SCHOOL_DOMAIN}"),
        AWAY,
        "regression",
        "Maya's reading fluency has dropped since the fall benchmark.",
    ),
    Scene(
        "eli-behavior",
        "eli",
        "Eli Rivera",
        "2nd grade",
        "they",
        Person("Robin Shah", f"rshah@{SCHOOL_DOMAIN}"),
        SILENT,
        "behavior",
        "Eli has been sent home early three times this month.",
    ),
    Scene(
        "noa-evaluation",
        "noa",
        "Noa Rivera",
        "5th grade",
        "she",
        Person("Kim Park", f"kpark@{SCHOOL_DOMAIN}"),
        GONE,
        "outside_evaluation",
        "Noa's private evaluation found a written-expression disorder.",
        (("evaluator", "Dr. Morgan Patel, licensed psychologist"), ("areas", "written expression")),
    ),
    Scene(
        "ava-services",
        "ava",
        "Ava Rivera",
        "3rd grade",
        "she",
        Person("Chris Lopez", f"clopez@{SCHOOL_DOMAIN}"),
        OFFERS_CALL,
        "general",
        "Ava's occupational therapy stopped in November without notice.",
    ),
)


def script_done(store: Store) -> bool:
    """Whether the parent has done their part: every insist letter the script approves
    has gone out (before that, a draft waiting for the parent is no resting state)."""
    for scene in SCENES:
        if scene.behaviour == OFFERS_CALL:
            kinds = {event.kind for event in store.events(scene.request_id)}
            if "letter_sent" not in kinds:
                return False
    return True


def mailbox_owners() -> list[str]:
    """The addresses that have a mailbox in the sandbox (Noa's case manager has none)."""
    staff = [scene.case_manager.email for scene in SCENES if scene.behaviour != GONE]
    return [PARENT.email, *staff, PRINCIPAL.email]


def write_config(
    folder: Path, imap_port: int, smtp_port: int, password: str, timing: Mapping[str, str]
) -> Path:
    """Write the demo's config.toml, pointed at the sandbox, and the password as a systemd
    credential (folder/credentials/iepd-mail-password, for $CREDENTIALS_DIRECTORY) into
    folder; return the config's path. The password is in no other file."""
    credentials = folder / "credentials"
    credentials.mkdir(mode=0o700)
    secret = credentials / CREDENTIAL_NAME
    secret.touch(mode=0o600)
    secret.write_text(password + "\n")
    config_path = folder / "config.toml"
    config_path.touch(mode=0o600)
    config_path.write_text(config_text(folder / "state", imap_port, smtp_port, timing))
    return config_path


def config_text(state_dir: Path, imap_port: int, smtp_port: int, timing: Mapping[str, str]) -> str:
    """Return the demo family's config.toml, pointed at the sandbox on 127.0.0.1."""
    children = []
    requests = []
    for scene in SCENES:
        children.append(
            f"""
[[child]]
id = "{scene.child_id}"
name = "{scene.child_name}"
grade = "{scene.grade}"
school = "{SCHOOL}"
pronouns = "{scene.pronouns}"
case_manager = {{ name = "{scene.case_manager.name}", email = "{scene.case_manager.email}" }}
principal = {{ name = "{PRINCIPAL.name}", email = "{PRINCIPAL.email}" }}
school_domains = ["{SCHOOL_DOMAIN}"]
"""
        )
        details = "".join(f'{key} = "{value}"\n' for key, value in scene.details)
        requests.append(
            f"""
[[request]]
id = "{scene.request_id}"
child = "{scene.child_id}"
reason = "{scene.reason}"
concern = "{scene.concern}"
availability = ["Mon or Wed after 3:30 pm", "Fri 8-10 am"]
[request.details]
{details}"""
        )
    timings = "".join(f'{key} = "{value}"\n' for key, value in timing.items())
    return f"""# The iepd demo: a sandbox on 127.0.0.1 and timings in seconds instead of days.
state_dir = "{state_dir}"

[parent]
name = "{PARENT.name}"
email = "{PARENT.email}"
timezone = "America/Chicago"
signature = "{PARENT.name}\\n(555) 010-0000"

[mail.password]
source = "credential"   # $CREDENTIALS_DIRECTORY/iepd-mail-password

[mail.imap]
host = "127.0.0.1"
port = {imap_port}
security = "plain"      # allowed only for a loopback host
sent_folder = "Sent"

[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "plain"

[timing]
{timings}{"".join(children)}{"".join(requests)}"""


@dataclass(frozen=True)
class Outcome:
    """Whether one request ended as the script means it to."""

    request_id: str
    ok: bool
    text: str


def outcomes(store: Store) -> list[Outcome]:
    """Given the demo's store, return for each scene whether it ended as scripted."""
    results = []
    for scene in SCENES:
        row = store.get_request(scene.request_id)
        state = row.state if row else "missing"
        kinds = {event.kind for event in store.events(scene.request_id)}
        outgoing = [out for out in store.list_outgoing(scene.request_id) if out.step == "done"]
        reminders = {out.reminder_kind for out in outgoing if out.purpose == "reminder"}
        followups = [out for out in outgoing if out.purpose == "followup"]
        escalations = [out for out in outgoing if out.purpose == "escalation"]
        letters = [out for out in outgoing if out.purpose == "insist"]
        if scene.behaviour == ANSWERS:
            # v2: an answer with no date set is acknowledged; it named a day, so the letter
            # asking for the date waits for the parent instead of going out by itself
            ok = state == "acknowledged" and "reply_received" in kinds and not followups
            text = "answered in its thread, so no follow-up was sent"
        elif scene.behaviour == OFFERS_CALL:
            ok = (
                state == "acknowledged"
                and "command_received" in kinds
                and len(letters) == 1
                and "letter_sent" in kinds
                and not followups
            )
            text = "offered a call; the parent's SEND sent the insist letter; then agreed"
        elif scene.behaviour == AWAY:
            ok = (
                state == "acknowledged"
                and "auto_reply_received" in kinds
                and len(followups) == 1
                and not escalations
            )
            text = "the out-of-office reply was no answer: followed up, then answered"
        elif scene.behaviour == SILENT:
            ok = (
                len(followups) == 1
                and len(escalations) == 1
                and PRINCIPAL.email in escalations[0].cc_addrs
                and "no_response" in reminders
            )
            text = "followed up, escalated with the principal copied, parent told: no response"
        else:
            ok = state == "undeliverable" and "bounce_received" in kinds and "bounce" in reminders
            text = "bounced: marked undeliverable and the parent told at once"
        results.append(Outcome(scene.request_id, ok, f"{text} (state: {state})"))
    return results
