"""挂起 / 解挂 / 吊销 and look-up, with OCSP and the CRL judged by openssl against a live `serve`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import serving
from tests.integration.services.conftest import Counter

BIN = Path(sys.executable).parent
# The example individual's resident ID card, shown at the counter.
ID = ("--identity", "140105198506122318")


@pytest.fixture
def served(counter: Counter) -> Iterator[str]:
    with serving(counter.cli.data_dir, {**counter.cli.env, **counter.env}) as running:
        yield running.url


def _pem_files(counter: Counter, facts: dict, tmp: Path) -> tuple[Path, Path, Path]:
    chain = counter.run("ca", "chain").stdout
    certs = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", chain, re.S)
    issuer, root = tmp / "issuer.pem", tmp / "root.pem"
    issuer.write_text(certs[0])
    root.write_text(certs[1])
    shown = json.loads(counter.run("application", "show", facts["application_id"]).stdout)
    assert shown["serial"] == facts["serial"]
    leaf = tmp / "leaf.der"
    objects = counter.token_objects("SUB1")
    key_id = re.search(r"Certificate Object.*?ID:\s+([0-9a-f]+)", objects, re.S).group(1)  # type: ignore[union-attr]
    counter.softhsm.pkcs11_tool(
        "--token-label", "SUB1", "--read-object", "--type", "cert", "--id", key_id, "-o", str(leaf)
    )
    pem = tmp / "leaf.pem"
    subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-in", str(leaf), "-out", str(pem)], check=True
    )
    return issuer, root, pem


def _ocsp(counter: Counter, url: str, issuer: Path, root: Path, leaf: Path) -> str:
    chain = issuer.parent / "both.pem"
    chain.write_text(issuer.read_text() + root.read_text())
    result = counter.openssl(
        "ocsp",
        "-issuer",
        str(issuer),
        "-cert",
        str(leaf),
        "-url",
        f"{url}/ocsp",
        "-CAfile",
        str(chain),
        "-resp_text",
    )
    assert "Response verify OK" in result.stderr, result.stderr
    return result.stdout


def _crl_number(url: str, tmp: Path) -> int:
    der = tmp / "crl.der"
    der.write_bytes(urllib.request.urlopen(f"{url}/crl", timeout=10).read())
    out = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(der), "-noout", "-crlnumber"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.strip().split("=")[1], 16)


def test_ocsp_follows_suspend_resume_revoke(counter: Counter, served: str, tmp_path: Path) -> None:
    facts = counter.enrolled()
    issuer, root, leaf = _pem_files(counter, facts, tmp_path)
    numbers = [_crl_number(served, tmp_path)]
    assert "Cert Status: good" in _ocsp(counter, served, issuer, root, leaf)

    assert counter.run("cert", "suspend", facts["serial"], *ID).returncode == 0
    held = _ocsp(counter, served, issuer, root, leaf)
    assert "Cert Status: revoked" in held and "certificateHold" in held
    numbers.append(_crl_number(served, tmp_path))

    assert counter.run("cert", "resume", facts["serial"], *ID).returncode == 0
    assert "Cert Status: good" in _ocsp(counter, served, issuer, root, leaf)
    numbers.append(_crl_number(served, tmp_path))

    revoked = counter.run("cert", "revoke", facts["serial"], "--reason", "key-compromise", *ID)
    assert revoked.returncode == 0, revoked.stderr
    final = _ocsp(counter, served, issuer, root, leaf)
    assert "Cert Status: revoked" in final and "keyCompromise" in final
    numbers.append(_crl_number(served, tmp_path))
    assert numbers == sorted(set(numbers)), numbers


def test_revoked_certificate_cannot_be_resumed(counter: Counter) -> None:
    facts = counter.enrolled()
    assert (
        counter.run(
            "cert", "revoke", facts["serial"], "--reason", "cessation-of-operation", *ID
        ).returncode
        == 0
    )
    result = counter.run("cert", "resume", facts["serial"], *ID)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "revoked" in result.stderr or "吊销" in result.stderr
    assert counter.cert(facts["serial"])["status"] == "revoked"


def test_suspend_checks_the_identity_shown(counter: Counter) -> None:
    facts = counter.enrolled()
    wrong = counter.run("cert", "suspend", facts["serial"], "--identity", "11010519491231002X")
    assert wrong.returncode == 2
    right = counter.run("cert", "suspend", facts["serial"], "--identity", "140105198506122318")
    assert right.returncode == 0, right.stderr
    assert json.loads(right.stdout)["status"] == "on_hold"


def test_every_status_change_is_audited(counter: Counter) -> None:
    facts = counter.enrolled()
    assert counter.run("cert", "suspend", facts["serial"], *ID).returncode == 0
    assert counter.run("cert", "resume", facts["serial"], *ID).returncode == 0
    counter.assert_audited(
        "suspend.accept",
        "certificate.hold",
        "suspend.done",
        "resume.accept",
        "certificate.release",
        "resume.done",
    )
    assert counter.run("audit", "verify").returncode == 0


def test_cert_list_filters_by_subscriber_status_and_expiry(counter: Counter) -> None:
    facts = counter.enrolled()
    listed = json.loads(counter.run("cert", "list", "--json", "--subscriber", "张三").stdout)
    assert [c["serial"] for c in listed] == [facts["serial"]]
    assert json.loads(counter.run("cert", "list", "--json", "--status", "revoked").stdout) == []
    assert json.loads(counter.run("cert", "list", "--json", "--expiring", "30").stdout) == []
    assert len(json.loads(counter.run("cert", "list", "--json", "--expiring", "400").stdout)) == 1


def test_reading_a_certificate_needs_a_sign_in(counter: Counter) -> None:
    facts = counter.enrolled()
    anonymous = {"COUNTER_APP_OPERATOR": "", "COUNTER_APP_PASSWORD": ""}
    shown = counter.run("--lang", "en", "cert", "show", facts["serial"], env=anonymous)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "COUNTER_APP_OPERATOR" in shown.stderr and facts["serial"] not in shown.stdout


def test_reading_subscriber_data_is_audited_with_who_looked(counter: Counter) -> None:
    facts = counter.enrolled()
    assert counter.run("cert", "show", facts["serial"]).returncode == 0
    assert counter.run("application", "show", facts["application_id"]).returncode == 0
    assert counter.run("cert", "list", "--subscriber", "张三").returncode == 0
    listed = counter.run("audit", "list", "--limit", "1000", "--json").stdout
    reads = [json.loads(line) for line in listed.splitlines() if '"read.' in line]
    assert [(e["operator"], e["action"], e["object"]) for e in reads] == [
        ("clerk1", "read.certificate", f"certificate:{facts['serial']}"),
        ("clerk1", "read.application", f"application:{facts['application_id']}"),
        ("clerk1", "read.certificate_list", "certificates"),
    ]


def test_a_subscriber_filter_of_a_percent_sign_matches_no_one(counter: Counter) -> None:
    counter.enrolled()
    listed = json.loads(counter.run("cert", "list", "--json", "--subscriber", "%").stdout)
    assert listed == []
