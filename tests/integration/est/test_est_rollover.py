"""After ``ca rollover`` the shared signing service issues from the new issuing CA over EST,
sends its chain in /cacerts, and still revokes a certificate of the old one onto the old CRL."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from counter_app.ca import CAFiles, IssueRequest, RevocationReason, SubjectInfo
from counter_app.ca.hierarchy import CASettings
from tests.integration.ca.conftest import make_csr
from tests.integration.est.conftest import CA_ENV, Pki, start_service, stop
from tests.integration.est.test_est import est_client
from tests.integration.services.conftest import Counter


def test_est_issues_from_the_new_issuer_after_a_rollover_and_revokes_old_certificates(
    est_counter: Counter, est_template: Pki, tmp_path: Path
) -> None:
    cli = est_counter.cli
    _, csr = make_csr()
    (tmp_path / "old.csr").write_bytes(csr)
    issued = cli("ca", "issue", "--csr", str(tmp_path / "old.csr"), "--profile", "individual",
                 "--cn", "张三", "--out", str(tmp_path / "old.pem"), env=CA_ENV)  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    old = x509.load_pem_x509_certificate((tmp_path / "old.pem").read_bytes())
    rolled = cli("ca", "rollover", env=CA_ENV)
    assert rolled.returncode == 0, rolled.stderr
    files = CAFiles.in_data_dir(cli.data_dir)
    new_issuer, root = files.load_cert("issuing-2"), files.load_cert("root")
    service = start_service(cli.data_dir, est_template, cli.env)
    client = est_client(service)
    try:
        assert set(client.chain()) == {new_issuer, root}  # PKCS#7 keeps no order
        _, csr_pem = make_csr()
        new = client.issue(IssueRequest(
            x509.load_pem_x509_csr(csr_pem), SubjectInfo(common_name="李四"), "individual",
            application_id=None, operator="clerk1",
        ))  # fmt: skip
        assert new.certificate.issuer == new_issuer.subject
        assert new.certificate.verify_directly_issued_by(new_issuer) is None
        revoked = client.revoke(
            f"{old.serial_number:X}", RevocationReason.SUPERSEDED, operator="clerk1"
        )
        assert revoked.status == "revoked"
    finally:
        client.close()
        assert "Traceback" not in stop(service)
    old_crl = x509.load_der_x509_crl(files.crl.read_bytes())
    new_crl = x509.load_der_x509_crl(files.crl_of(2).read_bytes())
    assert old_crl.get_revoked_certificate_by_serial_number(old.serial_number) is not None
    assert new_crl.get_revoked_certificate_by_serial_number(old.serial_number) is None
    assert new_crl.issuer == new_issuer.subject
    assert CASettings.from_toml(files.settings.read_text(), b"").active_issuer == 2
