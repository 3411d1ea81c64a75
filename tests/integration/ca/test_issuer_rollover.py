"""Issuing-CA rollover (issue 21, item 2): ``ca rollover`` makes issuing CA 2 the signer of new
certificates while issuing CA 1 keeps answering for its own. Judged by ``openssl verify``,
``openssl ocsp`` through the real ``serve`` and ``openssl crl -CAfile``."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from counter_app.ca import CAFiles
from counter_app.ca.signing import subject_public_key_bits
from tests.conftest import CLI, SoftHSM
from tests.integration.ca.conftest import CA_ENV, Server, issue_via_cli, run
from tests.integration.ca.test_ca_hsm import HSM_ENV, HSM_LABEL, HSM_PIN, hsm_cli  # noqa: F401
from tests.integration.ca.test_ca_hsm import _issue as hsm_issue
from tests.integration.ca.test_ca_keys import OFFLINE_ENV, media, offline_cli  # noqa: F401


@dataclass(frozen=True)
class Rolled:
    cli: CLI
    files: CAFiles
    old: Path  # issued by issuing CA 1 before the rollover
    new: Path  # issued by issuing CA 2 after it
    old_chain: Path
    new_chain: Path


def _chain(files: CAFiles, role: str, out: Path) -> Path:
    out.write_bytes(files.cert(role).read_bytes() + files.cert("root").read_bytes())
    return out


def _serial(path: Path) -> str:
    return f"{x509.load_pem_x509_certificate(path.read_bytes()).serial_number:X}"


def _urls(path: Path) -> tuple[str, str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    issuers = [d.access_location.value for d in aia if d.access_method.dotted_string.endswith("2")]
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return issuers[0], cdp[0].full_name[0].value  # type: ignore[index]


@pytest.fixture
def rolled(ca_cli: CLI, ca_files: CAFiles, tmp_path: Path) -> Rolled:
    (tmp_path / "before").mkdir()
    old = issue_via_cli(ca_cli, tmp_path / "before")
    result = ca_cli("--lang", "en", "ca", "rollover", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("issuing CA 2 (CN=Counter Issuing CA 2,"), result.stdout
    new = issue_via_cli(ca_cli, tmp_path)
    return Rolled(
        ca_cli,
        ca_files,
        old,
        new,
        _chain(ca_files, "issuing", tmp_path / "chain-1.pem"),
        _chain(ca_files, "issuing-2", tmp_path / "chain-2.pem"),
    )


def _verify(chain: Path, leaf: Path) -> bool:
    return run("openssl", "verify", "-CAfile", str(chain), str(leaf)).returncode == 0


def test_certificates_before_and_after_a_rollover_verify_each_against_its_own_chain(
    rolled: Rolled,
) -> None:
    assert _verify(rolled.old_chain, rolled.old) and _verify(rolled.new_chain, rolled.new)
    assert not _verify(rolled.old_chain, rolled.new)
    assert not _verify(rolled.new_chain, rolled.old)


def test_each_certificate_names_its_own_issuers_certificate_and_crl(rolled: Rolled) -> None:
    assert _urls(rolled.old) == (
        "http://127.0.0.1:8080/ca/issuing.cer",
        "http://127.0.0.1:8080/crl",
    )
    assert _urls(rolled.new) == (
        "http://127.0.0.1:8080/ca/issuing-2.cer",
        "http://127.0.0.1:8080/crl/issuing-2",
    )


def test_ca_chain_gives_the_new_issuer_and_ca_issuers_lists_both(rolled: Rolled) -> None:
    chain = rolled.cli("ca", "chain")
    assert chain.returncode == 0, chain.stderr
    assert chain.stdout.encode() == rolled.new_chain.read_bytes()
    listed = rolled.cli("ca", "issuers", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [(r["issuer"], r["state"], r["outstanding"]) for r in json.loads(listed.stdout)]
    assert rows == [(1, "retiring", 1), (2, "active", 1)]


def _ocsp(server: Server, issuer: Path, chain: Path, leaf: Path) -> str:
    out = run(
        "openssl", "ocsp", "-issuer", str(issuer), "-cert", str(leaf),
        "-url", server.url + "/ocsp", "-CAfile", str(chain), "-no_nonce",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Response verify OK" in out.stderr, out.stderr
    return out.stdout


def test_serve_answers_ocsp_for_certificates_of_both_issuers(
    rolled: Rolled, server: Server
) -> None:
    files = rolled.files
    old = _ocsp(server, files.cert("issuing"), rolled.old_chain, rolled.old)
    new = _ocsp(server, files.cert("issuing-2"), rolled.new_chain, rolled.new)
    assert f"{rolled.old}: good" in old and f"{rolled.new}: good" in new


def test_a_serial_asked_of_the_wrong_issuer_is_unknown(rolled: Rolled, server: Server) -> None:
    # openssl ocsp names the leaf's own issuer; a request naming issuer 2 with an old serial
    # is built by hand.
    issuer = rolled.files.load_cert("issuing-2")
    request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        _sha1(issuer.subject.public_bytes()),
        _sha1(subject_public_key_bits(issuer)),
        int(_serial(rolled.old), 16),
        hashes.SHA1(),
    )
    post = urllib.request.Request(
        server.url + "/ocsp",
        request.build().public_bytes(serialization.Encoding.DER),
        {"Content-Type": "application/ocsp-request"},
    )
    with urllib.request.urlopen(post, timeout=20) as response:
        answer = ocsp.load_der_ocsp_response(response.read())
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def _sha1(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA1())
    digest.update(data)
    return digest.finalize()


def _fetch(server: Server, path: str, out: Path) -> Path:
    with urllib.request.urlopen(server.url + path, timeout=20) as response:
        out.write_bytes(response.read())
    return out


def _crl_listing(crl: Path, chain: Path) -> str:
    out = run("openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(chain),
              "-noout", "-text")  # fmt: skip
    assert out.returncode == 0 and "verify OK" in out.stderr, out.stderr
    return out.stdout.replace(":", "").upper()


def test_serve_publishes_both_issuers_certificates_and_crls(
    rolled: Rolled, server: Server, tmp_path: Path
) -> None:
    for path, role in (("/ca/issuing.cer", "issuing"), ("/ca/issuing-2.cer", "issuing-2")):
        der = _fetch(server, path, tmp_path / f"{role}.cer").read_bytes()
        assert x509.load_der_x509_certificate(der) == rolled.files.load_cert(role)
    _crl_listing(_fetch(server, "/crl", tmp_path / "1.crl"), rolled.old_chain)
    _crl_listing(_fetch(server, "/crl/issuing-2", tmp_path / "2.crl"), rolled.new_chain)


def test_revoking_an_old_certificate_puts_it_on_its_issuers_crl_and_ocsp_only(
    rolled: Rolled, server: Server, tmp_path: Path
) -> None:
    serial = _serial(rolled.old)
    result = rolled.cli("ca", "revoke", serial, "--reason", "key-compromise", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    # The running server saw the change (status stamp) and answers from the old issuer.
    answer = _ocsp(server, rolled.files.cert("issuing"), rolled.old_chain, rolled.old)
    assert f"{rolled.old}: revoked" in answer
    old_crl = _crl_listing(_fetch(server, "/crl", tmp_path / "1.crl"), rolled.old_chain)
    new_crl = _crl_listing(_fetch(server, "/crl/issuing-2", tmp_path / "2.crl"), rolled.new_chain)
    assert serial in old_crl and "KEY COMPROMISE" in old_crl
    assert serial not in new_crl and "NO REVOKED CERTIFICATES" in new_crl
    # The files the signing module published say the same.
    assert serial in _crl_listing(rolled.files.crl, rolled.old_chain)
    assert serial not in _crl_listing(rolled.files.crl_of(2), rolled.new_chain)


def test_holding_a_new_certificate_lists_it_on_the_new_issuers_crl(
    rolled: Rolled, tmp_path: Path
) -> None:
    serial = _serial(rolled.new)
    assert rolled.cli("ca", "hold", serial, env=CA_ENV).returncode == 0
    assert serial in _crl_listing(rolled.files.crl_of(2), rolled.new_chain)
    assert serial not in _crl_listing(rolled.files.crl, rolled.old_chain)


def test_a_second_rollover_makes_issuing_ca_3_and_keeps_both_earlier_ones(
    rolled: Rolled, tmp_path: Path
) -> None:
    result = rolled.cli("ca", "rollover", "--issuing-name", "CN=Third Issuing,C=CN", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    (tmp_path / "third").mkdir()
    leaf = issue_via_cli(rolled.cli, tmp_path / "third")
    assert x509.load_pem_x509_certificate(leaf.read_bytes()).issuer.rfc4514_string() == (
        "CN=Third Issuing,C=CN"
    )
    listed = json.loads(rolled.cli("ca", "issuers", "--json").stdout)
    assert [r["state"] for r in listed] == ["retiring", "retiring", "active"]


def test_rollover_without_a_second_person_is_refused_and_changes_nothing(
    ca_cli: CLI, ca_files: CAFiles
) -> None:
    env = {k: v for k, v in CA_ENV.items() if not k.startswith("COUNTER_APP_REVIEWER")}
    result = ca_cli("--lang", "en", "ca", "rollover", env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "needs a second person" in result.stderr
    assert ca_files.issuers() == [1]
    assert ca_files.load_settings().active_issuer == 1


def test_rollover_with_an_offline_root_asks_for_the_media(
    offline_cli: CLI,  # noqa: F811
    media: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    refused = offline_cli("--lang", "en", "ca", "rollover", env=OFFLINE_ENV)
    assert refused.returncode == 2 and "--offline-root DIR" in refused.stderr
    made = offline_cli("ca", "rollover", "--offline-root", str(media), env=OFFLINE_ENV)
    assert made.returncode == 0, made.stderr
    files = CAFiles.in_data_dir(offline_cli.data_dir)
    leaf = issue_via_cli(offline_cli, tmp_path)
    assert _verify(_chain(files, "issuing-2", tmp_path / "chain.pem"), leaf)
    assert not (files.directory / "root.key.pem").exists()  # the root key stayed on the media


def test_rollover_with_keys_in_an_hsm_makes_the_new_keys_there(
    hsm_cli: CLI,  # noqa: F811
    softhsm: SoftHSM,
    tmp_path: Path,
) -> None:
    result = hsm_cli("ca", "rollover", env=HSM_ENV)
    assert result.returncode == 0, result.stderr
    files = CAFiles.in_data_dir(hsm_cli.data_dir)
    assert not files.key("issuing-2").exists() and not files.key("ocsp-2").exists()
    listed = softhsm.pkcs11_tool("--token-label", HSM_LABEL, "--login", "--pin", HSM_PIN, "-O")
    assert "counter-ca-issuing-2" in listed.stdout and "counter-ca-ocsp-2" in listed.stdout
    leaf = hsm_issue(hsm_cli, tmp_path)  # the module opens both issuers' keys on the HSM
    assert _verify(_chain(files, "issuing-2", tmp_path / "chain.pem"), leaf)
