"""Where the crash tests kill iepd, and what each kill must leave once iepd has run again.

A point is a crash point of iepd/faults.py (``IEPD_CRASH_AT``); ``point#2`` is the same
boundary of the second message sent in the run (the parent's reminder of the letter).
tests/e2e/test_crash_send.py walks the table for the request letter, and
tests/reliability/test_crash_matrix.py for the follow-up, the escalation and the answer.
"""

from __future__ import annotations

# What the school and the parent must see after the restart.
DELIVERED = "delivered"  # the school has it once, one Sent copy, the parent a reminder of it
NEVER_LEFT = "never-left"  # killed with the step at `data`: nothing reached the school; told
UNCERTAIN = "uncertain"  # killed after the server's 250: the school has it, the parent asked

# The step boundaries of one letter and, #2, of its reminder to the parent.
LETTER_POINTS = {
    "store.outgoing_eml_written": DELIVERED,  # the .eml is on disk, no row yet
    "queued": DELIVERED,
    "smtp": DELIVERED,
    "data": NEVER_LEFT,  # recorded right before DATA: the outcome is unknown to iepd
    "data-accepted": UNCERTAIN,  # the server said 250, iepd had not yet written it down
    "accepted": DELIVERED,
    "recorded": DELIVERED,  # the letter recorded as sent, its Sent copy not yet filed
    "filed": DELIVERED,
    "done": DELIVERED,
    "store.outgoing_eml_written#2": DELIVERED,
    "smtp#2": DELIVERED,
    "data#2": DELIVERED,
    "data-accepted#2": DELIVERED,  # found in the parent's inbox, so not resent
    "accepted#2": DELIVERED,
    "done#2": DELIVERED,
}

# The `answer` reminder is queued inside the transaction that records the answer: the
# boundaries of that reminder alone.
ANSWER_POINTS = [
    "store.outgoing_eml_written",
    "smtp",
    "data",
    "data-accepted",
    "accepted",
    "filed",
    "done",
]
