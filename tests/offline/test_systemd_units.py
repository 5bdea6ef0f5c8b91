"""The systemd units: checked by the real `systemd-analyze`, and held to what the daemon does.

systemd is not PID 1 where these run, so no unit is started: `systemd-analyze verify` loads
a unit as the manager would, and `security --offline=true` scores its sandbox.

`verify` exits 0 even for an unknown key, so any output at all fails a test. It also
insists that the ExecStart= program exists: the user unit is checked as written, with
$HOME pointed at a folder holding `.local/bin/iepd`; the system unit's copy in tmp_path has
`/opt/iepd/bin/iepd` (which a test must not create) replaced by this Python's `-m iepd`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iepd.config.load import SYSTEM_CONFIG_PATH
from iepd.config.model import PasswordSource
from iepd.errors import EX_CONFIG

SYSTEMD = Path(__file__).parents[2] / "systemd"
USER_UNIT = SYSTEMD / "iepd.service"
SYSTEM_UNIT = SYSTEMD / "system" / "iepd.service"
SYSTEM_EXEC_START = "/opt/iepd/bin/iepd run"
MAX_EXPOSURE = 2.0
DAEMON_STOP_PROMISE_SECONDS = 5  # SPEC: SIGTERM -> exit 0 within 5 s

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is missing; on Debian/Ubuntu: apt-get install -y systemd",
)


def analyze(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    environment = {**os.environ, "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", **(env or {})}
    return subprocess.run(
        [SYSTEMD_ANALYZE, "--no-pager", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def read_unit(path: Path) -> dict[str, list[str]]:
    """Given a unit file, return "Section.Key" -> every value assigned, in order."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, separator, value = line.partition("=")
        assert separator, f"{path}: not a key=value line: {raw!r}"
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


def system_unit_for_verify(directory: Path) -> Path:
    text = SYSTEM_UNIT.read_text()
    assert f"ExecStart={SYSTEM_EXEC_START}\n" in text
    copy = directory / "iepd.service"
    copy.write_text(text.replace(SYSTEM_EXEC_START, f"{sys.executable} -m iepd run"))
    return copy


def user_manager_env(tmp_path: Path) -> dict[str, str]:
    """Return an environment in which `systemd-analyze --user` finds a home with
    ~/.local/bin/iepd (what `pipx install iepd` makes) and a runtime folder."""
    home = tmp_path / "home"
    program = home / ".local" / "bin" / "iepd"
    program.parent.mkdir(parents=True)
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m iepd "$@"\n')
    program.chmod(0o755)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    return {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}


@needs_systemd_analyze
def test_system_unit_exposure_is_at_most_2() -> None:
    result = analyze("security", "--offline=true", str(SYSTEM_UNIT))
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert found, f"no exposure level in:\n{result.stdout}{result.stderr}"
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout


@needs_systemd_analyze
def test_system_unit_verify_prints_nothing(tmp_path: Path) -> None:
    result = analyze("verify", str(system_unit_for_verify(tmp_path)))
    assert (result.stdout + result.stderr) == ""
    assert result.returncode == 0


@needs_systemd_analyze
def test_user_unit_verify_in_a_user_manager_prints_nothing(tmp_path: Path) -> None:
    result = analyze("--user", "verify", str(USER_UNIT), env=user_manager_env(tmp_path))
    assert (result.stdout + result.stderr) == ""
    assert result.returncode == 0


@needs_systemd_analyze
def test_verify_reports_a_misspelt_key_so_the_quiet_checks_mean_something(
    tmp_path: Path,
) -> None:
    unit = system_unit_for_verify(tmp_path)
    unit.write_text(unit.read_text().replace("ProtectSystem=", "ProtectSystm="))
    result = analyze("verify", str(unit))
    assert "Unknown key 'ProtectSystm'" in result.stdout + result.stderr


@needs_systemd_analyze
def test_user_unit_verify_reports_a_missing_iepd_program(tmp_path: Path) -> None:
    env = user_manager_env(tmp_path)
    (Path(env["HOME"]) / ".local" / "bin" / "iepd").unlink()
    result = analyze("--user", "verify", str(USER_UNIT), env=env)
    assert ".local/bin/iepd is not executable" in result.stdout + result.stderr


@pytest.mark.parametrize("unit", [USER_UNIT, SYSTEM_UNIT], ids=["user", "system"])
def test_both_units_run_iepd_as_the_daemon_expects(unit: Path) -> None:
    settings = read_unit(unit)
    service = {key.removeprefix("Service."): values for key, values in settings.items()}
    assert service["Type"] == ["notify"]
    assert service["ExecStart"][0].endswith("/iepd run")
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == [str(EX_CONFIG)]
    assert service["UMask"] == ["0077"]
    assert service["WatchdogSec"] == ["5min"]
    assert int(service["TimeoutStopSec"][0]) > DAEMON_STOP_PROMISE_SECONDS
    # The session bus (keyring), the resolver and the notify socket are all AF_UNIX.
    assert "AF_UNIX" in service["RestrictAddressFamilies"][0].split()


def test_system_unit_keeps_its_state_private_in_var_lib_iepd() -> None:
    service = read_unit(SYSTEM_UNIT)
    assert service["Service.StateDirectory"] == ["iepd"]
    assert service["Service.StateDirectoryMode"] == ["0700"]


def test_user_unit_leaves_the_state_where_the_iepd_command_looks() -> None:
    """Before systemd 254 a user unit's StateDirectory= is under ~/.config, not
    ~/.local/state where `iepd status` run from a shell looks for the same state."""
    service = read_unit(USER_UNIT)
    assert "Service.StateDirectory" not in service
    assert "Service.Environment" not in service


def test_system_unit_passes_the_credential_the_config_reads_by_default() -> None:
    service = read_unit(SYSTEM_UNIT)
    credential = service["Service.LoadCredentialEncrypted"][0].partition(":")[0]
    assert credential == PasswordSource(source="credential").name
    assert service["Service.Environment"] == [f"IEPD_CONFIG={SYSTEM_CONFIG_PATH}"]
    assert service["Service.ConfigurationDirectory"] == [SYSTEM_CONFIG_PATH.parent.name]


def test_system_unit_may_reach_mail_servers() -> None:
    service = read_unit(SYSTEM_UNIT)
    assert "Service.IPAddressDeny" not in service
    assert "Service.PrivateNetwork" not in service
    assert set(service["Service.RestrictAddressFamilies"][0].split()) >= {"AF_INET", "AF_INET6"}


MDWE_PROBE = """
import ctypes, importlib, mmap, pkgutil, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(77)
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    sys.exit("W+X memory was still allowed: the probe proves nothing")
except PermissionError:
    pass
import asyncio, sqlite3, ssl
import iepd
imported = 0
for module in pkgutil.walk_packages(iepd.__path__, "iepd."):
    if module.name != "iepd.__main__":
        importlib.import_module(module.name)
        imported += 1
assert imported > 60, imported  # every subpackage walked, not the top level alone
ssl.create_default_context()
sqlite3.connect(":memory:").execute("create table t (x)")
asyncio.run(asyncio.sleep(0))
print("ok")
"""


def test_iepd_runs_without_writable_executable_memory() -> None:
    """MemoryDenyWriteExecute= in the system unit is safe: CPython (no JIT) and every iepd
    module and dependency work under the kernel's equivalent, prctl(PR_SET_MDWE)."""
    result = subprocess.run(
        [sys.executable, "-c", MDWE_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode == 77:
        pytest.skip("this kernel lacks PR_SET_MDWE (Linux 6.3+)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
