"""What iepd will do next about a school's message, and how to stop it, in one paragraph for
the reminder about that message (issue 15: "every reminder about an answer says what iepd
will do next and when"). The planner (``decide.conversation``) decides the same from the
same rules; these words only tell the parent.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from iepd.config.model import Config
from iepd.decide.schooldays import next_window_instant, shift
from iepd.decide.when_named import names_a_time
from iepd.letters.text_format import long_date

_SHOWN = "A separate reminder shows you the letter."
_ON_SEND = (
    "It goes out only when you reply SEND to the reminder that shows it (or run: iepd send {id})."
)


def next_step_words(config: Config, request_id: str, klass: str, at: datetime, text: str) -> str:
    """Given the config, a request, the class of the school's message, when iepd read it and
    its new text, return the paragraph saying what iepd does next, when, and how to stop it
    ("" for a class that starts nothing)."""
    auto = config.assist.auto_send
    on_send = _ON_SEND.format(id=request_id)
    if klass == "answer":
        if names_a_time(text):
            return (
                "What iepd will do next: the school's message seems to name a day or a time. If"
                " a meeting date is set, reply MEETING and the date (for example MEETING Dec 8"
                " 3:30 pm): iepd then drafts a letter confirming it. iepd has also drafted a"
                f" letter asking for the date; it does not send it by itself. {on_send} To stop,"
                " reply CLOSE."
            )
        if "ask_for_date" in auto:
            when = _ask_date(config, at)
            return (
                "What iepd will do next: unless the school gives a date first, iepd will ask"
                f" for one in writing on {when}, unless you reply MEETING and the date (if one"
                f" is set) or CLOSE. {_SHOWN}"
            )
        return (
            "What iepd will do next: it has drafted a letter asking the school when the meeting"
            f" will be held. {on_send} Reply MEETING and the date if one is set, or CLOSE to"
            " stop."
        )
    if klass == "informal":
        if "insist" in auto:
            return (
                "What iepd will do next: it sends the school a letter that thanks it for the"
                " offer and asks again for a formal IEP meeting with the full team, then follows"
                f" up if the school stays silent. {_SHOWN} Reply CLOSE to stop, or ANSWER if the"
                " school did agree to the meeting."
            )
        return (
            "What iepd will do next: it has drafted a letter that thanks the school for the"
            f" offer and asks again for a formal IEP meeting with the full team. {on_send}"
            " Reply CLOSE to stop, or ANSWER if the school did agree to the meeting."
        )
    if klass == "declined":
        how = "iepd sends it at once" if "pwn_request" in auto else on_send
        return (
            "What iepd will do next: unless the school sent prior written notice of its"
            " refusal, iepd drafts a letter asking for it (IDEA, 34 CFR 300.503). "
            f"{how} Reply CLOSE to stop, or INFORMAL or ANSWER if iepd misread the message."
        )
    if klass == "invite":
        how = "iepd sends it at once" if "confirm" in auto else on_send
        return (
            "What iepd will do next: it drafts a letter confirming the date, time and place,"
            f" naming who you bring and asking for the papers beforehand. {how} After the"
            " meeting it asks you what was agreed, to send the school a recap. Reply CLOSE to"
            " stop."
        )
    return ""


def _ask_date(config: Config, at: datetime) -> str:
    zone = ZoneInfo(config.parent.timezone)
    timing = config.timing
    due = shift(
        at, timing.followup_after, zone,
        business_days=timing.business_days, holidays=timing.holidays,
    )  # fmt: skip
    return long_date(next_window_instant(due, timing.send_window, zone), zone)
