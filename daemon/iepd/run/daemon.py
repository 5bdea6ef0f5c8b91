"""`iepd run`: one asyncio process holding the watcher thread, the wake-up timer and the outbox.

Start-up: copy the config into the store, reconcile interrupted sends, start the watcher and
wait for its first catch-up (so an answer that came while iepd was down stops a follow-up),
tell systemd READY, then act. After that the loop sleeps until a message arrives, the timer
fires, or a signal comes: SIGTERM/SIGINT finish what is in hand and exit 0, SIGHUP reloads
the config (a bad one is logged and the old one kept).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.decide.plan import Remind, SendLetter
from iepd.errors import IepdError
from iepd.inbox.catchup import FetchedMessage, Handover, UidValidityChanged
from iepd.inbox.parent_messages import ParentMessageRecorder
from iepd.inbox.record import MessageRecorder
from iepd.inbox.replies import ParentReplies
from iepd.inbox.router import InboxRouter
from iepd.inbox.watcher import Watcher
from iepd.mail.credentials import Secret, get_secret
from iepd.mail.imap import ImapSession
from iepd.mail.transport import MailTransport
from iepd.run.one_pass import OnePass, utc_now
from iepd.run.parent_moves import ParentMoves
from iepd.run.sdnotify import Notifier
from iepd.run.timers import WakeTimer
from iepd.store.database import Store

logger = logging.getLogger(__name__)

CATCH_UP_TIMEOUT = 30.0
STOP_TIMEOUT = 3.0
# The watcher's read timeout: after each IDLE refresh it waits this long for the server's
# answer, so a connection gone silent is noticed within about one refresh (the spec's
# promise), not a refresh plus a fixed minute; never under 10 s, for slow servers.
WATCH_READ_TIMEOUT_RANGE = (10.0, 60.0)


@dataclass(frozen=True)
class UidRecorded:
    """The watcher is done with a UID: written to the store only after the messages queued
    before it were recorded, so a crash in between re-delivers (the store de-duplicates)
    rather than skips."""

    mailbox: str
    uidvalidity: int
    uid: int


class QueuedLedger:
    """The watcher's UID progress: read from the store, written through the event queue."""

    def __init__(self, store: Store, enqueue: Callable[[UidRecorded], None]) -> None:
        self._store = store
        self._enqueue = enqueue

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None:
        return self._store.last_uid(mailbox, uidvalidity)

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        self._enqueue(UidRecorded(mailbox, uidvalidity, uid))

    def known_uidvalidity(self, mailbox: str) -> int | None:
        return self._store.known_uidvalidity(mailbox)


class Daemon:
    """Given the config file's path and the process environment, run until told to stop."""

    def __init__(self, config_path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.config_path = config_path
        self.clock = clock
        self.notifier = Notifier.from_environ()
        self._stop = asyncio.Event()
        self._reload = asyncio.Event()
        self._wake = asyncio.Event()
        self._incoming: asyncio.Queue[Handover | UidRecorded] = asyncio.Queue()

    async def run(self, once: bool = False) -> int:
        """Run until SIGTERM (or, with once, for one pass); return the exit status."""
        config = load_config(self.config_path, os.environ)
        secret = get_secret(config.mail, os.environ)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._reload.set)
        with Store.open(config.state_dir) as store:
            self.store = store
            self._build(config, secret)
            self.one_pass.sync_requests()
            await self.one_pass.sender.reconcile()
            watcher = self._start_watcher(loop, config)
            # The planner's clock, so a jump the plan sees is a jump the timer sees.
            timer = WakeTimer(self._wake.set, wall_clock=self.clock)
            timer.start()
            watchdog = asyncio.create_task(self._watchdog())
            try:
                await asyncio.to_thread(watcher.catch_up_now, CATCH_UP_TIMEOUT)
                self._drain()
                if once:
                    await self._act(watcher, timer)
                    return 0
                self.notifier.ready()
                await self._loop(watcher, timer)
            finally:
                if not once:
                    self.notifier.stopping()
                watchdog.cancel()
                timer.stop()
                await asyncio.to_thread(watcher.stop, STOP_TIMEOUT)
                self._drain()  # what the watcher handed over before it stopped
        logger.info("stopped")
        return 0

    def _build(self, config: Config, secret: Secret) -> None:
        self.config = config
        self.one_pass = OnePass(config, self.store, MailTransport(config, secret), self.clock)
        sender = self.one_pass.sender
        # A reply to one of iepd's reminders goes to ParentReplies, never to matching: it is
        # the parent's command (or nobody's), never the school's answer.
        moves = ParentMoves(config, self.store, sender, self.clock)
        # The parent's own messages, from the Sent folder or copied into the inbox.
        self.parent_messages = ParentMessageRecorder(config, self.store, self.clock)
        self.recorder = InboxRouter(
            MessageRecorder(config, self.store, sender, self.clock),
            ParentReplies(config, self.store, sender, self.clock, moves),
            self.parent_messages,
        )

    def _start_watcher(self, loop: asyncio.AbstractEventLoop, config: Config) -> Watcher:
        mail = config.mail
        shortest, longest = WATCH_READ_TIMEOUT_RANGE
        read_timeout = min(longest, max(shortest, mail.imap.idle_refresh.total_seconds()))

        def connect() -> ImapSession:
            # Through the current transport: after a reload it holds the new secret.
            return self.one_pass.sender.transport.session(timeout=read_timeout)

        def hand_over(item: Handover | UidRecorded) -> None:
            loop.call_soon_threadsafe(self._incoming.put_nowait, item)

        watcher = Watcher(
            connect,
            mail.imap.inbox,
            ledger=QueuedLedger(self.store, hand_over),
            # Called in the watcher thread; MessageRecorder.wants only reads the store.
            is_candidate=lambda headers: self.recorder.wants(headers),
            hand_over=hand_over,
            idle_refresh=mail.imap.idle_refresh.total_seconds(),
            poll_every=mail.imap.poll_every.total_seconds(),
            rescan_since=self._rescan_since,
            # The parent's own messages, read before every catch-up of the inbox (so at
            # least every idle_refresh, and before any follow-up goes out).
            sent_folder=mail.imap.sent_folder,
            is_sent_candidate=lambda headers: self.parent_messages.wants(headers),
        )
        watcher.start()
        return watcher

    def _rescan_since(self) -> date | None:
        sent = [
            row.sent_at
            for row in self.store.list_requests()
            if row.sent_at is not None and row.state != "closed"
        ]
        if not sent:
            return None
        return (min(sent) - timedelta(days=1)).date()

    def _drain(self) -> bool:
        """Record every message the watcher handed over; return True if any was new."""
        changed = False
        while not self._incoming.empty():
            item = self._incoming.get_nowait()
            if isinstance(item, UidRecorded):
                self.store.set_last_uid(item.mailbox, item.uidvalidity, item.uid, now=self.clock())
                continue
            if isinstance(item, UidValidityChanged):
                logger.warning(
                    "%s: UIDVALIDITY changed from %s to %s; rescanning",
                    item.mailbox,
                    item.old,
                    item.new,
                )
                continue
            changed |= self._handle(item)
        return changed

    def _handle(self, item: FetchedMessage) -> bool:
        if item.mailbox != self.config.mail.imap.inbox:
            return self._handle_sent(item)
        try:
            klass = self.recorder.handle(
                raw=item.raw,
                mailbox=item.mailbox,
                uidvalidity=item.uidvalidity,
                uid=item.uid,
                internaldate=item.internaldate,
            )
        except IepdError as error:
            logger.error("uid %d: could not be recorded: %s", item.uid, error)
            return False
        return klass is not None

    def _handle_sent(self, item: FetchedMessage) -> bool:
        try:
            recorded = self.parent_messages.handle(
                raw=item.raw,
                mailbox=item.mailbox,
                uidvalidity=item.uidvalidity,
                uid=item.uid,
                internaldate=item.internaldate,
            )
        except IepdError as error:
            logger.error("%s uid %d: could not be recorded: %s", item.mailbox, item.uid, error)
            return False
        if recorded is not None:
            # Its Message-ID is in the thread now: the school's reply to it belongs there.
            self.recorder.refresh()
        return recorded is not None

    async def _loop(self, watcher: Watcher, timer: WakeTimer) -> None:
        while not self._stop.is_set():
            try:
                await self._act(watcher, timer)
            except IepdError as error:
                # A refused login or an untrusted certificate: the message stays queued with
                # its retry time; the watcher and the other requests carry on meanwhile.
                logger.error("%s", error)
                timer.wake_at(self.one_pass.next_retry())
            waiters: list[asyncio.Task[object]] = [
                asyncio.create_task(event.wait())
                for event in (self._stop, self._reload, self._wake)
            ]
            waiters.append(asyncio.create_task(self._incoming_ready()))
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()
            if self._reload.is_set():
                self._reload.clear()
                self._reload_config()
            self._drain()

    async def _incoming_ready(self) -> bool:
        item = await self._incoming.get()
        self._incoming.put_nowait(item)
        return True

    async def _act(self, watcher: Watcher, timer: WakeTimer) -> None:
        plan = self.one_pass.plan()
        if any(not isinstance(action, (SendLetter, Remind)) for action in plan.actions):
            # An answer that arrived a second ago, or the parent's own message just sent,
            # must stop the follow-up (or any letter in the thread): look once more, at the
            # inbox and the Sent folder.
            await asyncio.to_thread(watcher.catch_up_now, CATCH_UP_TIMEOUT)
            if self._drain():
                plan = self.one_pass.plan()
        done = plan.actions
        await self.one_pass.carry_out(plan)
        self.recorder.refresh()
        self.parent_messages.refresh()
        # What was just sent starts new clocks (a follow-up is due a week after the letter).
        plan = self.one_pass.plan()
        if plan.actions and plan.actions != done:
            # New work fell due while acting; the same actions again would mean they cannot
            # be carried out, and looping on them would only spin.
            self._wake.set()
        wake = min(
            (when for when in (plan.next_wake, self.one_pass.next_retry()) if when is not None),
            default=None,
        )
        timer.wake_at(wake)
        self._status(wake)

    def _status(self, wake: datetime | None) -> None:
        open_requests = sum(
            1
            for row in self.store.list_requests()
            if row.state in ("queued", "sent", "followed_up", "escalated")
        )
        when = wake.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if wake else "nothing due"
        self.notifier.status(f"{open_requests} open requests; next wake-up: {when}")

    def _reload_config(self) -> None:
        self.notifier.reloading(time.monotonic_ns() // 1000)
        try:
            config = load_config(self.config_path, os.environ)
            secret = get_secret(config.mail, os.environ)
        except IepdError as error:
            logger.error("reload refused, keeping the running config: %s", error)
        else:
            self._build(config, secret)
            self.one_pass.sync_requests()
            logger.info("config reloaded from %s", self.config_path)
        self.notifier.ready()

    async def _watchdog(self) -> None:
        interval = self.notifier.watchdog_interval()
        if interval is None:
            return
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)
