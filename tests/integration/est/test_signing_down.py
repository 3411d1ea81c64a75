"""A signing service that is down: one clear line, and no key without a certificate left on the
token (issue 9, item 4).

The counter is the real ``counter-app enroll --ca-url`` in a subprocess with a real SoftHSM
token; the token is judged afterwards by OpenSC's ``pkcs11-tool -O``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import CLIResult, wait_for_pause
from tests.integration.est.conftest import CLIENT_PASS, Pki, Service, start_service, stop
from tests.integration.services.conftest import USER_PIN, Counter, example

LABEL = "SUB1"


def _counter_env(pki: Pki) -> dict[str, str]:
    return {
        "COUNTER_APP_CA_CLIENT_CERT": str(pki.client_cert),
        "COUNTER_APP_CA_CLIENT_KEY": str(pki.client_key),
        "COUNTER_APP_CA_TRUST": str(pki.trust),
        "COUNTER_APP_CLIENT_KEY_PASSPHRASE": CLIENT_PASS,
        "COUNTER_APP_CA_PASSPHRASE": "",
    }


def _dead_url() -> str:
    """An https URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}"


def _app_file(counter: Counter) -> Path:
    path = counter.tmp / "app.json"
    path.write_text(json.dumps(example("individual"), ensure_ascii=False), encoding="utf-8")
    return path


def _private_keys(counter: Counter) -> int:
    listed = counter.softhsm.pkcs11_tool("--token-label", LABEL, "--login", "--pin", USER_PIN, "-O")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.count("Private Key Object")


def _assert_one_clear_line(
    returncode: int, stderr: str, url: str, *, rolled_back: bool = True
) -> None:
    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert f"the signing service at {url} cannot be reached" in lines[0], lines[0]
    assert ("rolled back" in lines[0]) is rolled_back, lines[0]


def _nothing_left_to_recover(counter: Counter) -> None:
    listed = counter.run("recover", "--list")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["interrupted"] == []
    assert counter.db("SELECT status FROM applications") == [("rolled_back",)]
    assert counter.run("audit", "verify").returncode == 0


def _enroll_paused_after_key(
    est_counter: Counter, est_template: Pki, url: str, marker: Path
) -> subprocess.Popen[str]:
    """`enroll --ca-url URL` run until the key is on the token, held there until ``marker`` goes."""
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("counter-app")), "--lang", "en",
            "--data-dir", str(est_counter.cli.data_dir), "--ca-url", url,
            "enroll", str(_app_file(est_counter)),
            "--module", est_counter.softhsm.module, "--token-label", LABEL,
        ],
        env={
            **est_counter.cli.env,
            **est_counter.env,
            **_counter_env(est_template),
            "COUNTER_APP_TEST_PAUSE_AFTER": "key_generated",
            "COUNTER_APP_TEST_PAUSE_FILE": str(marker),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    wait_for_pause(marker, proc)
    return proc


def test_enroll_with_nothing_listening_at_ca_url_is_one_line_and_leaves_no_key(
    est_counter: Counter, est_template: Pki
) -> None:
    est_counter.token(LABEL)
    url = _dead_url()
    result: CLIResult = est_counter.run(
        "--lang", "en", "--ca-url", url, "enroll", str(_app_file(est_counter)),
        "--module", est_counter.softhsm.module, "--token-label", LABEL,
        env=_counter_env(est_template),
    )  # fmt: skip
    # Refused by the pre-flight (issue 21), before any receipt: nothing to roll back.
    _assert_one_clear_line(result.returncode, result.stderr, url, rolled_back=False)
    assert _private_keys(est_counter) == 0
    assert est_counter.db("SELECT COUNT(*) FROM applications") == [(0,)]


def test_signing_service_stopped_after_the_key_is_made_is_one_line_and_leaves_no_key(
    est_counter: Counter, est_template: Pki
) -> None:
    est_counter.token(LABEL)
    service: Service = start_service(est_counter.cli.data_dir, est_template, est_counter.cli.env)
    marker = est_counter.tmp / "paused"
    try:
        proc = _enroll_paused_after_key(est_counter, est_template, service.url, marker)
        # The key is on the token now; the service goes away before the CSR reaches it.
        assert _private_keys(est_counter) == 1
    finally:
        assert "Traceback" not in stop(service)
    marker.unlink()
    _, err = proc.communicate(timeout=120)
    _assert_one_clear_line(proc.returncode, err, service.url)
    assert _private_keys(est_counter) == 0
    _nothing_left_to_recover(est_counter)


class LosingProxy:
    """A TCP relay in front of the service that, once told to, swallows the service's answers
    and hangs up (the service did the work; the counter never hears of it)."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.sent = 0  # bytes the counter has sent towards the service
        self.lose_answers = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._upstream))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upward: bool) -> None:
        try:
            while data := src.recv(65536):
                if not upward and self.lose_answers.is_set():
                    break
                dst.sendall(data)
                if upward:
                    self.sent += len(data)
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _wait_until_quiet(proxy: LosingProxy, baseline: int, limit_s: float = 60) -> None:
    """Until the counter has sent its request (a CSR and more) and then nothing for 0.5 s."""
    deadline, last, since = time.monotonic() + limit_s, proxy.sent, time.monotonic()
    while proxy.sent - baseline < 1000 or time.monotonic() - since < 0.5:
        assert time.monotonic() < deadline, "the counter never sent its request"
        time.sleep(0.05)
        if proxy.sent != last:
            last, since = proxy.sent, time.monotonic()


def test_answer_lost_after_issue_keeps_the_key_for_recover_which_revokes_and_deletes_it(
    est_counter: Counter, est_template: Pki
) -> None:
    est_counter.token(LABEL)
    service = start_service(est_counter.cli.data_dir, est_template, est_counter.cli.env)
    proxy = LosingProxy(int(service.url.rsplit(":", 1)[1]))
    proxy_url = f"https://127.0.0.1:{proxy.port}"
    marker = est_counter.tmp / "paused"
    try:
        proc = _enroll_paused_after_key(est_counter, est_template, proxy_url, marker)
        # The database is held so the service, once it has the CSR, waits before it issues.
        db = sqlite3.connect(est_counter.cli.data_dir / "counter.db", isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        baseline = proxy.sent
        marker.unlink()
        _wait_until_quiet(proxy, baseline)
        proxy.lose_answers.set()
        db.execute("ROLLBACK")
        db.close()
        _, err = proc.communicate(timeout=120)

        assert proc.returncode == 2, err
        assert "Traceback" not in err
        *logged, message = err.strip().splitlines()
        # The clerk's message is one line; above it at most the log's warnings (-v shows more).
        assert all(" WARNING " in line for line in logged), logged
        assert f"the signing service at {proxy_url} cannot be reached" in message, message
        assert "counter-app recover" in message and ".." not in message, message
        # Issued, but the counter could not revoke it: the key stays, the journal says so.
        issued = est_counter.db("SELECT serial_hex, status FROM ca_certificates")
        assert [status for _, status in issued] == ["good"]
        assert _private_keys(est_counter) == 1
        listed = json.loads(est_counter.run("recover", "--list").stdout)["interrupted"]
        assert [i["step"] for i in listed] == ["key_generated"]

        # The documented path, with the service reachable again: recover rolls it back.
        recovered = est_counter.run(
            "--ca-url", service.url, "recover", "--module", est_counter.softhsm.module,
            env=_counter_env(est_template),
        )  # fmt: skip
        assert recovered.returncode == 0, recovered.stdout + recovered.stderr
        outcomes = json.loads(recovered.stdout)["outcomes"]
        assert [o["result"] for o in outcomes] == ["rolled_back"]
    finally:
        proxy.close()
        assert "Traceback" not in stop(service)
    assert _private_keys(est_counter) == 0
    assert est_counter.db("SELECT status FROM ca_certificates") == [("revoked",)]
    _nothing_left_to_recover(est_counter)
