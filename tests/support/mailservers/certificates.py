"""The test PKI: a CA, a server certificate for localhost and 127.0.0.1, and certificates
made to fail verification (an unrelated CA, an expired certificate, a wrong host name)."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import ssl
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .processes import HOST


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    """A test CA and a server certificate it signed, plus certificates made to fail."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    other_ca_file: Path  # an unrelated CA: trusting only it must fail the handshake
    expired_cert_file: Path  # signed by ca_file, same key, expired yesterday
    wrong_host_cert_file: Path  # signed by ca_file, same key, valid only for wrong.example.test

    def expired(self) -> TlsFiles:
        """Return these files with the expired certificate as the server certificate."""
        return dataclasses.replace(self, cert_file=self.expired_cert_file)

    def wrong_host(self) -> TlsFiles:
        """Return these files with the wrong-host certificate as the server certificate."""
        return dataclasses.replace(self, cert_file=self.wrong_host_cert_file)

    def client_context(self) -> ssl.SSLContext:
        """Return a verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        """Return a server context presenting cert_file."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def _write_pem(path: Path, data: bytes, mode: int = 0o644) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _make_ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_server_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    names: Iterable[x509.GeneralName],
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def make_certs(directory: Path | str) -> TlsFiles:
    """Given a directory, write a test CA, a server certificate for localhost and 127.0.0.1,
    an unrelated CA, an expired and a wrong-host certificate into it; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _make_ca("iepd test CA")
    _, other_ca_cert = _make_ca("iepd unrelated test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    good_names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
    year = datetime.timedelta(days=3650)
    good = _make_server_cert(ca_key, ca_cert, key, good_names, now - year / 3650, now + year)
    expired = _make_server_cert(
        ca_key,
        ca_cert,
        key,
        good_names,
        now - datetime.timedelta(days=30),
        now - datetime.timedelta(days=1),
    )
    wrong = _make_server_cert(
        ca_key, ca_cert, key, [x509.DNSName("wrong.example.test")], now - year / 3650, now + year
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return TlsFiles(
        ca_file=_write_pem(directory / "ca.crt", ca_cert.public_bytes(pem)),
        cert_file=_write_pem(directory / "server.crt", good.public_bytes(pem)),
        key_file=_write_pem(directory / "server.key", key_pem, 0o600),
        other_ca_file=_write_pem(directory / "other-ca.crt", other_ca_cert.public_bytes(pem)),
        expired_cert_file=_write_pem(directory / "expired.crt", expired.public_bytes(pem)),
        wrong_host_cert_file=_write_pem(directory / "wrong-host.crt", wrong.public_bytes(pem)),
    )
