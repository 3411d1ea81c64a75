"""Opening the signing module is a custodian's act (issue 15, item 7): after ``ca custody init``
the CA passphrase opens nothing, two of three custodians open the module, the policy decides who
counts, and every opening is audited. Real CLI, real data dir; the keys are judged by opening
them with the rebuilt secret only."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app.ca import CAFiles
from counter_app.cli.custody import custodian_env
from tests.conftest import ADMIN_PASSWORD, CLI, OFFICERS_ENV
from tests.integration.ca.conftest import PASSPHRASE

OWN = {"admin": "admin-Custody-1", "sup1": "sup1-Custody-1", "sup2": "sup2-Custody-1"}
OWN_ENV = {custodian_env(name): secret for name, secret in OWN.items()}


@pytest.fixture
def custody_cli(ca_cli: CLI) -> CLI:
    admin = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
    added = ca_cli("operator", "add", "sup2", "--role", "supervisor",
                   env={**admin, "COUNTER_APP_NEW_PASSWORD": "Super-pass2"})  # fmt: skip
    assert added.returncode == 0, added.stderr
    result = ca_cli(
        "--lang", "en", "ca", "custody", "init", "--threshold", "2",
        "--custodian", "admin", "--custodian", "sup1", "--custodian", "sup2",
        env={**OFFICERS_ENV, "COUNTER_APP_CA_PASSPHRASE": PASSPHRASE, **OWN_ENV},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2 of 3 custodians" in result.stdout
    return ca_cli


def _crl(cli: CLI, tmp: Path, **env: str) -> tuple[int, str]:
    result = cli("--lang", "en", "ca", "crl", "--new", "--out", str(tmp / "x.crl"),
                 env={"COUNTER_APP_CA_PASSPHRASE": "", **env})  # fmt: skip
    return result.returncode, result.stderr.strip()


def test_the_old_ca_passphrase_opens_nothing_after_custody(
    custody_cli: CLI, tmp_path: Path
) -> None:
    files = CAFiles.in_data_dir(custody_cli.data_dir)
    with pytest.raises(Exception, match="passphrase"):
        files.load_key("issuing", PASSPHRASE)
    code, err = _crl(custody_cli, tmp_path, COUNTER_APP_CA_PASSPHRASE=PASSPHRASE)
    assert code == 2
    assert "COUNTER_APP_CUSTODIANS" in err  # the custodians are asked for, not the passphrase


def test_two_custodians_open_the_module_and_the_audit_names_them(
    custody_cli: CLI, tmp_path: Path
) -> None:
    code, err = _crl(custody_cli, tmp_path, COUNTER_APP_CUSTODIANS="admin,sup2", **OWN_ENV)
    assert code == 0, err
    assert (tmp_path / "x.crl").stat().st_size > 0
    audit = custody_cli("audit", "list", "--limit", "10").stdout
    assert "admin+sup2" in audit and "ca.open" in audit
    assert custody_cli("audit", "verify").returncode == 0


def test_one_custodian_is_not_enough(custody_cli: CLI, tmp_path: Path) -> None:
    code, err = _crl(custody_cli, tmp_path, COUNTER_APP_CUSTODIANS="sup1", **OWN_ENV)
    assert code == 2
    assert err == "error: opening the signing module needs 2 custodians; 1 given"


def test_the_same_custodian_twice_counts_once(custody_cli: CLI, tmp_path: Path) -> None:
    code, err = _crl(custody_cli, tmp_path, COUNTER_APP_CUSTODIANS="sup1,SUP1", **OWN_ENV)
    assert code == 2
    assert "appears twice" in err or "is not a custodian" in err


def test_a_wrong_custodian_passphrase_names_the_custodian(custody_cli: CLI, tmp_path: Path) -> None:
    env = {**OWN_ENV, custodian_env("sup2"): "not-my-Passphrase"}
    code, err = _crl(custody_cli, tmp_path, COUNTER_APP_CUSTODIANS="sup1,sup2", **env)
    assert code == 2
    assert err == "error: wrong passphrase for custodian sup2"


def test_a_disabled_custodian_does_not_count(custody_cli: CLI, tmp_path: Path) -> None:
    admin = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
    assert custody_cli("operator", "disable", "sup2", env=admin).returncode == 0
    code, err = _crl(custody_cli, tmp_path, COUNTER_APP_CUSTODIANS="sup1,sup2", **OWN_ENV)
    assert code == 2
    assert err == "error: operator is disabled: sup2"


def test_a_reviewer_cannot_be_made_a_custodian(ca_cli: CLI) -> None:
    result = ca_cli(
        "--lang", "en", "ca", "custody", "init", "--threshold", "1", "--custodian", "rev1",
        env={**OFFICERS_ENV, "COUNTER_APP_CA_PASSPHRASE": PASSPHRASE,
             custodian_env("rev1"): "rev1-Custody-1"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "rev1 cannot act as a custodian" in result.stderr
    # Nothing changed: the CA passphrase still opens the keys.
    CAFiles.in_data_dir(ca_cli.data_dir).load_key("issuing", PASSPHRASE)
