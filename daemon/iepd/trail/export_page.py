"""The printable page of an export: one self-contained ``index.html``.

Built with the stdlib ``html`` module and string joins, not a template engine: every value
that came from a message (a subject, a body, an address) passes through ``escape``, the page
loads nothing (inline CSS only, a Content-Security-Policy of ``default-src 'none'``), and
the only links are relative ones to the ``.eml`` copies beside it. Print styles fit both
US Letter and A4: the page size is left to the printer and the margins suit either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from iepd import __version__
from iepd.trail.timeline import Trail, TrailMessage

EVENT_LABELS: Mapping[str, str] = {
    "request_drafted": "Request drafted (on hold)",
    "request_queued": "Request queued to be sent",
    "request_sent": "Request sent",
    "followup_sent": "Follow-up sent",
    "escalation_sent": "Second follow-up sent, principal copied",
    "reply_received": "Answer received",
    "auto_reply_received": "Automatic reply received",
    "bounce_received": "Delivery failure received",
    "meeting_scheduled": "Meeting date recorded",
    "reminder_sent": "Reminder emailed to the parent",
    "send_failed": "Sending failed",
    "send_uncertain": "Sending uncertain",
    "closed": "Closed by the parent",
    "state_changed": "State changed",
}
MESSAGE_LABELS: Mapping[str, str] = {
    "request": "Letter: the request for an IEP meeting",
    "followup": "Letter: follow-up",
    "escalation": "Letter: second follow-up",
    "answer": "Answer from the school",
    "declined": "Answer from the school: declines the meeting",
    "informal": "Answer from the school: offers an informal call or check-in",
    "invite": "Answer from the school: calendar invitation",
    "auto_reply": "Automatic reply (out of office)",
    "bounce": "Delivery failure report",
}
STEP_NOTES: Mapping[str, str] = {
    "failed": "NOT SENT: the mail server refused it",
    "uncertain": "UNCERTAIN: the connection broke while it was being sent",
}

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: Georgia, "Times New Roman", Times, serif; font-size: 11pt;
  line-height: 1.4; color: #111; background: #fff; margin: 0 auto; padding: 1.5rem;
  max-width: 52rem; }
h1 { font-size: 1.6em; margin: 0 0 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #333; padding-bottom: 0.15em;
  margin: 1.6em 0 0.6em; }
h3 { font-size: 1.05em; margin: 0 0 0.4em; }
p { margin: 0.4em 0; }
.lead { font-size: 1.15em; margin-bottom: 1em; }
.seal { border: 2px solid #333; padding: 0.6em 0.8em; margin: 1em 0; }
.note { font-style: italic; }
code, .mono, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; }
code.hash { font-size: 0.9em; overflow-wrap: anywhere; word-break: break-all; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 0.25em 0.4em;
  border-bottom: 1px solid #bbb; overflow-wrap: anywhere; }
table.facts th { width: 11em; }
table.trail { font-size: 0.88em; }
table.trail th { border-bottom: 2px solid #333; }
.utc { color: #444; font-size: 0.9em; }
.kind { color: #444; font-size: 0.85em; }
article { border-top: 1px solid #333; padding-top: 0.6em; margin-top: 1.4em; }
dl.meta { display: grid; grid-template-columns: 10.5em 1fr; gap: 0.1em 0.6em;
  margin: 0 0 0.6em; font-size: 0.92em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
pre.body { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.88em;
  background: #f6f6f6; border: 1px solid #ccc; padding: 0.6em 0.8em; margin: 0; }
.warning { font-weight: bold; }
@page { size: auto; margin: 16mm 15mm 18mm 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .cover { break-after: page; }
  h2, h3, dl.meta { break-after: avoid; }
  tr, dl.meta, .seal { break-inside: avoid; }
  pre.body { background: none; }
  a { color: inherit; text-decoration: none; }
}
"""


@dataclass(frozen=True)
class Cover:
    """What the first page says about the request and the export."""

    request_id: str
    child: str  # "Sam Rivera, 4th grade, Lincoln Elementary School"
    parent: str  # "Jordan Rivera <jordan@family.example>"
    case_manager: str
    principal: str
    reason: str
    concern: str
    urgent: bool
    exported_at: datetime
    timezone: str


@dataclass(frozen=True)
class Body:
    """The readable text of one message."""

    text: str
    html_only: bool = False
    delivery_status: str = ""
    calendar: tuple[tuple[str, datetime | None, str | None], ...] = ()  # summary, start, place
    problems: str = ""


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "&ndash;"
    local = escape(moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z"))
    utc = escape(moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC"))
    return f'{local} <span class="utc">({utc})</span>'


def _row(label: str, value: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{value}</td></tr>"


def _cover(cover: Cover, trail: Trail, zone: ZoneInfo) -> str:
    request = trail.request
    facts = [
        _row("Request", f"<code>{escape(cover.request_id)}</code>"),
        _row("Child", escape(cover.child)),
        _row("Asked by (parent)", escape(cover.parent)),
        _row("Case manager", escape(cover.case_manager)),
        _row("Principal", escape(cover.principal)),
        _row("Reason", escape(cover.reason) + (" &mdash; <b>urgent</b>" if cover.urgent else "")),
        _row("The parent's concern", escape(cover.concern) or "&ndash;"),
        _row("First sent", _when(request.sent_at, zone)),
        _row("State at export", escape(request.state.replace("_", " "))),
    ]
    letters = sum(1 for message in trail.messages if not message.is_reminder)
    return f"""<header class="cover">
<h1>Request for an IEP meeting: the paper trail</h1>
<p class="lead">{escape(cover.child)}</p>
<div class="seal">
<p>Exported {_when(cover.exported_at, zone)} by iepd {escape(__version__)}.</p>
<p>Chain head, the SHA-256 of the newest of the {trail.event_count} events in iepd's
hash-chained log: <code class="hash">{escape(trail.head)}</code></p>
<p>{len(trail.entries)} events and {letters} letters and answers of this request follow, oldest
first. Every message is also in <code>messages/</code> as a byte-for-byte <code>.eml</code>
copy; <code>SHA256SUMS</code> lists the SHA-256 of every file here (check with
<code>sha256sum -c SHA256SUMS</code>).</p>
</div>
<table class="facts">
{"".join(facts)}
</table>
<p class="note">This is a record of written communication kept by iepd, the parent's own
software. It is not legal advice.</p>
<p class="utc">Times are in {escape(cover.timezone)}, with UTC in brackets.</p>
</header>
"""


def _addresses(values: Sequence[str]) -> str:
    return escape(", ".join(values)) if values else "&ndash;"


def _event_cell(kind: str, detail: str | None, zone: ZoneInfo) -> str:
    label = EVENT_LABELS.get(kind, kind.replace("_", " "))
    text = f'{escape(label)} <span class="kind">({escape(kind)})</span>'
    if detail and kind == "meeting_scheduled":
        try:
            text += f"<br>meeting on {_when(datetime.fromisoformat(detail), zone)}"
        except ValueError:
            text += f"<br>{escape(detail)}"
    elif detail:
        text += f"<br>{escape(detail)}"
    return text


def _timeline(trail: Trail, zone: ZoneInfo) -> str:
    rows = []
    for entry in trail.entries:
        event, message = entry.event, entry.message
        who = escape(event.from_addr or "")
        link = "&ndash;"
        if message is not None:
            who = f"{escape(message.row.from_addr or '')} &rarr; {_addresses(message.row.to_addrs)}"
            link = f'<a href="messages/{escape(message.filename)}">{message.number:03d}</a>'
        rows.append(
            f"<tr><td>{event.seq}</td><td>{_when(event.at, zone)}</td>"
            f"<td>{_event_cell(event.kind, event.detail, zone)}</td><td>{who}</td>"
            f"<td>{escape(event.subject or '')}</td><td>{link}</td></tr>"
        )
    return f"""<section>
<h2>Timeline</h2>
<table class="trail">
<colgroup><col style="width:2.6em"><col style="width:19%"><col style="width:22%">
<col style="width:24%"><col><col style="width:3.2em"></colgroup>
<thead><tr><th>#</th><th>When</th><th>What</th><th>From &rarr; to</th><th>Subject</th>
<th>Msg</th></tr></thead>
<tbody>
{"".join(rows) or '<tr><td colspan="6">No events.</td></tr>'}
</tbody>
</table>
</section>
"""


def _message(message: TrailMessage, body: Body, zone: ZoneInfo) -> str:
    row = message.row
    label = MESSAGE_LABELS.get(message.kind, message.kind.replace("_", " "))
    meta = [
        ("From", escape(row.from_addr or "")),
        ("To", _addresses(row.to_addrs)),
        ("Cc", _addresses(row.cc_addrs)),
        ("Subject", escape(row.subject or "")),
        ("Message-ID", f'<span class="mono">{escape(row.message_id or "none")}</span>'),
        ("Date header", _when(row.date_header, zone)),
    ]
    if row.direction == "out":
        sent = _when(message.sent_at, zone)
        if message.step is not None and message.step in STEP_NOTES:
            sent = f'<span class="warning">{escape(STEP_NOTES[message.step])}</span>'
        elif message.sent_at is None:
            sent = f"not yet accepted (step {escape(message.step or 'unknown')})"
        meta.append(("Accepted by server", sent))
        meta.append(("Recorded by iepd", _when(row.created_at, zone)))
    else:
        meta.append(("Received by server", _when(row.internaldate, zone) + " (INTERNALDATE)"))
        meta.append(("Recorded by iepd", _when(row.detected_at, zone)))
        meta.append(("Class", escape(row.klass or "unclassified")))
    meta.append(("SHA-256", f'<code class="hash">{escape(row.sha256)}</code>'))
    meta.append(("File", f'<a href="messages/{escape(message.filename)}">messages/'
                 f"{escape(message.filename)}</a> ({row.size} bytes)"))  # fmt: skip
    if body.problems:
        meta.append(("Read with problems", escape(body.problems)))
    notes = ""
    if body.html_only:
        notes = "<p class='utc'>The message had only an HTML part; it is shown as text.</p>"
    status = ""
    if body.delivery_status:
        status = (
            f'<p><b>Delivery report</b></p><pre class="body">{escape(body.delivery_status)}</pre>'
        )
    for summary, start, location in body.calendar:
        status += (
            "<p><b>Calendar invitation</b></p><dl class='meta'>"
            f"<dt>Summary</dt><dd>{escape(summary) or '&ndash;'}</dd>"
            f"<dt>Starts</dt><dd>{_when(start, zone)}</dd>"
            f"<dt>Location</dt><dd>{escape(location or '') or '&ndash;'}</dd></dl>"
        )
    text = escape(body.text) if body.text.strip() else "(no text part)"
    return f"""<article id="m{message.number:03d}">
<h3>{message.number:03d} &middot; {escape(label)}</h3>
<dl class="meta">
{"".join(f"<dt>{escape(name)}</dt><dd>{value}</dd>" for name, value in meta)}
</dl>
{notes}<pre class="body">{text}</pre>
{status}</article>
"""


def _reminders(messages: Sequence[TrailMessage], zone: ZoneInfo) -> str:
    if not messages:
        return ""
    rows = "".join(
        f"<tr><td>{message.number:03d}</td><td>{_when(message.sent_at, zone)}</td>"
        f"<td>{escape(message.kind.removeprefix('reminder-').replace('_', ' '))}</td>"
        f"<td>{escape(message.row.subject or '')}</td>"
        f'<td><a href="messages/{escape(message.filename)}">{escape(message.filename)}</a>'
        "</td></tr>"
        for message in messages
    )
    return f"""<section>
<h2>Reminders iepd emailed to the parent</h2>
<table class="trail">
<colgroup><col style="width:3em"><col style="width:28%"><col style="width:13%"><col>
<col style="width:24%"></colgroup>
<thead><tr><th>#</th><th>Sent</th><th>Kind</th><th>Subject</th><th>File</th></tr></thead>
<tbody>{rows}</tbody>
</table>
</section>
"""


def render_index(cover: Cover, trail: Trail, bodies: Mapping[int, Body]) -> str:
    """Given the cover facts, the trail and each message's readable text (by number),
    return the whole ``index.html``.
    """
    zone = ZoneInfo(cover.timezone)
    letters = [message for message in trail.messages if not message.is_reminder]
    reminders = [message for message in trail.messages if message.is_reminder]
    articles = "".join(
        _message(message, bodies.get(message.number, Body("")), zone) for message in letters
    )
    title = f"Paper trail: {cover.request_id} ({cover.child})"
    request_id = escape(cover.request_id)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="iepd {escape(__version__)}">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
{_cover(cover, trail, zone)}{_timeline(trail, zone)}<section>
<h2>Letters and answers, in full</h2>
{articles or "<p>No letters yet.</p>"}
</section>
{_reminders(reminders, zone)}<footer><p class="note">End of the record of {request_id}.
Chain head <code class="hash">{escape(trail.head)}</code>.</p></footer>
</body>
</html>
"""
