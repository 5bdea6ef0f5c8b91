"""The shared TLS client context: built once per CA file, built anew when the file changes,
and never shared when the file cannot be read."""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path

import pytest

from iepd.errors import MailServerError
from iepd.mail.tls import client_context
from support.mailservers import TlsFiles


def test_client_context_for_the_same_ca_file_is_built_once(
    tls_files: TlsFiles, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    shutil.copyfile(tls_files.ca_file, ca_file)
    first = client_context(ca_file)
    assert client_context(ca_file) is first
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert first.minimum_version == ssl.TLSVersion.TLSv1_2


def test_client_context_after_the_ca_file_changed_trusts_the_new_file(
    tls_files: TlsFiles, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    shutil.copyfile(tls_files.ca_file, ca_file)
    before = client_context(ca_file)
    ca_file.write_bytes(tls_files.ca_file.read_bytes() + tls_files.other_ca_file.read_bytes())
    after = client_context(ca_file)
    assert after is not before
    assert len(after.get_ca_certs()) == len(before.get_ca_certs()) + 1


def test_client_context_with_a_missing_ca_file_still_raises(tmp_path: Path) -> None:
    with pytest.raises(MailServerError, match="does not exist"):
        client_context(tmp_path / "missing.pem")
    with pytest.raises(MailServerError, match="does not exist"):
        client_context(tmp_path / "missing.pem")
