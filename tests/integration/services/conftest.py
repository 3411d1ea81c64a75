"""A counter ready for business: operators, a CA and a formatted SoftHSM token per test.

The data dir (operators and CA) is made once per session through the real CLI and copied for
each test; every test gets its own SoftHSM2 token store.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, CLI, CLIResult, SoftHSM, add_officers, base_env

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "resources" / "examples"
CA_PASSPHRASE = "ca-Passphrase-1"
SO_PIN = "87654321"
USER_PIN = "246813"
OPERATORS = {
    "clerk1": ("clerk", "Clerk-pass1"),
    "rev1": ("reviewer", "Review-pass1"),
    "supervisor": ("supervisor", "Super-pass1"),
    "clerk2": ("clerk", "Clerk-pass2"),
}


def example(kind: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"enroll-{kind}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def template_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template")
    cli = CLI(root / "data", base_env(root))
    assert cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    add_officers(cli, OPERATORS)
    r = cli("ca", "init", env={"COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE})
    assert r.returncode == 0, r.stderr
    return root / "data"


def clerk_env(user_pin: str = USER_PIN) -> dict[str, str]:
    """clerk1 signed in, rev1 as the second person, the CA passphrase and the token's user PIN."""
    return {
        "COUNTER_APP_OPERATOR": "clerk1",
        "COUNTER_APP_PASSWORD": OPERATORS["clerk1"][1],
        "COUNTER_APP_REVIEWER": "rev1",
        "COUNTER_APP_REVIEWER_PASSWORD": OPERATORS["rev1"][1],
        "COUNTER_APP_CA_PASSPHRASE": CA_PASSPHRASE,
        "COUNTER_APP_USER_PIN": user_pin,
    }


def on_token(counter: Counter, label: str) -> tuple[str, ...]:
    """The CLI options naming the subscriber's token on the counter's SoftHSM."""
    return ("--module", counter.softhsm.module, "--token-label", label)


def in_cash(tendered: str) -> tuple[str, ...]:
    """The CLI options of a cash payment with ``tendered`` yuan handed over."""
    return ("--method", "cash", "--tendered", tendered)


@dataclass
class Counter:
    cli: CLI
    softhsm: SoftHSM
    tmp: Path

    @property
    def env(self) -> dict[str, str]:
        return clerk_env()

    def token(self, label: str) -> str:
        self.softhsm.init_token(label, so_pin=SO_PIN, pin=USER_PIN)
        return label

    def run(self, *args: str, env: dict[str, str] | None = None) -> CLIResult:
        return self.cli(*args, env={**self.env, **(env or {})})

    @property
    def supervisor_env(self) -> dict[str, str]:
        return {
            "COUNTER_APP_SUPERVISOR": "supervisor",
            "COUNTER_APP_SUPERVISOR_PASSWORD": OPERATORS["supervisor"][1],
        }

    def enroll(
        self, data: dict[str, Any], label: str, *extra: str, env: dict[str, str] | None = None
    ) -> CLIResult:
        if "waiver" in data.get("payment", {}):
            # A waiver rests on a supervisor who signs in for it.
            env = {**self.supervisor_env, **(env or {})}
        path = self.tmp / f"app-{label}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return self.run(
            "enroll",
            str(path),
            "--module",
            self.softhsm.module,
            "--token-label",
            label,
            *extra,
            env=env,
        )

    def enrolled(self, kind: str = "individual", label: str = "SUB1") -> dict[str, Any]:
        self.token(label)
        result = self.enroll(example(kind), label)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def token_objects(self, label: str) -> str:
        return self.softhsm.objects(USER_PIN, label)

    def with_token(
        self, *args: str, label: str = "SUB1", env: dict[str, str] | None = None
    ) -> CLIResult:
        """``counter-app ARGS…`` on the subscriber's token ``label`` (:func:`on_token`)."""
        return self.run(*args, *on_token(self, label), env=env)

    def certificate_on_token(self, label: str, key_id: str, tmp: Path) -> Path:
        """The certificate ``key_id`` read off token ``label`` by pkcs11-tool, as PEM in ``tmp``."""
        der, pem = tmp / "leaf.der", tmp / "leaf.pem"
        self.softhsm.pkcs11_tool(
            "--token-label",
            label,
            "--read-object",
            "--type",
            "cert",
            "--id",
            key_id,
            "-o",
            str(der),
        )
        converted = self.openssl("x509", "-inform", "DER", "-in", str(der), "-out", str(pem))
        assert converted.returncode == 0, converted.stderr
        return pem

    def assert_chain_verifies(self, leaf: Path, serial: str, tmp: Path) -> None:
        """openssl verifies ``leaf`` against ``ca chain`` and reads ``serial`` in it."""
        chain = tmp / "chain.pem"
        chain.write_text(self.run("ca", "chain").stdout)
        verify = self.openssl("verify", "-CAfile", str(chain), str(leaf))
        assert verify.returncode == 0, verify.stderr
        shown = self.openssl("x509", "-in", str(leaf), "-noout", "-serial").stdout.strip()
        assert shown == f"serial={serial}"

    def assert_audited(self, *actions: str) -> None:
        """Each of ``actions`` stands in the audit log."""
        listed = self.run("audit", "list", "--limit", "1000").stdout
        for action in actions:
            assert action in listed

    def cert(self, serial: str) -> dict[str, Any]:
        """``cert show SERIAL --json``'s record (status, items, …)."""
        return json.loads(self.run("cert", "show", serial).stdout)

    def db(self, sql: str) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(self.cli.data_dir / "counter.db") as conn:
            return conn.execute(sql).fetchall()

    def openssl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["openssl", *args], capture_output=True, text=True)


def enroll_unit_and_device(counter: Counter) -> dict[str, str]:
    """A unit (token UNIT1) and a device (DEV1) enrolled on P-256: their serials by label."""
    serials = {}
    for kind, label in (("unit", "UNIT1"), ("device", "DEV1")):
        counter.token(label)
        data = example(kind)
        data["key_algorithm"] = "ec-p256"
        result = counter.enroll(data, label)
        assert result.returncode == 0, result.stderr
        serials[label] = json.loads(result.stdout)["serial"]
    return serials


@pytest.fixture
def counter(tmp_path: Path, cli: CLI, softhsm: SoftHSM, template_data_dir: Path) -> Counter:
    shutil.copytree(template_data_dir, cli.data_dir)
    return Counter(cli, softhsm, tmp_path)


@pytest.fixture
def short_lived(counter: Counter) -> Counter:
    """Certificates valid 10 days, so the 30-day renewal window is open at once."""
    profiles = counter.tmp / "profiles.toml"
    text = (REPO / "resources" / "profiles.toml").read_text(encoding="utf-8")
    profiles.write_text(text.replace("validity_days = 365", "validity_days = 10"), encoding="utf-8")
    (counter.cli.data_dir / "config.toml").write_text(
        f'profiles = "{profiles}"\n', encoding="utf-8"
    )
    return counter
