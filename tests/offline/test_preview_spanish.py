"""`iepd preview` with `letters_language = "es"` shows the Spanish letter, readable: its
subject and body decoded, not quoted-printable (issue 16). An English letter still prints
exactly as it goes on the wire."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"
REQUEST = "sam-speech-2026-12"  # the example's first request


def preview(tmp_path: Path, *parent_lines: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("[parent]\n", "[parent]\n" + "".join(f"{line}\n" for line in parent_lines))
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, "-m", "iepd", "--config", str(config), "preview", REQUEST],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_preview_shows_the_spanish_letter(tmp_path: Path) -> None:
    shown = preview(tmp_path, 'language = "es"', 'letters_language = "es"')
    assert "Subject: Solicitud de una reunión del IEP para Sam Rivera" in shown
    flat = " ".join(shown.split())
    assert "Estimado/a" in shown and "reunión del IEP (Programa de Educación" in flat
    assert "=C3=" not in shown and "=?utf-8?" not in shown
    assert "Content-Transfer-Encoding" not in shown
    assert "Atentamente," in shown


def test_preview_of_an_english_letter_is_the_wire_text(tmp_path: Path) -> None:
    shown = preview(tmp_path)
    assert "Subject: Request for an IEP meeting for Sam Rivera" in shown
    assert "Content-Transfer-Encoding: 7bit" in shown
    assert "Sincerely," in shown
