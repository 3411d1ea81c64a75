"""OCSP responses/s over loopback HTTP: `counter-app serve` beside OpenSSL's own responder.

Both answer the same certificates (issued by ca/, a few revoked) from the same issuing CA and
the same delegated responder key; `ab` (apache2-utils, a compiled client in its own process)
POSTs the same DER request (no nonce, as browsers and most clients send) to each, in the same
run, alternately, and the best round of each is printed with its p99 latency. ab opens a new
connection per request (no -k), as OpenSSL's responder closes after each answer; a second pair of
line repeats ours with keep-alive (ab -k; ab gives up on OpenSSL's responder with -k: it answers
HTTP/1.0 and closes, which ab's keep-alive mode counts as errors and stops at).
(ab counts responses of differing length as "Failed requests"; they are not failures: the
producedAt/thisUpdate times differ between signatures.)

Run: .venv/bin/python bench/ocsp.py [requests per round] [concurrency] [workers] [rounds]
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import bench_ca, bench_csr, openssl_ocsp
from cryptography.hazmat.primitives import serialization

from counter_app.ca import CAFiles, IssueRequest, RevocationReason, SubjectInfo

PASSPHRASE = "bench-Passphrase-1"
BIN = Path(sys.executable).parent
TARGET_RATIO = 1.5  # issue 19: at least 1.5x OpenSSL's responder in the same run (goal 2x)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def openssl_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%y%m%d%H%M%SZ")


def make_ca(data_dir: Path, count: int) -> tuple[CAFiles, list[Path], str]:
    """A CA with ``count`` leaves (every fifth revoked); returns files, leaf PEMs, index.txt."""
    ca, store = bench_ca(data_dir, PASSPHRASE)
    files = CAFiles.in_data_dir(data_dir)
    _, csr = bench_csr()
    leaves, index = [], []
    for i in range(count):
        issued = ca.issue(IssueRequest(csr, SubjectInfo(common_name=f"Bench {i}"), "individual"))
        path = data_dir / f"leaf{i}.pem"
        path.write_bytes(issued.certificate.public_bytes(serialization.Encoding.PEM))
        leaves.append(path)
        status, revoked = "V", ""
        if i % 5 == 4:
            record = ca.revoke(issued.serial_hex, RevocationReason.KEY_COMPROMISE, operator="b")
            assert record.revoked_at is not None
            status, revoked = "R", f"{openssl_time(record.revoked_at)},keyCompromise"
        subject = "/" + "/".join(
            f"{a.rfc4514_attribute_name}={a.value}" for a in issued.certificate.subject
        )
        index.append(
            f"{status}\t{openssl_time(issued.not_after)}\t{revoked}\t"
            f"{issued.serial_hex}\tunknown\t{subject}\n"
        )
    store.close()
    return files, leaves, "".join(index)


def ocsp_request(files: CAFiles, leaf: Path, out: Path) -> None:
    openssl_ocsp(files.cert("issuing"), leaf, "-reqout", str(out), check=True)


def ab(
    url: str, body: Path, n: int, concurrency: int, keep_alive: bool = False
) -> tuple[float, float, int]:
    """(requests/s, p99 ms, non-2xx responses) from one ab run."""
    out = subprocess.run(
        [
            "ab",
            *(["-k"] if keep_alive else []),
            "-r",  # count a reset connection instead of stopping (OpenSSL's, on a busy machine)
            "-q",
            "-n",
            str(n),
            "-c",
            str(concurrency),
            "-p",
            str(body),
            "-T",
            "application/ocsp-request",
            url,
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"ab {url}: {out.stderr.strip()[-300:]}")
    text = out.stdout
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p99 = float(re.search(r"^\s+99%\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", text)
    # Length mismatches are not failures (see above); connect/receive errors and exceptions are.
    errors = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", text)
    failed = sum(int(g) for g in errors.groups()) if errors else 0
    return rps, p99, (int(non2xx.group(1)) if non2xx else 0) + failed


def check_answer(url: str, files: CAFiles, leaf: Path, expect: str) -> None:
    """openssl ocsp as the client: the server answers this certificate as expected."""
    out = openssl_ocsp(
        files.cert("issuing"), leaf, "-CAfile", str(files.cert("root")), "-url", url, timeout=30
    )
    assert f": {expect}" in out.stdout, (url, out.stdout, out.stderr)


def main(n: int, concurrency: int, workers: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        files, leaves, index = make_ca(data_dir, 20)
        (Path(tmp) / "index.txt").write_text(index)
        good_req, revoked_req = Path(tmp) / "good.der", Path(tmp) / "revoked.der"
        ocsp_request(files, leaves[0], good_req)
        ocsp_request(files, leaves[4], revoked_req)
        env = {**os.environ, "COUNTER_APP_CA_PASSPHRASE": PASSPHRASE, "BENCH_PASS": PASSPHRASE}
        ours = subprocess.Popen(
            [
                str(BIN / "counter-app"),
                "--data-dir",
                str(data_dir),
                "serve",
                "--port",
                "0",
                "--workers",
                str(workers),
            ],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert ours.stderr is not None
        match = re.search(r"serving on (http://\S+)", ours.stderr.readline())
        assert match, "counter-app serve did not start"
        ours_url = match.group(1) + "/ocsp"
        port = free_port()
        peer_log = Path(tmp) / "openssl-ocsp.log"
        peer = subprocess.Popen(
            [
                "openssl", "ocsp", "-index", str(Path(tmp) / "index.txt"), "-port", str(port),
                "-rsigner", str(files.cert("ocsp")), "-rkey", str(files.key("ocsp")),
                "-passin", "env:BENCH_PASS", "-CA", str(files.cert("issuing")), "-ndays", "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=peer_log.open("w"),
        )  # fmt: skip
        # Wait for its ACCEPT line: a probing connect that sends nothing stalls this responder.
        deadline = time.monotonic() + 20
        while "ACCEPT" not in peer_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        peer_url = f"http://127.0.0.1:{port}/"
        try:
            wait_for_port(int(ours_url.split(":")[2].split("/")[0]))
            for url in (ours_url, peer_url):
                check_answer(url, files, leaves[0], "good")
                check_answer(url, files, leaves[4], "revoked")
            results: dict[str, list[tuple[float, float, int]]] = {
                "ours": [], "openssl": [], "ours-k": []
            }  # fmt: skip
            for _ in range(rounds):
                results["ours"].append(ab(ours_url, good_req, n, concurrency))
                results["openssl"].append(ab(peer_url, good_req, n, concurrency))
            for _ in range(rounds):
                results["ours-k"].append(ab(ours_url, good_req, n, concurrency, True))
            revoked_run = ab(ours_url, revoked_req, n, concurrency)
        finally:
            for proc in (ours, peer):
                proc.terminate()
                proc.wait(timeout=10)
    print(f"ab -n {n} -c {concurrency}, new connection per request, best of {rounds} rounds")
    for name, label in (
        ("ours", f"counter-app serve --workers {workers}"),
        ("openssl", "openssl ocsp -index -port (1 process)"),
        ("ours-k", f"counter-app serve --workers {workers}, ab -k"),
    ):
        rps, p99, non2xx = max(results[name])
        print(f"  {label:40s} {rps:9,.0f} requests/s  p99 {p99:4.0f} ms  errors {non2xx}")
    best, peer_best = max(results["ours"])[0], max(results["openssl"])[0]
    print(
        f"  counter-app, a revoked certificate        {revoked_run[0]:9,.0f} requests/s  "
        f"p99 {revoked_run[1]:4.0f} ms"
    )
    print(
        f"ratio ours/openssl (same run, new connections): {best / peer_best:.2f}; "
        f"target: at least {TARGET_RATIO}, p99 under 5 ms"
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    # One worker by default: on a two-core machine ab itself needs the other core (with two
    # workers all three compete, and both responders measure lower).
    defaults = [20_000, 8, 1, 3]
    main(*(args + defaults[len(args) :]))
