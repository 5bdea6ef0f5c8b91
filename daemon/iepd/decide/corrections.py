"""The parent corrects iepd's reading of the school's newest message (`AUTO`, `ANSWER`,
`DECLINED`, `INFORMAL`, `iepd reclassify`): the request's state afterwards. PURE.

The request goes on as if the message had been read so from the start: read as an
auto-reply, and no other message of the school read as an answer, the request waits for the
school's answer again, in the state it had before the message (sent, followed_up or
escalated, by the request's follow-ups that went out); read as another kind of answer (or
a message read as an auto-reply read as an answer after all), it is in that kind's state.
The drafts follow in the planner (``conversation``).
"""

from __future__ import annotations

from iepd.decide.conversation import STATE_FOR

# The states a reading of the school's message decides, and those before any answer (a
# message read as an auto-reply that is an answer after all moves the request on); any
# other (a meeting set or held, closed, bounced) no correction changes.
ANSWERED_STATES = frozenset({"answered", "declined", *STATE_FOR.values()})
BEFORE_ANSWER_STATES = frozenset({"sent", "followed_up", "escalated", "uncertain"})
WAITING_STATES = ("sent", "followed_up", "escalated")  # by the request's follow-ups sent


def state_after_correction(
    state: str, newest: str | None, *, with_notice: bool, emailed: bool, followups: int
) -> str:
    """Given the request's state, the class of the school's newest message still read as an
    answer once corrected (None: no message is), whether that refusal came with prior
    written notice, whether the request letter was emailed (not only mailed) and how many
    of its own follow-ups went out, return the request's state."""
    if newest is None:
        if state not in ANSWERED_STATES:
            return state
        return WAITING_STATES[min(followups, 2)] if emailed else "queued"
    if state not in ANSWERED_STATES | BEFORE_ANSWER_STATES:
        return state
    if newest == "declined" and with_notice:
        return "declined"
    return STATE_FOR.get(newest, state)
