"""A kill while the parent's own message is being recorded (issue 15, item 5), found in the
Sent folder or copied into the inbox: after the restart it is in the record once, with its
raw copy, and the record verifies; with a copy in both folders, once in all."""

from __future__ import annotations

import email
import email.policy
import email.utils
from email.message import EmailMessage

import pytest

from iepd.store.database import Store
from support.daemon import run_iepd
from support.family import Family
from support.mailboxes import school_mail
from support.mailservers import Dovecot

POINTS = ["parent_message.stored", "parent_message.recorded"]


# Where the copy is: the inbox's copy carries the headers delivery adds, so the two copies
# of one message differ in their bytes.
FOLDERS = [("Sent",), ("INBOX",), ("INBOX", "Sent")]


@pytest.mark.parametrize("folders", FOLDERS, ids=["+".join(item) for item in FOLDERS])
@pytest.mark.parametrize("point", POINTS)
def test_a_kill_while_recording_the_parents_message_leaves_it_recorded_once(
    family: Family, dovecot: Dovecot, point: str, folders: tuple[str, ...]
) -> None:
    first = run_iepd(family)
    assert first.returncode == 0, first.stderr
    [letter] = school_mail(dovecot, family)
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Jordan Rivera <{family.parent}>"
    reply["To"] = family.case_manager
    reply["Subject"] = "Re: " + str(letter["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="family.example")
    reply["In-Reply-To"] = str(letter["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply.set_content("Could you tell me when the meeting will be?\n")
    delivered = f"Delivered-To: {family.parent}\r\n".encode() + reply.as_bytes()
    copies = {"Sent": reply.as_bytes(), "INBOX": delivered}
    for folder in folders:
        dovecot.append(family.parent, family.parent_password, folder, copies[folder], ["\\Seen"])

    killed = run_iepd(family, crash_at=point)
    assert killed.returncode == -9, killed.stderr
    again = run_iepd(family)
    assert again.returncode == 0, again.stderr

    with Store.open(family.state_dir) as store:
        events = [e for e in store.events("sam-speech") if e.kind == "parent_message"]
        stored = [
            row for row in store.messages_for("sam-speech") if row.message_id == reply["Message-ID"]
        ]
        assert [event.message_id for event in events] == [str(reply["Message-ID"])]
        assert len(stored) == 1
        # The Sent folder is read before the inbox: with both, the Sent copy is the one kept.
        assert stored[0].raw_path.read_bytes() == copies[folders[-1]]
        assert stored[0].mailbox == folders[-1]
        assert store.verify() == []
