"""Fixtures shared by every layer of tests: data dirs, the real CLI, real SoftHSM2 tokens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from counter_app.config import default_pkcs11_module

REPO = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "Adm1n-pass"
# The officers who act on the signing module directly: a supervisor and a second person.
OFFICERS = {"sup1": ("supervisor", "Super-pass1"), "rev1": ("reviewer", "Review-pass1")}
OFFICERS_ENV = {
    "COUNTER_APP_SUPERVISOR": "sup1",
    "COUNTER_APP_SUPERVISOR_PASSWORD": OFFICERS["sup1"][1],
    "COUNTER_APP_REVIEWER": "rev1",
    "COUNTER_APP_REVIEWER_PASSWORD": OFFICERS["rev1"][1],
}


@dataclass
class CLIResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class CLI:
    """Runs the real ``counter-app`` console script in a subprocess."""

    data_dir: Path
    env: dict[str, str]

    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        input: str | None = None,
        timeout: float = 120,
    ) -> CLIResult:
        exe = Path(sys.executable).with_name("counter-app")
        full_env = {**self.env, **(env or {})}
        proc = subprocess.run(
            [str(exe), "--data-dir", str(self.data_dir), *args],
            env=full_env,
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
        )
        return CLIResult(proc.returncode, proc.stdout, proc.stderr)


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTER_APP_")}
    env["HOME"] = str(tmp_path / "home")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class SoftHSM:
    """A private SoftHSM2 token store for one test (its own SOFTHSM2_CONF)."""

    module: str
    conf: Path
    tokendir: Path

    def init_token(self, label: str, so_pin: str = "12345678", pin: str = "123456") -> None:
        # Test set-up only: softhsm2-util takes PINs on argv; product code never does.
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                so_pin,
                "--pin",
                pin,
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "SOFTHSM2_CONF": str(self.conf)},
        )

    def pkcs11_tool(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """OpenSC's pkcs11-tool on this token store: the external judge of token tests."""
        return subprocess.run(
            ["pkcs11-tool", "--module", self.module, *args],
            capture_output=True,
            text=True,
            check=check,
            env={**os.environ, "SOFTHSM2_CONF": str(self.conf)},
        )


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftHSM]:
    if shutil.which("softhsm2-util") is None:
        pytest.fail("softhsm2 is not installed: run the README's test command (it installs it)")
    tokendir = tmp_path / "tokens"
    tokendir.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokendir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    yield SoftHSM(default_pkcs11_module(), conf, tokendir)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli(tmp_path: Path, data_dir: Path, softhsm: SoftHSM) -> CLI:
    """The real console script, on a fresh data dir and the test's own SoftHSM2 token store."""
    env = base_env(tmp_path)
    env["SOFTHSM2_CONF"] = str(softhsm.conf)
    return CLI(data_dir, env)


@pytest.fixture
def initialised_cli(cli: CLI) -> CLI:
    result = cli("init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD})
    assert result.returncode == 0, result.stderr
    return cli


def add_officers(cli: CLI) -> None:
    """The supervisor and reviewer of OFFICERS_ENV, added by the admin."""
    admin = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
    for name, (role, password) in OFFICERS.items():
        result = cli(
            "operator",
            "add",
            name,
            "--role",
            role,
            env={**admin, "COUNTER_APP_NEW_PASSWORD": password},
        )
        assert result.returncode == 0, result.stderr


def wait_for_pause(path: Path, proc: subprocess.Popen[str], limit_s: float = 60) -> None:
    """Wait until a process run with COUNTER_APP_TEST_PAUSE_AFTER writes its marker file at the step."""
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the enrollment never reached the step"
        time.sleep(0.05)
