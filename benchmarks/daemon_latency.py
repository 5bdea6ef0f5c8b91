"""The whole path with the real daemon: `iepd run` as a subprocess against a private Dovecot
and an aiosmtpd server; an answer in the request's thread is delivered over LMTP, and the
`answer` reminder to the parent is accepted by the SMTP server. latency.py runs this next to
its watcher measurements and puts the figures in the same table.

Three clocks are compared, all wall-clock time on one machine: the end of the LMTP
delivery (this process), the `reply_received` event's time in the store (iepd, taken when
it records the message), and the moment the SMTP server appended the reminder to its
record, just before answering 250 (this process).
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
import random
import sys
import time
from dataclasses import dataclass
from email.message import EmailMessage

import common

from iepd.store.database import Store
from support.daemon import NotifyListener, start_daemon, stop_daemon
from support.family import Family
from support.mailservers import TlsFiles

logger = logging.getLogger("benchmarks.daemon_latency")

WAIT = 15.0
READY_WAIT = 60.0


@dataclass(frozen=True)
class ReminderResult:
    detect: list[float]  # seconds: delivery -> reply_received recorded
    remind: list[float]  # seconds: reply_received recorded -> reminder accepted
    total: list[float]  # seconds: delivery -> reminder accepted
    missed: int
    load: str


def _answer(family: Family, letter_id: str, number: int) -> bytes:
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Dana Alvarez <{family.case_manager}>"
    reply["To"] = family.parent
    reply["Subject"] = f"Re: Request for an IEP meeting for Sam Rivera ({number})"
    reply["Message-ID"] = email.utils.make_msgid(idstring=f"bench{number}", domain="example.test")
    reply["In-Reply-To"] = letter_id
    reply["References"] = letter_id
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply.set_content("Thank you. We will hold an IEP meeting; I will send dates this week.")
    return reply.as_bytes()


def measure_reminders(tls: TlsFiles, deliveries: int) -> ReminderResult:
    """Given the test PKI, run iepd against fresh servers, deliver `deliveries` in-thread
    answers one at a time and return the three latencies of each."""
    with common.bench_servers(tls, requests=1) as bench:
        letters = common.seed_sent(bench.family)
        letter_id = letters["sam-speech"]
        received = bench.smtp.received
        assert isinstance(received, common.StampedList)
        delivered_at: list[float] = []
        message_ids: list[str] = []
        missed = 0
        with NotifyListener(bench.root / "notify.sock") as notify:
            process = start_daemon(bench.family, extra_env=notify.environ())
            try:
                notify.wait_for("READY=1", process, READY_WAIT)
                time.sleep(0.5)
                load = common.load_average()
                for number in range(deliveries):
                    raw = _answer(bench.family, letter_id, number)
                    bench.dovecot.deliver(bench.family.parent, raw, bench.family.case_manager)
                    delivered_at.append(time.time())
                    message_ids.append(
                        str(
                            email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"]
                        )
                    )
                    if not received.wait_for(number + 1, WAIT):
                        logger.error("answer %d: no reminder within %g s", number, WAIT)
                        missed = deliveries - number
                        delivered_at.pop()
                        message_ids.pop()
                        break
                    time.sleep(random.uniform(0.2, 0.4))
                    print(f"\riepd run: {number + 1}/{deliveries}", end="", file=sys.stderr)
                print(file=sys.stderr)
            finally:
                _, stderr = stop_daemon(process)
        if process.returncode != 0:
            logger.error("iepd run exited %s:\n%s", process.returncode, stderr[-2000:])
        kinds = [email.message_from_bytes(envelope.data)["X-IEPD-Kind"] for envelope in received]
        accepted = [
            at for at, kind in zip(received.accepted_at, kinds, strict=True) if kind == "answer"
        ]
        with Store.open(bench.family.state_dir) as store:
            recorded = {
                event.message_id: event.at.timestamp()
                for event in store.events("sam-speech")
                if event.kind == "reply_received"
            }
    detect, remind, total = [], [], []
    for delivered, message_id, accepted_at in zip(
        delivered_at, message_ids, accepted, strict=False
    ):
        event_at = recorded.get(message_id)
        if event_at is None:
            logger.error("%s: no reply_received event", message_id)
            continue
        detect.append(event_at - delivered)
        remind.append(accepted_at - event_at)
        total.append(accepted_at - delivered)
    return ReminderResult(detect, remind, total, missed, load)
