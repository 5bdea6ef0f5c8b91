"""What reached the test mailboxes on Dovecot, read back as messages, and the replies (the
school's, the parent's commands) a test delivers there."""

from __future__ import annotations

import email
import email.policy
import email.utils
from email.message import EmailMessage

from support.family import Family
from support.mailservers import Dovecot


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mailbox(
    dovecot: Dovecot, user: str, password: str, folder: str = "INBOX"
) -> list[EmailMessage]:
    return [parsed(raw) for raw in dovecot.messages(user, password, folder)]


def school_mail(dovecot: Dovecot, family: Family, who: str | None = None) -> list[EmailMessage]:
    """What the case manager (or who, the principal say) has received."""
    who = who or family.case_manager
    return mailbox(dovecot, who, family.passwords[who])


def sent_folder(dovecot: Dovecot, family: Family) -> list[EmailMessage]:
    return mailbox(dovecot, family.parent, family.parent_password, "Sent")


def parent_kinds(dovecot: Dovecot, family: Family) -> list[str]:
    """The X-IEPD-Kind of each message in the parent's inbox ("letter" for others)."""
    return [
        str(message["X-IEPD-Kind"] or "letter")
        for message in mailbox(dovecot, family.parent, family.parent_password)
    ]


def reminder_kinds(dovecot: Dovecot, family: Family) -> list[str]:
    """The kinds of iepd's reminders in the parent's inbox, oldest first."""
    return [kind for kind in parent_kinds(dovecot, family) if kind != "letter"]


def reply_to(letter: EmailMessage, family: Family, body: str, **headers: str) -> bytes:
    """The case manager's answer to letter, in its thread; headers (Auto_Submitted=...)
    are added as they are named, with "-" for "_"."""
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Dana Alvarez <{family.case_manager}>"
    reply["To"] = family.parent
    reply["Subject"] = "Re: " + str(letter["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="example.test")
    reply["In-Reply-To"] = str(letter["Message-ID"])
    reply["References"] = str(letter["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    reply.set_content(body)
    return reply.as_bytes()


def command(reminder: EmailMessage, body: str, sender: str) -> bytes:
    """The parent's reply to a reminder, as a mail program writes it: the command on top,
    the reminder quoted below."""
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = sender
    reply["To"] = str(reminder["From"])
    reply["Subject"] = "Re: " + str(reminder["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="family.example")
    reply["In-Reply-To"] = str(reminder["Message-ID"])
    reply["References"] = str(reminder["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    quoted = "\n".join(f"> {line}" for line in reminder.get_body().get_content().splitlines())
    reply.set_content(f"{body}\n\nOn a day, iepd wrote:\n{quoted}\n")
    return reply.as_bytes()
