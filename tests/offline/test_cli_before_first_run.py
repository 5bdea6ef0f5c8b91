"""The read-only commands (`status`, `timeline`, `verify`, `export`) before `iepd run` has
ever run, and after requests were added to the config since it last did.

They show the configured requests as not yet sent, with the state `iepd run` will give them,
and create nothing: no state folder, no database, no migration. `iepd check` counts children
and requests in words. No mail server is contacted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iepd.cli import views
from iepd.config.load import load_config
from iepd.run.one_pass import OnePass
from iepd.run.snapshots import status_functions
from iepd.store.database import Store
from support.family import offline_family, speech_request

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"
QUEUED, DRAFT = "sam-speech-2026-12", "sam-evaluation-2027-01"  # the example's; DRAFT on hold
SPEC_STATUS_KEYS = {
    "id", "child", "state", "sent_at", "last_answer_at", "next_action", "next_due",
    "waiting_for",
}  # fmt: skip
SECOND_CHILD = """
[[child]]
id = "maya"
name = "Maya Rivera"
grade = "1st grade"
school = "Lincoln Elementary School"
pronouns = "she"
case_manager = { name = "Dana Alvarez", email = "dalvarez@example.test" }
principal = { name = "Lee Chen", email = "lchen@example.test" }
"""


@dataclass
class Home:
    """A user's home and XDG folders with no iepd state in them, and a config."""

    root: Path
    config: Path
    env: dict[str, str]

    def iepd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "iepd", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )

    def files(self) -> list[str]:
        return sorted(str(path.relative_to(self.root)) for path in self.root.rglob("*"))


def environment(root: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("STATE_DIRECTORY", "IEPD_CONFIG", "CREDENTIALS_DIRECTORY")
        and not key.startswith("XDG_")
    }
    (root / "home").mkdir()
    env["HOME"] = str(root / "home")
    for name in ("STATE", "CONFIG", "CACHE", "DATA"):
        env[f"XDG_{name}_HOME"] = str(root / f"xdg-{name.lower()}")
    return env


@pytest.fixture(params=["example as shipped", "example with state_dir"])
def home(request: pytest.FixtureRequest, tmp_path: Path) -> Home:
    """The real config.example.toml as shipped (its state folder, set or by default, lands
    in the temporary home or $XDG_STATE_HOME), or with state_dir naming a folder. A copy:
    next to the example, the project's templates/ would count as the parent's own."""
    root = tmp_path / "user"
    root.mkdir()
    text = EXAMPLE.read_text()
    if request.param == "example with state_dir":
        text = re.sub(r"^#?\s*state_dir\s*=.*$", "", text, flags=re.MULTILINE)
        text = f'state_dir = "{root / "state"}"\n' + text
    config = tmp_path / "config.toml"
    config.write_text(text)
    return Home(root, config, environment(root))


def test_status_lists_the_configured_requests_and_creates_no_state(home: Home) -> None:
    before = home.files()

    result = home.iepd("status")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # In the order `iepd run` will list them: copied at one time, so by id.
    assert [line.split()[:3] for line in lines[1:3]] == [
        [DRAFT, "sam", "draft"],
        [QUEUED, "sam", "queued"],
    ]
    assert lines[2].split()[3] == "nothing"  # waiting for: iepd's own move, the send
    assert lines[2].split()[7] == "send"
    assert lines[3] == "2 requests new in the config: not sent yet; `iepd run` takes them up"
    assert "no requests yet" not in result.stdout
    assert home.files() == before


def test_status_json_is_one_spec_object_per_configured_request(home: Home) -> None:
    before = home.files()

    result = home.iepd("status", "--json")

    assert result.returncode == 0, result.stderr
    draft, queued = json.loads(result.stdout)
    assert queued.keys() == draft.keys() == SPEC_STATUS_KEYS
    assert (queued["id"], queued["state"], queued["next_action"]) == (
        QUEUED,
        "queued",
        "send",
    )
    assert queued["next_due"].endswith("Z")
    assert (draft["id"], draft["state"], draft["next_action"], draft["next_due"]) == (
        DRAFT,
        "draft",
        None,
        None,
    )
    for row in (queued, draft):
        assert row["sent_at"] is None and row["last_answer_at"] is None
    assert home.files() == before


def test_timeline_of_a_configured_request_says_it_is_not_sent_yet(home: Home) -> None:
    before = home.files()

    queued = home.iepd("timeline", QUEUED)
    draft = home.iepd("timeline", DRAFT)
    as_json = home.iepd("timeline", QUEUED, "--json")
    unknown = home.iepd("timeline", "no-such-request")

    assert (queued.returncode, queued.stdout) == (0, "not sent yet; `iepd run` sends it\n")
    assert draft.returncode == 0 and draft.stdout.startswith("a draft (hold = true): not sent")
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == []
    assert unknown.returncode == 1
    assert "no request 'no-such-request' in the config or the store" in unknown.stderr
    assert home.files() == before


def test_verify_and_export_say_nothing_is_recorded_yet(home: Home) -> None:
    before = home.files()
    out = home.root / "export"

    everything = home.iepd("verify")
    one = home.iepd("verify", QUEUED)
    unknown = home.iepd("verify", "no-such-request")
    export = home.iepd("export", QUEUED, "--out", str(out))

    assert everything.returncode == 0, everything.stderr
    assert everything.stdout.startswith("nothing to verify yet: `iepd run` has recorded nothing")
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith(f"nothing to verify for {QUEUED} yet")
    assert unknown.returncode == 1 and "no request 'no-such-request'" in unknown.stderr
    assert export.returncode == 1
    assert f"nothing to export for {QUEUED} yet" in export.stderr
    assert home.files() == before


def test_check_counts_one_child_and_two_requests_in_words(home: Home) -> None:
    result = home.iepd("check")

    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("(1 child, 2 requests)")


def test_check_counts_two_children_and_one_request_in_words(tmp_path: Path) -> None:
    family = offline_family(tmp_path / "family", [SECOND_CHILD, speech_request()])

    result = subprocess.run(
        [sys.executable, "-m", "iepd", "--config", str(family.config_path), "check"],
        capture_output=True,
        text=True,
        env=family.environ(dict(os.environ)),
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("(2 children, 1 request)")


def test_requests_added_to_the_config_since_the_last_run_are_listed_too(tmp_path: Path) -> None:
    family = offline_family(tmp_path / "family", [speech_request("sam-old"), speech_request()])
    config = load_config(family.config_path, family.environ())
    with Store.open(config.state_dir) as store:
        # What `iepd run` recorded before "sam-speech" was added to the config.
        store.upsert_request(
            id="sam-old",
            child="sam",
            reason="services_not_delivered",
            urgent=False,
            state_if_new="queued",
            subject="",
            now=datetime(2026, 11, 16, 14, 0, tzinfo=UTC),
        )
        events = store.events()
    before = sorted(path.name for path in family.state_dir.iterdir())

    def iepd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "iepd", *args],
            capture_output=True,
            text=True,
            env=family.environ(dict(os.environ)),
            timeout=60,
            check=False,
        )

    status = iepd("status", "--json")
    table = iepd("status")
    timeline = iepd("timeline", "sam-speech")
    verify = iepd("verify")

    assert status.returncode == 0, status.stderr
    old, new = json.loads(status.stdout)
    assert (old["id"], new["id"]) == ("sam-old", "sam-speech")
    assert (new["state"], new["next_action"], new["sent_at"]) == ("queued", "send", None)
    assert "1 request new in the config: not sent yet; `iepd run` takes it up" in table.stdout
    assert timeline.stdout == "not sent yet; `iepd run` sends it\n"
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("ok: the event chain (1 event, head ")  # request_queued
    assert sorted(path.name for path in family.state_dir.iterdir()) == before
    with Store.open(config.state_dir) as store:
        assert store.events() == events
        assert [row.id for row in store.list_requests()] == ["sam-old"]


def test_rows_before_the_first_run_are_those_iepd_run_records(tmp_path: Path) -> None:
    """What status shows of a request not yet copied into the store is what it shows once
    `iepd run` has copied it (and sent nothing yet): the same state, next step and time."""
    requests = [
        speech_request("plain"),
        speech_request("urgent", urgent=True),
        speech_request("on-hold", extra="hold = true"),
        speech_request("later", extra="send_at = 2027-01-04T08:00:00"),
        speech_request("closed", extra="closed = true"),
        speech_request("meeting-set", extra="meeting_at = 2026-12-10T15:30:00"),
    ]
    family = offline_family(tmp_path / "family", requests)
    config = load_config(family.config_path, family.environ())
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)

    before = views.unrecorded_rows(config, config.requests, now)
    with Store.open(config.state_dir) as store:
        OnePass(config, store, None, lambda: now).sync_requests()  # type: ignore[arg-type]
        next_step, waiting = status_functions(config, store, now)
        after = views.status_rows(store, next_step, None, waiting)

    assert before == after
    assert {row["id"]: row["state"] for row in before} == {
        "closed": "closed", "later": "queued", "meeting-set": "queued", "on-hold": "draft",
        "plain": "queued", "urgent": "queued",
    }  # fmt: skip


def test_check_renders_the_parents_export_page_and_names_the_broken_one(home: Home) -> None:
    # Broken only where a loop runs: the page must be rendered with a trail that has events.
    page = home.config.parent / "templates" / "export" / "index.html.j2"
    page.parent.mkdir(parents=True)
    page.write_text("{% for row in events %}{{ row.no_such.field }}{% endfor %}\n", "utf-8")

    result = home.iepd("check")

    assert result.returncode == 78, result.stdout + result.stderr
    assert "template: export page:" in result.stdout
    assert "index.html.j2" in result.stdout
