"""Each command by email carried out through ParentMoves (issue 15, item 4), against a real
config, a real store and the sender's queue: the parent's reply to a reminder goes in, and
the record, the outbox and the answer to the parent are read back. No mail server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_parent_replies import SCHOOL_REPLY, World, reply_to, school_answer, text_of

from iepd.inbox.record import MessageRecorder
from iepd.inbox.replies import ParentReplies
from iepd.inbox.router import InboxRouter
from iepd.run.parent_moves import ParentMoves
from iepd.store.database import DraftRow
from support.offline import REQUEST, queued_request

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def moves_world(tmp_path: Path) -> Iterator[tuple[World, ParentMoves]]:
    offline = queued_request(tmp_path)
    config, store, sender, clock = offline.config, offline.store, offline.sender, offline.clock
    moves = ParentMoves(config, store, sender, clock)
    router = InboxRouter(
        MessageRecorder(config, store, sender, clock),
        ParentReplies(config, store, sender, clock, moves),
    )
    assert offline.letter.message_id is not None
    world = World(config, store, sender, router, clock, offline.letter.message_id)
    world.deliver()
    clock.now += timedelta(days=4)
    assert world.handle(school_answer(world)) == "answer"
    world.deliver()
    clock.now += timedelta(hours=2)
    yield world, moves
    store.close()


def draft(world: World, moves: ParentMoves, number: int = 1) -> DraftRow:
    """An insist draft in reply to the school's message, and its draft_ready reminder sent."""
    made = moves.drafting.make_draft(REQUEST, "insist", f"insist:{number}", SCHOOL_REPLY)
    world.deliver()
    return made


def draft_reminder_id(world: World, made: DraftRow) -> str:
    (row,) = [
        row for row in world.reminders("draft_ready") if row.dedup_key.endswith(made.dedup_key)
    ]
    assert row.message_id is not None
    return row.message_id


def letters(world: World) -> list[str | None]:
    return [
        row.message_id for row in world.store.list_outgoing(REQUEST) if row.purpose != "reminder"
    ]


def test_send_queues_the_draft_shown_exactly_once(moves_world: tuple[World, ParentMoves]) -> None:
    world, moves = moves_world
    made = draft(world, moves)
    command = reply_to(draft_reminder_id(world, made), "SEND")

    assert world.handle(command) == "carry_out"
    assert world.handle(command, uid=50) == "replay"

    assert letters(world).count(made.message_id) == 1
    (queued,) = [
        row for row in world.store.list_outgoing(REQUEST) if row.message_id == made.message_id
    ]
    assert queued.read_raw() == made.read_raw()  # the bytes the parent was shown
    (done,) = world.reminders("command_done")
    assert "exactly as shown" in text_of(done)
    assert moves.pending_draft(REQUEST) is None


def test_send_to_the_reminder_of_a_draft_since_replaced_is_refused(
    moves_world: tuple[World, ParentMoves],
) -> None:
    world, moves = moves_world
    older = draft(world, moves, 1)
    moves.drafting.withdraw(older, "a newer message from the school")
    newer = draft(world, moves, 2)

    assert world.handle(reply_to(draft_reminder_id(world, older), "SEND")) == "refuse"

    assert newer.message_id not in letters(world) and older.message_id not in letters(world)
    (refused,) = world.reminders("command_refused")
    assert "a newer one replaced it" in text_of(refused)


def test_meeting_sets_the_date_in_the_parents_timezone(
    moves_world: tuple[World, ParentMoves],
) -> None:
    world, _ = moves_world
    answer = world.reminder_id("answer")

    assert world.handle(reply_to(answer, "MEETING Tuesday Dec 8 at 3:30pm")) == "carry_out"

    request = world.store.get_request(REQUEST)
    assert request is not None and request.state == "meeting_scheduled"
    assert request.meeting_at == datetime(2026, 12, 8, 15, 30, tzinfo=CHICAGO)
    (done,) = world.reminders("command_done")
    assert "December 8, 2026" in text_of(done)


def test_agreed_after_the_meeting_drafts_the_recap_with_the_items(
    moves_world: tuple[World, ParentMoves],
) -> None:
    world, moves = moves_world
    answer = world.reminder_id("answer")
    assert world.handle(reply_to(answer, "MEETING Nov 23 3:30pm", number=1)) == "carry_out"
    world.clock.now += timedelta(days=4)

    agreed = "AGREED\n- 60 minutes of speech a week\n- 6 make-up sessions by March 1"
    assert world.handle(reply_to(answer, agreed, number=2)) == "carry_out"

    recap = moves.pending_draft(REQUEST)
    assert recap is not None and recap.kind == "recap"
    text = " ".join(recap.read_raw().decode().split())
    assert "60 minutes of speech a week" in text and "6 make-up sessions by March 1" in text


def test_declined_corrects_the_class_of_the_schools_newest_message(
    moves_world: tuple[World, ParentMoves],
) -> None:
    world, _ = moves_world

    assert world.handle(reply_to(world.reminder_id("answer"), "declined")) == "carry_out"

    (event,) = [event for event in world.store.events(REQUEST) if event.kind == "reclassified"]
    assert event.message_id == SCHOOL_REPLY
    assert event.detail is not None and event.detail.startswith("declined")


def test_close_closes_the_request_once(moves_world: tuple[World, ParentMoves]) -> None:
    world, _ = moves_world
    command = reply_to(world.reminder_id("answer"), "CLOSE")

    assert world.handle(command) == "carry_out"
    assert world.handle(command, uid=60) == "replay"

    request = world.store.get_request(REQUEST)
    assert request is not None and request.state == "closed"
    assert [event.kind for event in world.store.events(REQUEST)].count("closed") == 1
    assert len(world.reminders("command_done")) == 1


@pytest.mark.parametrize(
    ("word", "klass"), [("DECLINED", "declined"), ("informal", "informal"), ("Auto", "auto_reply")]
)
def test_each_correcting_command_sets_its_class(
    moves_world: tuple[World, ParentMoves], word: str, klass: str
) -> None:
    world, _ = moves_world

    assert world.handle(reply_to(world.reminder_id("answer"), word)) == "carry_out"

    (event,) = [event for event in world.store.events(REQUEST) if event.kind == "reclassified"]
    assert event.detail is not None and event.detail.startswith(f"{klass}:")


def test_answer_for_a_message_already_read_as_an_answer_is_refused_with_the_reason(
    moves_world: tuple[World, ParentMoves],
) -> None:
    world, _ = moves_world

    assert world.handle(reply_to(world.reminder_id("answer"), "ANSWER")) == "refuse"

    (refused,) = world.reminders("command_refused")
    assert "already reads the school's newest message as answer" in text_of(refused)
    assert "reclassified" not in world.event_kinds()


def test_enviar_is_send_in_spanish(moves_world: tuple[World, ParentMoves]) -> None:
    world, moves = moves_world
    made = draft(world, moves)

    assert world.handle(reply_to(draft_reminder_id(world, made), "Enviar")) == "carry_out"

    assert made.message_id in letters(world)
