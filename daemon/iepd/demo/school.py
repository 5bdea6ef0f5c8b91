"""The demo's script: a school that reads its mail and answers, or does not, by SMTP, and
the parent's one reply to iepd.

The school answers Sam's request in its thread; Maya's case manager is away (her vacation
program answers, then she answers the follow-up when she is back); nobody answers Eli's, so
it is followed up, escalated to the principal and ends with a no_response reminder; Noa's
case manager left and her address no longer exists, so the parent's mail system bounces the
letter with a delivery-status report quoting its Message-ID. Ava's case manager offers a
phone call instead of the meeting; the parent answers iepd's draft_ready reminder with SEND,
and once the letter insisting on the formal meeting arrives, the case manager agrees to it.
Everyone reads their mailboxes by IMAP and writes by SMTP, through the sandbox, like any
other mail user.
"""

from __future__ import annotations

import contextlib
import email.policy
import email.utils
import imaplib
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage

from iepd.demo.cast import (
    ANSWERS,
    AWAY,
    GONE,
    MAIL_SYSTEM,
    OFFERS_CALL,
    PARENT,
    PRINCIPAL,
    SCENES,
    SCHOOL,
    SCHOOL_DOMAIN,
    Person,
    Scene,
)
from iepd.demo.sandbox import Envelope, Sandbox, fetch_since
from iepd.letters.mail_policy import MAIL_POLICY

logger = logging.getLogger(__name__)

POLL_EVERY = 0.2  # seconds between looks at the school's mailboxes
READING_TIME = 2.0  # how long Dana takes before answering
AWAY_REPLY_DELAY = 0.3
BACK_AT_DESK_DELAY = 1.0  # Maya's case manager answers the follow-up this soon after it lands
BOUNCE_DELAY = 1.0  # a real mail system bounces a moment after it accepted the letter
PARENT_READING_TIME = 1.0  # how long Jordan takes to read the draft and reply SEND


class School:
    """The scripted school: a thread that reads the staff's mailboxes and answers by SMTP.
    Its bounce() is the sandbox's hook for a recipient without a mailbox."""

    def __init__(self, sandbox: Sandbox, clock: Callable[[], float] = time.monotonic) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self._log: list[tuple[float, str]] = []  # (clock, what the school did), for the view
        self._lock = threading.Lock()
        self._due: list[tuple[float, Callable[[], None]]] = []
        self._in_hand = 0  # actions taken off _due and not finished
        self._seen: set[str] = set()  # the mailboxes whose owner already sent an away notice
        self._approved: set[str] = set()  # the requests whose draft the parent sent
        # how the parent approves a draft and quotes it, in her language (demo/language.py)
        self.parent_reply = ("SEND", "On a weekday, iepd wrote:\n> iepd has drafted a letter.")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="iepd-demo-school", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def busy(self) -> bool:
        """Return whether the school still means to send something."""
        with self._lock:
            return bool(self._due) or self._in_hand > 0

    def bounce(self, envelope: Envelope, recipients: tuple[str, ...]) -> None:
        """Return the letter to its sender with a delivery-status report, a moment later."""
        report = delivery_status_report(envelope, recipients)
        self._later(BOUNCE_DELAY, lambda: self._send(report, "", envelope.mail_from))
        self._note(f"mail system: no mailbox {', '.join(recipients)}; bouncing the letter")

    # -- the thread

    def notes(self) -> list[tuple[float, str]]:
        """Return what the school has done so far: (clock, words), oldest first."""
        with self._lock:
            return list(self._log)

    def _run(self) -> None:
        try:
            self._script()
        except Exception:  # the demo goes on; its outcome will show what did not happen
            logger.exception("school: the script stopped")

    def _script(self) -> None:
        staff: dict[str, Scene | None] = {
            scene.case_manager.email: scene for scene in SCENES if scene.behaviour != GONE
        }
        staff[PRINCIPAL.email] = None  # reads the escalation; answers nothing
        last_uid = dict.fromkeys([*staff, PARENT.email], 0)
        with contextlib.ExitStack() as stack:
            clients = {user: stack.enter_context(self.sandbox.login(user)) for user in last_uid}
            while not self._stop.wait(POLL_EVERY):
                for user, client in clients.items():
                    for uid, raw in self._new_mail(client, last_uid[user]):
                        last_uid[user] = uid
                        if user == PARENT.email:
                            self._parent_reads(raw)
                        else:
                            self._read(staff[user], raw)
                self._run_due()

    def _new_mail(self, client: imaplib.IMAP4, last_uid: int) -> list[tuple[int, bytes]]:
        try:
            return fetch_since(client, "INBOX", last_uid)
        except (imaplib.IMAP4.error, OSError, RuntimeError) as error:
            logger.warning("school: cannot read a mailbox: %s", error)
            return []

    def _run_due(self) -> None:
        now = self.clock()
        with self._lock:
            ready = [action for when, action in self._due if when <= now]
            self._due = [(when, action) for when, action in self._due if when > now]
            self._in_hand = len(ready)
        for action in ready:
            try:
                action()
            except (smtplib.SMTPException, OSError) as error:
                logger.warning("school: could not send: %s", error)
            finally:
                with self._lock:
                    self._in_hand -= 1

    def _later(self, delay: float, action: Callable[[], None]) -> None:
        with self._lock:
            self._due.append((self.clock() + delay, action))

    def _note(self, text: str) -> None:
        with self._lock:
            self._log.append((self.clock(), text))

    # -- the script

    def _read(self, scene: Scene | None, raw: bytes) -> None:
        letter = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(letter, EmailMessage)
        sender = email.utils.parseaddr(str(letter["From"] or ""))[1].lower()
        if sender != PARENT.email:
            return
        if scene is None:
            self._note(f"{PRINCIPAL.name} (principal) received: {letter['Subject']}")
            return
        person = scene.case_manager
        first_name = scene.child_name.split()[0]
        is_follow_up = letter["In-Reply-To"] is not None
        self._note(f"{person.name} received: {letter['Subject']}")
        if scene.behaviour == OFFERS_CALL:
            self._offers_call(scene, person, letter, is_follow_up)
        elif scene.behaviour == ANSWERS and not is_follow_up:
            body = (
                f"Dear {PARENT.name},\n\nThank you for your letter; I have received your request. "
                f"We will hold an IEP team meeting for {first_name}. I am checking the team's "
                "calendars and will send you two or three proposed dates by Friday.\n\n"
                f"{person.name}\nCase manager, {SCHOOL}\n"
            )
            self._later(READING_TIME, lambda: self._reply(person, letter, body, "answers"))
        elif scene.behaviour == AWAY and not is_follow_up and person.email not in self._seen:
            self._seen.add(person.email)
            body = (
                "I am out of the office until Monday with limited access to email. "
                "For urgent matters please call the front office.\n"
            )
            self._later(AWAY_REPLY_DELAY, lambda: self._reply(person, letter, body, "away"))
        elif scene.behaviour == AWAY and is_follow_up and f"back:{person.email}" not in self._seen:
            self._seen.add(f"back:{person.email}")
            body = (
                f"Dear {PARENT.name},\n\nI am back in the office and have read your letters; "
                f"I am sorry for the delay. We will hold an IEP team meeting for {first_name}. "
                "Would Tuesday, December 15 at 3:30 pm work for you?\n\n"
                f"{person.name}\nCase manager, {SCHOOL}\n"
            )
            self._later(BACK_AT_DESK_DELAY, lambda: self._reply(person, letter, body, "back"))

    def _offers_call(
        self, scene: Scene, person: Person, letter: EmailMessage, is_follow_up: bool
    ) -> None:
        first_name = scene.child_name.split()[0]
        if not is_follow_up:
            body = (
                f"Dear {PARENT.name},\n\nThank you for your letter about {first_name}. Rather "
                "than a full IEP meeting, I would be glad to set up a quick phone call with you "
                "this week to talk about her services.\n\n"
                f"{person.name}\nCase manager, {SCHOOL}\n"
            )
            self._later(READING_TIME, lambda: self._reply(person, letter, body, "offers"))
        elif f"agreed:{person.email}" not in self._seen:
            self._seen.add(f"agreed:{person.email}")
            body = (
                f"Dear {PARENT.name},\n\nYou are right, and I am sorry. We will hold an IEP "
                f"team meeting for {first_name}. Could the team meet with you on Thursday, "
                "December 17 at 3:30 pm?\n\n"
                f"{person.name}\nCase manager, {SCHOOL}\n"
            )
            self._later(READING_TIME, lambda: self._reply(person, letter, body, "agrees"))

    def _parent_reads(self, raw: bytes) -> None:
        """Jordan approves the letter iepd drafted after the offer of a call: a reply to the
        draft_ready reminder, SEND on its first line, the reminder quoted below."""
        reminder = email.message_from_bytes(raw, policy=email.policy.default)
        request_id = str(reminder["X-IEPD-Request"] or "")
        offered = {scene.request_id for scene in SCENES if scene.behaviour == OFFERS_CALL}
        if reminder["X-IEPD-Kind"] != "draft_ready" or request_id not in offered:
            return
        if request_id in self._approved:
            return  # later drafts (a date to confirm) are the parent's to decide, not the script's
        self._approved.add(request_id)
        reply = EmailMessage(policy=MAIL_POLICY)
        reply["From"] = f"{PARENT.name} <{PARENT.email}>"
        reply["To"] = str(reminder["From"])
        reply["Subject"] = f"Re: {reminder['Subject']}"
        reply["Date"] = email.utils.formatdate(localtime=True)
        reply["Message-ID"] = email.utils.make_msgid(domain="rivera.example")
        reply["In-Reply-To"] = str(reminder["Message-ID"])
        reply["References"] = str(reminder["Message-ID"])
        word, attribution = self.parent_reply
        reply.set_content(f"{word}\n\n{attribution}\n")
        self._later(PARENT_READING_TIME, lambda: self._send(reply, PARENT.email, PARENT.email))
        self._note(f"{PARENT.name} (parent) replies {word} to: {reminder['Subject']}")

    def _reply(self, person: Person, letter: EmailMessage, body: str, mood: str) -> None:
        reply = EmailMessage(policy=MAIL_POLICY)
        reply["From"] = f"{person.name} <{person.email}>"
        reply["To"] = str(letter["From"])
        subject = str(letter["Subject"] or "")
        if mood == "away":
            reply["Subject"] = f"Automatic reply: {subject}"
            reply["Auto-Submitted"] = "auto-replied"
        else:
            reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        reply["Date"] = email.utils.formatdate(localtime=True)
        reply["Message-ID"] = email.utils.make_msgid(domain=SCHOOL_DOMAIN)
        message_id = str(letter["Message-ID"])
        reply["In-Reply-To"] = message_id
        reply["References"] = " ".join(filter(None, [str(letter["References"] or ""), message_id]))
        reply.set_content(body)
        self._send(reply, person.email, PARENT.email)
        words = {
            "answers": "answered", "away": "out-of-office reply", "back": "answered",
            "offers": "offered a phone call instead", "agrees": "agreed to the meeting",
        }[mood]  # fmt: skip
        self._note(f"{person.name}: {words} ({reply['Subject']})")

    def _send(self, message: EmailMessage | bytes, mail_from: str, recipient: str) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with smtplib.SMTP(self.sandbox.host, self.sandbox.smtp_port, timeout=10) as client:
            client.sendmail(mail_from, [recipient], raw)


def delivery_status_report(envelope: Envelope, recipients: tuple[str, ...]) -> bytes:
    """Given the accepted envelope and its recipients without a mailbox, return an RFC 3464
    report (multipart/report, message/delivery-status, the letter returned whole) from the
    parent's mail system, in the shape Postfix writes."""
    boundary = "iepd-demo-bounce." + email.utils.make_msgid().strip("<>").replace("@", ".")
    date = email.utils.formatdate(localtime=True)
    failed = "".join(
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: "
        "User unknown\r\n\r\n"
        for recipient in recipients
    )
    notice = "".join(
        f"<{recipient}>: host mx.{SCHOOL_DOMAIN} said: 550 5.1.1 User unknown "
        "(the address does not exist)\r\n"
        for recipient in recipients
    )
    original = envelope.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head = (
        f"From: Mail Delivery System <{MAIL_SYSTEM}>\r\n"
        f"To: {envelope.mail_from}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: {email.utils.make_msgid(domain='mail.rivera.example')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mail.rivera.example.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. It's attached below.\r\n\r\n"
        f"{notice}\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.rivera.example\r\n\r\n"
        f"{failed}"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message\r\n"
        "Content-Type: message/rfc822\r\n\r\n"
    )
    return head.encode("ascii") + original + f"\r\n--{boundary}--\r\n".encode("ascii")
