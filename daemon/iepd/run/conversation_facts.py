"""What the planner needs of each request's conversation (issue 15), read from the store:
the school's newest answer (and whether it names a day, or came with prior written notice),
the drafts, the drafted letters sent, the follow-ups of the school's silence and the
parent's newest message. Light on imports: `iepd status` reads it on every call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from iepd.decide.conversation import Conversation, PendingDraft, SchoolMove, SentLetter
from iepd.decide.when_named import names_a_time
from iepd.store.database import Store
from iepd.store.messages import OutgoingSummary
from iepd.vocabulary import FOLLOWUP_PURPOSES


def conversations(
    store: Store,
    outgoing: Sequence[OutgoingSummary] | None = None,
    parent_times: Mapping[str, datetime] | None = None,
) -> dict[str, Conversation]:
    """Given the store (and, if already read, every outgoing message's summary and when the
    parent's newest message in each thread was sent), return every request's conversation
    as the planner reads it."""
    schools = {
        request_id: SchoolMove(
            answer.message_id,
            answer.klass,
            answer.at,
            names_a_time=names_a_time(answer.excerpt),
            with_notice=answer.with_notice,
        )
        for request_id, answer in store.school_answers().items()
    }
    if parent_times is None:
        parent_times = store.last_parent_message_times()
    made: dict[str, set[str]] = {}
    withdrawn: dict[str, set[str]] = {}
    pending: dict[str, PendingDraft] = {}
    for draft in store.drafts():
        made.setdefault(draft.request_id, set()).add(draft.dedup_key)
        if draft.status == "withdrawn":
            withdrawn.setdefault(draft.request_id, set()).add(draft.dedup_key)
        if draft.status == "pending":
            pending[draft.request_id] = PendingDraft(
                draft.id, draft.kind, draft.replies_to, draft.created_at
            )
    letters: dict[str, list[SentLetter]] = {}
    for letter in store.approved_letters():
        # A letter whose fate a crash left unknown counts as sent: the parent was told.
        sent_at = letter.accepted_at or (letter.updated_at if letter.step == "uncertain" else None)
        if sent_at is not None:
            letters.setdefault(letter.request_id, []).append(
                SentLetter(letter.kind, letter.message_id, sent_at)
            )
    rounds: dict[str, dict[str, list[datetime]]] = {}
    for out in store.outgoing_summaries() if outgoing is None else outgoing:
        purpose, _, rest = out.dedup_key.partition(":")
        request_id, _, round_id = rest.partition(":")
        if purpose in FOLLOWUP_PURPOSES.values() and round_id and out.accepted_at is not None:
            rounds.setdefault(request_id, {}).setdefault(round_id, []).append(out.accepted_at)
    known = set(schools) | set(parent_times) | set(made) | set(letters) | set(rounds)
    return {
        request_id: Conversation(
            school=schools.get(request_id),
            draft=pending.get(request_id),
            drafts_made=frozenset(made.get(request_id, ())),
            drafts_withdrawn=frozenset(withdrawn.get(request_id, ())),
            letters=tuple(letters.get(request_id, ())),
            round_followups={
                key: tuple(sorted(times)) for key, times in rounds.get(request_id, {}).items()
            },
            last_parent_message_at=parent_times.get(request_id),
        )
        for request_id in known
    }
