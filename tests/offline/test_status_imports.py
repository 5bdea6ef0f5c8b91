"""`iepd status` loads what it shows and nothing more: the modules that only other commands
use (writing letters, reading mail, printing, opening an editor) stay unloaded, whatever
the store holds. Not a timing (docs/benchmarks.md has those): which modules a run loaded is
the same on any machine, and an import that creeps onto status's path is paid on every call
(after issues 15-17, `subprocess` and `tempfile` for `iepd agreed`'s editor were)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.offline import answered_request

# What `iepd status` never needs: the editor of `iepd agreed`, the letters and their
# templates, the inbox's reading of mail, the daemon, the printed letter.
NEVER = (
    "subprocess", "tempfile", "asyncio", "email.parser", "jinja2", "babel", "reportlab",
    "simplemma", "iepd.letters", "iepd.inbox", "iepd.outbox", "iepd.mail.transport",
    "iepd.decide.classify", "iepd.run.daemon", "iepd.run.parent_moves", "iepd.trail.timeline",
)  # fmt: skip
# Runs the command line in-process, then names every module loaded.
PROGRAM = """
import json, sys
from iepd.cli.main import main
code = main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("arguments", [["status"], ["status", "--json"]])
def test_status_of_an_answered_request_loads_no_module_of_other_commands(
    tmp_path: Path, arguments: list[str]
) -> None:
    offline = answered_request(tmp_path)  # an answer: the conversation is read too
    offline.store.close()
    env = offline.family.environ({"PATH": os.environ["PATH"], "HOME": str(tmp_path)})

    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, *arguments],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "sam-speech" in result.stdout
    loaded = json.loads(result.stderr.splitlines()[-1])
    assert [name for name in loaded if name.startswith(NEVER)] == []
