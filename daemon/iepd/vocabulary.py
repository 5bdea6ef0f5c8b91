"""The words iepd's parts share, each defined once: the states of a request, the purposes of
an outgoing message and its send steps, and the classes of a school's message.

Plain constants, no imports: the store checks its rows against them, the planner decides
with them, the sender and the inbox move requests between them.
"""

from __future__ import annotations

# ---- a request's state ---------------------------------------------------------------------

REQUEST_STATES = (
    "draft",  # on hold in the config: never sent
    "queued",  # due, or waiting for send_at or the send window
    "sent",
    "followed_up",
    "escalated",
    "answered",
    "declined",
    "meeting_scheduled",
    "undeliverable",  # bounced
    "failed",  # the server refused the letter for good
    "closed",  # the parent closed it
    "uncertain",  # a crash left the letter's fate unknown; the parent was asked to check
    # v2 (CONVERSATION_STATES, below, says what each means)
    "acknowledged",
    "informal_offered",
    "awaiting_notice",
    "meeting_held",
    "recap_sent",
)
UNSENT_STATES = frozenset({"draft", "queued"})
# The letter went out and the school has not answered: the follow-up clocks run.
AWAITING_ANSWER_STATES = frozenset({"sent", "followed_up", "escalated"})
# The school may have the letter and has not answered: an answer now moves the request on.
ANSWERABLE_STATES = AWAITING_ANSWER_STATES | {"uncertain"}
# Nothing has settled the request yet: a letter going out now may still set its state.
BEFORE_ANSWER_STATES = ANSWERABLE_STATES | {"queued"}
NOT_DELIVERED_STATES = frozenset({"undeliverable", "failed"})

# ---- outgoing messages ---------------------------------------------------------------------

# The letters to the school: the request, its two follow-ups, and (v2) the drafts the parent
# approved, each stored under its draft kind (DRAFT_KINDS, below).
LETTER_PURPOSES = (
    "request", "followup", "escalation", "ask_for_date", "insist", "pwn_request", "confirm",
    "recap",
)  # fmt: skip
OUTGOING_PURPOSES = (*LETTER_PURPOSES, "reminder")  # and the reminders to the parent
FOLLOWUP_PURPOSES = {1: "followup", 2: "escalation"}
LETTER_NAMES = {
    "request": "request for an IEP meeting",
    "followup": "follow-up letter",
    "escalation": "second follow-up letter",
    "ask_for_date": "letter asking for a meeting date",
    "insist": "letter asking again for a formal IEP meeting",
    "pwn_request": "letter asking for prior written notice",
    "confirm": "letter confirming the meeting",
    "recap": "recap of the meeting",
}
SENT_EVENTS = {
    "request": "request_sent",
    "followup": "followup_sent",
    "escalation": "escalation_sent",
    **dict.fromkeys(("ask_for_date", "insist", "pwn_request", "confirm", "recap"), "letter_sent"),
}

# The send progress of one outgoing message, in order; FINAL_STEPS end it.
SEND_STEPS = ("queued", "smtp", "data", "accepted", "filed", "done")
FAILURE_STEPS = ("failed", "uncertain")
FINAL_STEPS = ("done", *FAILURE_STEPS)
# From "accepted" on, the server has the letter (or it will never be sent): only its Sent
# copy may still be pending, which holds nothing else back.
SETTLED_STEPS = frozenset({"accepted", "filed", *FINAL_STEPS})

# ---- what the school wrote -----------------------------------------------------------------

MESSAGE_CLASSES = ("answer", "auto_reply", "bounce", "declined", "informal", "invite")
# The classes that answer the request (an auto-reply or a bounce does not).
ANSWER_CLASSES = frozenset({"answer", "declined", "informal", "invite"})

# ---- the conversation until the meeting (v2) -----------------------------------------------

# The letters iepd drafts in the school's thread after the request; each waits for the
# parent's SEND unless its kind is in [assist] auto_send (never the recap).
DRAFT_KINDS = ("ask_for_date", "insist", "pwn_request", "confirm", "recap")
AUTO_SEND_KINDS = ("ask_for_date", "insist", "pwn_request", "confirm")
DEFAULT_AUTO_SEND = ("ask_for_date",)
# A draft's life: pending (shown to the parent) -> approved (queued in the outbox, sent from
# there like every letter) or withdrawn (a newer school message made it stale; never sent).
DRAFT_STATUSES = ("pending", "approved", "withdrawn")

# The request states v2 adds: the school answered without a date (acknowledged), offered
# less than a meeting (informal_offered), refused without written notice (awaiting_notice);
# the meeting's time has passed (meeting_held); the parent's recap is out (recap_sent).
CONVERSATION_STATES = (
    "acknowledged",
    "informal_offered",
    "awaiting_notice",
    "meeting_held",
    "recap_sent",
)
# Nothing more will be written for these: nobody owes a move.
FINISHED_STATES = frozenset({"closed", "recap_sent", "undeliverable", "failed"})

# Who owes the next written move (`iepd status` waiting_for).
WAITING_FOR = ("school", "parent", "nothing")

DRAFT_CREATED = "draft_created"
DRAFT_APPROVED = "draft_approved"
DRAFT_WITHDRAWN = "draft_withdrawn"
LETTER_SENT = "letter_sent"  # a drafted letter was accepted (detail starts with its kind)
PARENT_MESSAGE = "parent_message"
COMMAND_RECEIVED = "command_received"
RECLASSIFIED = "reclassified"
MEETING_HELD = "meeting_held"
AGREED_RECORDED = "agreed_recorded"  # the parent's list of what was agreed (detail: items)

# The reminders v2 adds.
DRAFT_READY = "draft_ready"
RECAP_DUE = "recap_due"
COMMAND_DONE = "command_done"
COMMAND_REFUSED = "command_refused"
HELP = "help"
