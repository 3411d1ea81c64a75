"""OCSP responder rollover (issue 21, item 2): ``ca renew-responder`` and ``serve`` renewing a
responder past half its life at start. Judged by ``openssl ocsp`` against the served answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from counter_app.ca import CAFiles
from counter_app.ca.hierarchy import make_responder
from tests.conftest import CLI, add_officers, serving
from tests.integration.ca.conftest import CA_ENV, PASSPHRASE, issue_via_cli, run


def _fingerprint(path: Path) -> str:
    return x509.load_pem_x509_certificate(path.read_bytes()).fingerprint(hashes.SHA256()).hex()


def _age_responder(files: CAFiles, days: int) -> x509.Certificate:
    """Re-certify the current responder key as if it had been made ``days`` ago."""
    issuing_key = files.load_key("issuing", PASSPHRASE)
    old = files.load_cert("ocsp")
    cert = make_responder(
        files.load_cert("issuing"),
        issuing_key,
        old.subject,
        old.public_key(),
        dt.datetime.now(dt.UTC) - dt.timedelta(days=days),
    )
    files.cert("ocsp").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert


def _ocsp_verify(files: CAFiles, leaf: Path, url: str, tmp: Path) -> str:
    chain = tmp / "issuing-root.pem"
    chain.write_bytes(files.cert("issuing").read_bytes() + files.cert("root").read_bytes())
    out = run(
        "openssl", "ocsp", "-issuer", str(files.cert("issuing")), "-cert", str(leaf),
        "-url", url + "/ocsp", "-CAfile", str(chain), "-resp_text",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Response verify OK" in out.stderr, out.stderr
    return out.stdout


def test_renew_responder_makes_a_new_key_and_keeps_the_old_files(
    ca_cli: CLI, ca_files: CAFiles, tmp_path: Path
) -> None:
    before = _fingerprint(ca_files.cert("ocsp"))
    old_key = ca_files.key("ocsp").read_bytes()
    result = ca_cli("--lang", "en", "ca", "renew-responder", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    assert _fingerprint(ca_files.cert("ocsp")) != before
    assert ca_files.key("ocsp").read_bytes() != old_key
    kept = list(ca_files.directory.glob("ocsp.*.pem"))
    assert {p.name.endswith(".key.pem") for p in kept} == {True, False}
    assert (ca_files.key("ocsp").stat().st_mode & 0o777) == 0o600
    # The new key opens with the CA passphrase and matches the new certificate.
    key = ca_files.load_key("ocsp", PASSPHRASE)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert key.public_key().public_bytes(der, spki) == ca_files.load_cert(
        "ocsp"
    ).public_key().public_bytes(der, spki)
    audit = ca_cli("audit", "list", "--limit", "10").stdout
    assert "ca.renew_responder" in audit
    assert ca_cli("audit", "verify").returncode == 0


def test_renew_responder_if_due_leaves_a_young_responder_alone(
    ca_cli: CLI, ca_files: CAFiles
) -> None:
    before = _fingerprint(ca_files.cert("ocsp"))
    result = ca_cli("--lang", "en", "ca", "renew-responder", "--if-due", env=CA_ENV)
    assert result.returncode == 0, result.stderr
    assert "not yet half way" in result.stdout
    assert _fingerprint(ca_files.cert("ocsp")) == before


def test_serve_renews_a_responder_past_half_its_life_and_answers_with_it(
    ca_cli: CLI, ca_files: CAFiles, tmp_path: Path
) -> None:
    leaf = issue_via_cli(ca_cli, tmp_path)
    aged = _age_responder(ca_files, 200)
    with serving(ca_cli.data_dir, {**ca_cli.env, **CA_ENV}, lang="en") as served:
        assert len(served.said) == 1, served.said
        assert served.said[0].startswith("OCSP responder renewed until "), served.said
        text = _ocsp_verify(ca_files, leaf, served.url, tmp_path)
    renewed = ca_files.load_cert("ocsp")
    assert renewed.serial_number != aged.serial_number
    assert renewed.not_valid_before_utc > aged.not_valid_before_utc
    # The answer carries the new responder certificate.
    assert f"{renewed.serial_number:X}".lower() in text.replace(":", "").lower()
    assert "Cert Status: good" in text


def test_renew_responder_with_keys_in_an_hsm_makes_the_new_key_there(
    initialised_cli: CLI,
    softhsm,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.integration.ca.test_ca_hsm import HSM_ENV, HSM_LABEL, HSM_PIN

    softhsm.init_token(HSM_LABEL, pin=HSM_PIN)
    made = initialised_cli(
        "ca", "init", "--hsm-module", softhsm.module, "--hsm-label", HSM_LABEL, env=HSM_ENV
    )
    assert made.returncode == 0, made.stderr
    add_officers(initialised_cli)
    files = CAFiles.in_data_dir(initialised_cli.data_dir)
    before = _fingerprint(files.cert("ocsp"))
    result = initialised_cli("--lang", "en", "ca", "renew-responder", env=HSM_ENV)
    assert result.returncode == 0, result.stderr
    assert _fingerprint(files.cert("ocsp")) != before
    assert not files.key("ocsp").exists()  # no key file: the new key lives in the HSM
    listed = softhsm.pkcs11_tool("--token-label", HSM_LABEL, "--login", "--pin", HSM_PIN, "-O")
    assert listed.stdout.count("Private Key Object") == 4  # root, issuing, old and new responder
    # The renewed responder answers: serve finds its key on the HSM by the certificate.
    from tests.integration.ca.test_ca_hsm import _issue

    leaf = _issue(initialised_cli, tmp_path)
    with serving(initialised_cli.data_dir, {**initialised_cli.env, **HSM_ENV}) as served:
        text = _ocsp_verify(files, leaf, served.url, tmp_path)
    assert "Cert Status: good" in text
