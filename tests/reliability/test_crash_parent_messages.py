"""A kill while the parent's own message is being recorded (issue 15, item 5): after the
restart it is in the record once, with its raw copy, and the record verifies."""

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


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_while_recording_the_parents_message_leaves_it_recorded_once(
    family: Family, dovecot: Dovecot, point: str
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
    dovecot.append(family.parent, family.parent_password, "Sent", reply.as_bytes(), ["\\Seen"])

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
        assert stored[0].raw_path.read_bytes() == reply.as_bytes()
        assert store.verify() == []
