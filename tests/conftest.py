"""Fixtures shared by every layer of tests: data dirs, the real CLI, real SoftHSM2 tokens."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # Throw-away CAs: keys written at fewer PBKDF2 iterations (tests/integration/ca/test_ca_keys.py
    # checks the production count with this unset).
    env["COUNTER_APP_TEST_KDF_ITERATIONS"] = "2000"
    return env


def token_cli(
    cli: CLI,
    verb: str,
    module: str,
    *more: str,
    env: dict[str, str] | None = None,
    lang: str | None = None,
    driver: str | None = None,
) -> CLIResult:
    """``counter-app [--lang LANG] token VERB [--driver DRIVER] --module MODULE MORE…``; PINs go in
    ``env`` (COUNTER_APP_USER_PIN and the like), never on the command line."""
    lead = ("--lang", lang) if lang else ()
    drive = ("--driver", driver) if driver else ()
    return cli(*lead, "token", verb, *drive, "--module", module, *more, env=env)


class Pkcs11Judge:
    """What pkcs11-tool, the external judge of token tests, says about a token."""

    module: str

    def pkcs11_tool_env(self) -> dict[str, str] | None:
        """The environment pkcs11-tool runs in (None: this process's)."""
        return None

    def pkcs11_tool(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """OpenSC's pkcs11-tool on this token store: the external judge of token tests."""
        return subprocess.run(
            ["pkcs11-tool", "--module", self.module, *args],
            capture_output=True,
            text=True,
            check=check,
            env=self.pkcs11_tool_env(),
        )

    def objects(self, pin: str, label: str = "SUB1") -> str:
        """The objects listed after logging in to the token with ``pin``."""
        return self.pkcs11_tool("--token-label", label, "--login", "--pin", pin, "-O").stdout

    def logs_in(self, pin: str, label: str = "SUB1") -> bool:
        login = self.pkcs11_tool("--token-label", label, "--login", "--pin", pin, "-O", check=False)
        return login.returncode == 0


@dataclass
class SoftHSM(Pkcs11Judge):
    """A private SoftHSM2 token store for one test (its own SOFTHSM2_CONF)."""

    module: str
    conf: Path
    tokendir: Path
    name = "softhsm"
    so_pin = "12345678"

    def init_token(self, label: str, so_pin: str = "12345678", pin: str = "123456") -> None:
        # Test set-up only: softhsm2-util takes PINs on argv; product code never does.
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label,
             "--so-pin", so_pin, "--pin", pin],
            check=True,
            capture_output=True,
            env=self.pkcs11_tool_env(),
        )  # fmt: skip

    def pkcs11_tool_env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}


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


OPENCRYPTOKI_MODULE = "/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so"
OPENCRYPTOKI_SLOT = 3  # the soft token (libpkcs11_sw.so) in Debian's opencryptoki.conf
OPENCRYPTOKI_LOCK = Path(tempfile.gettempdir()) / "counter-app-opencryptoki.lock"


@dataclass
class OpenCryptoki(Pkcs11Judge):
    """opencryptoki's soft token (IBM SoftTok), a second PKCS#11 implementation.

    Unlike SoftHSM its token is machine state shared by every process (the pkcsslotd daemon and
    /var/lib/opencryptoki/swtok), so the fixture holds a file lock for the whole test (two test
    runs on one machine take turns) and every test formats the token afresh: no test sees what
    another left. Its SO PIN stays the factory one (C_InitToken needs the current SO PIN), and
    its PINs are 4 to 8 characters long."""

    module: str = OPENCRYPTOKI_MODULE
    slot: int = OPENCRYPTOKI_SLOT
    name = "opencryptoki"
    so_pin = "87654321"

    def init_token(self, label: str, so_pin: str | None = None, pin: str = "123456") -> None:
        # Test set-up only: pkcs11-tool takes PINs on argv; product code never does.
        assert so_pin in (None, self.so_pin), "opencryptoki's SO PIN is its factory one"
        self.pkcs11_tool(
            "--slot", str(self.slot), "--init-token", "--label", label, "--so-pin", self.so_pin
        )
        self.pkcs11_tool(
            "--slot", str(self.slot), "--login", "--login-type", "so", "--so-pin", self.so_pin,
            "--init-pin", "--new-pin", pin,
        )  # fmt: skip


def _pkcsslotd_running() -> bool:
    try:
        pid = int(Path("/run/pkcsslotd.pid").read_text().strip())
    except (OSError, ValueError):
        return False
    return Path(f"/proc/{pid}").exists()


@pytest.fixture
def opencryptoki() -> Iterator[OpenCryptoki]:
    """opencryptoki's soft token, formatted blank-labelled "OCK-FREE" for this test alone."""
    if not Path(OPENCRYPTOKI_MODULE).exists() or not _pkcsslotd_running():
        pytest.fail(
            "opencryptoki is not installed or pkcsslotd is not running: run the README's test "
            "command (scripts/setup-env --test installs and starts it)"
        )
    with OPENCRYPTOKI_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ock = OpenCryptoki()
        # Erase what an earlier test left; tests format it again under the label they use.
        ock.init_token("OCK-FREE")
        yield ock


@pytest.fixture(params=["softhsm", "opencryptoki"])
def pkcs11_impl(request: pytest.FixtureRequest) -> SoftHSM | OpenCryptoki:
    """Each PKCS#11 implementation the token layer is run on, one after the other."""
    impl: SoftHSM | OpenCryptoki = request.getfixturevalue(request.param)
    return impl


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli(tmp_path: Path, data_dir: Path, softhsm: SoftHSM) -> CLI:
    """The real console script, on a fresh data dir and the test's own SoftHSM2 token store."""
    env = base_env(tmp_path)
    env["SOFTHSM2_CONF"] = str(softhsm.conf)
    return CLI(data_dir, env)


@pytest.fixture(scope="session")
def initialised_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir just after ``counter-app init`` (the admin only), made once per test process:
    each test that needs one gets a copy, not a second ``init`` (it keeps nothing outside the data
    dir, and no path inside it)."""
    root = tmp_path_factory.mktemp("initialised")
    result = CLI(root / "data", base_env(root))(
        "init", env={"COUNTER_APP_PASSWORD": ADMIN_PASSWORD}
    )
    assert result.returncode == 0, result.stderr
    return root / "data"


@pytest.fixture
def initialised_cli(cli: CLI, initialised_template: Path) -> CLI:
    """``cli`` on a data dir as ``counter-app init`` leaves it (a copy of the template)."""
    shutil.copytree(initialised_template, cli.data_dir)
    return cli


def add_officers(
    cli: CLI,
    officers: Mapping[str, tuple[str, str]] | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Operators added by the admin: ``officers`` (name → role, password), by default the
    supervisor and reviewer of OFFICERS_ENV; ``env`` adds to the command's environment."""
    admin = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASSWORD, **(env or {})}
    for name, (role, password) in (OFFICERS if officers is None else officers).items():
        result = cli(
            "operator",
            "add",
            name,
            "--role",
            role,
            env={**admin, "COUNTER_APP_NEW_PASSWORD": password},
        )
        assert result.returncode == 0, result.stderr


@dataclass
class Served:
    """A running ``counter-app serve`` (OCSP and CRLs over plain HTTP) on a port the OS chose."""

    url: str
    proc: subprocess.Popen[str]
    said: list[str] = field(default_factory=list)  # its stderr lines before "serving on"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_serve(
    data_dir: Path,
    env: Mapping[str, str],
    *more: str,
    lang: str | None = None,
    stdout: int = subprocess.DEVNULL,
) -> Served:
    """``counter-app [--lang LANG] --data-dir DATA_DIR serve --port 0 MORE…``, started and read
    until it says "serving on URL"; the caller stops it (or use :func:`serving`)."""
    exe = Path(sys.executable).with_name("counter-app")
    lead = ["--lang", lang] if lang else []
    proc = subprocess.Popen(
        [str(exe), *lead, "--data-dir", str(data_dir), "serve", "--port", "0", *more],
        env=dict(env),
        stderr=subprocess.PIPE,
        stdout=stdout,
        text=True,
    )
    assert proc.stderr is not None
    said: list[str] = []
    line = proc.stderr.readline()
    while line and "serving on" not in line:
        said.append(line)
        line = proc.stderr.readline()
    match = re.search(r"serving on (http://\S+)", line)
    if match is None:
        proc.kill()
        proc.wait(timeout=10)
    assert match, said
    return Served(match.group(1), proc, said)


@contextmanager
def serving(
    data_dir: Path, env: Mapping[str, str], *more: str, lang: str | None = None
) -> Iterator[Served]:
    """:func:`start_serve` for the ``with`` block; stopped on leaving it."""
    served = start_serve(data_dir, env, *more, lang=lang)
    try:
        yield served
    finally:
        served.stop()


def write_cert_and_key(cert: Any, key: Any, cert_path: Path, key_path: Path) -> tuple[Path, Path]:
    """A test certificate and its unencrypted private key (PKCS#8), written as PEM files."""
    from cryptography.hazmat.primitives import serialization

    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    plain = serialization.NoEncryption()
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, plain)
    )
    return cert_path, key_path


def wait_for_pause(path: Path, proc: subprocess.Popen[str], limit_s: float = 60) -> None:
    """Wait until a process run with COUNTER_APP_TEST_PAUSE_AFTER writes its marker file at the step."""
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the enrollment never reached the step"
        time.sleep(0.05)


@dataclass
class SKFStore:
    """A private store of the test-only SKF library (tests/skf): one test's USB keys."""

    module: str  # path of the compiled libskf_soft.so
    store: Path

    def insert(self, name: str = "usbkey0", **kw: object) -> Path:
        from tests.skf.build import insert_device

        return insert_device(self.store, name, **kw)  # type: ignore[arg-type]

    def pull(self, name: str = "usbkey0") -> None:
        from tests.skf.build import pull_device

        pull_device(self.store, name)


@pytest.fixture(scope="session")
def skf_library(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SKF test library, compiled once per test process into a temporary directory."""
    from tests.skf.build import build_library

    return str(build_library(tmp_path_factory.mktemp("skf-lib")))


@pytest.fixture(scope="session")
def skf_quirky_library(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SKF test library built to behave as some vendors' do (tests/skf/build.py, QUIRKY)."""
    from tests.skf.build import QUIRKY, build_library

    return str(build_library(tmp_path_factory.mktemp("skf-quirky"), QUIRKY))


@pytest.fixture
def skf(tmp_path: Path, skf_library: str, monkeypatch: pytest.MonkeyPatch) -> SKFStore:
    """A fresh SKF key store for this test (SKF_SOFT_STORE), no key inserted yet."""
    store = tmp_path / "skf-store"
    store.mkdir()
    monkeypatch.setenv("SKF_SOFT_STORE", str(store))
    return SKFStore(skf_library, store)
