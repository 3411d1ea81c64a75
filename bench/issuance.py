"""Issuance rate through ca/ (with the SQLite record and audit), beside raw figures of this run.

Each figure is the best of several interleaved rounds (this machine is shared; the best round is
the one least disturbed by other work), printed with the ratio to cryptography's raw builder
and to `openssl speed ecdsap256`, both measured in the same run. The "no database" line is the
same ca.issue with a repository that keeps nothing: the split between crypto/Python and storage.

``ca.issue_batch`` is the same issuance for a batch of requests (each checked, recorded before
any signature, audited one event each) with two commits a batch instead of two a certificate:
what the signing service does with the requests that arrive while it is busy.

Then the same on every core: one process per core (as `serve --workers` runs the signing
service), all issuing into the one SQLite file, beside the raw builder in as many processes and
`openssl speed -multi`.

Run: .venv/bin/python bench/issuance.py [N per round] [rounds]
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import bench_ca, bench_csr, without_store
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from counter_app.ca import SubjectInfo
from counter_app.ca.model import IssuedCertificate, IssueRequest

TARGET = 2_000
BATCH = 64  # as many as the signing service takes in one batch (server/est.py)


def openssl_speed(processes: int = 1) -> float:
    multi = ["-multi", str(processes)] if processes > 1 else []
    out = subprocess.run(
        ["openssl", "speed", *multi, "-seconds", "3", "ecdsap256"], capture_output=True, text=True
    ).stdout
    match = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)", out)
    if match is None:  # -multi prints a table of rates instead
        match = re.search(r"256 bits ecdsa \(nistp256\)\s+([\d.]+)", out)
    return float(match.group(1)) if match else float("nan")


def parallel_rate(processes: int, n: int, work: Callable[[], object], reset: Callable[[], None]):
    """Certificates/s of ``processes`` forked processes doing ``n`` each, started together."""
    context = mp.get_context("fork")
    start, done = context.Barrier(processes + 1), context.Queue()

    def child() -> None:
        reset()
        work()  # warm: connection, statements, caches
        start.wait()
        for _ in range(n):
            work()
        done.put(time.perf_counter())

    children = [context.Process(target=child) for _ in range(processes)]
    for proc in children:
        proc.start()
    start.wait()
    began = time.perf_counter()
    finished = max(done.get() for _ in children)
    for proc in children:
        proc.join()
    return processes * n / (finished - began)


def rate(n: int, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        work()
    return n / (time.perf_counter() - start)


def main(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ca, store = bench_ca(Path(tmp), "bench-Passphrase-1")
        bare = without_store(ca)
        key, csr = bench_csr()
        subject = SubjectInfo(common_name="Bench", organization="Bench Org")
        now = dt.datetime.now(dt.UTC)
        raw_builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(ca.keys.issuing.subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365))
        )
        issuing_key = ca.keys.issuing_key
        cores = os.cpu_count() or 1

        def issue() -> object:
            return ca.issue(IssueRequest(csr, subject, "individual"))

        def sign_raw() -> object:
            return raw_builder.sign(issuing_key, hashes.SHA256())

        def new_connections() -> None:
            store.engine.dispose(close=False)  # SQLAlchemy's advice after fork

        requests = [IssueRequest(csr, subject, "individual")] * BATCH
        if not all(isinstance(r, IssuedCertificate) for r in ca.issue_batch(requests)):
            raise SystemExit("issue_batch refused the bench's requests")

        def issue_batch() -> object:
            return ca.issue_batch(requests)

        names = ("ours", "batch", "bare", "raw", "ours*", "batch*", "raw*")
        runs: dict[str, list[float]] = {k: [] for k in names}
        for _ in range(rounds):
            runs["ours"].append(rate(n, issue))
            runs["batch"].append(rate(n // BATCH, issue_batch) * BATCH)
            runs["bare"].append(
                rate(n, lambda: bare.issue(IssueRequest(csr, subject, "individual")))
            )
            runs["raw"].append(rate(n, sign_raw))
            runs["ours*"].append(parallel_rate(cores, n, issue, new_connections))
            runs["batch*"].append(
                parallel_rate(cores, n // BATCH, issue_batch, new_connections) * BATCH
            )
            runs["raw*"].append(parallel_rate(cores, n, sign_raw, lambda: None))
        with store.engine.connect() as conn:
            stored = conn.exec_driver_sql(
                "SELECT count(*) FROM ca_certificates WHERE status = 'good'"
            ).scalar()
        store.close()
    speed, speed_all = openssl_speed(), openssl_speed(cores)
    ours, batch, bare, raw, ours_all, batch_all, raw_all = (max(runs[k]) for k in names)
    print(f"rounds: {rounds} x {n} certificates; best round shown; {stored:,} records stored")
    print("one process:")
    print(f"  ca.issue (P-256, SQLite record + audit): {ours:9,.0f} certificates/s")
    print(f"  ca.issue_batch, {BATCH} a batch (same record): {batch:9,.0f} certificates/s")
    print(f"  ca.issue, no database (crypto + Python): {bare:9,.0f} certificates/s")
    print(f"  cryptography raw CertificateBuilder.sign:{raw:9,.0f} certificates/s")
    print(f"  openssl speed ecdsap256:                 {speed:9,.0f} signs/s")
    print(f"  ratios: ours/raw builder {ours / raw:.1%}, ours/openssl {ours / speed:.1%}")
    print(f"          batch/raw builder {batch / raw:.1%}, batch/openssl {batch / speed:.1%}")
    print(f"{cores} processes (one per core of this machine), one SQLite file:")
    print(f"  ca.issue (P-256, SQLite record + audit): {ours_all:9,.0f} certificates/s")
    print(f"  ca.issue_batch, {BATCH} a batch:              {batch_all:9,.0f} certificates/s")
    print(f"  cryptography raw CertificateBuilder.sign:{raw_all:9,.0f} certificates/s")
    print(f"  openssl speed -multi {cores} ecdsap256:       {speed_all:9,.0f} signs/s")
    print(
        f"  ratios: ours/raw builder {ours_all / raw_all:.1%}, ours/openssl {ours_all / speed_all:.1%}"
    )
    print(f"          batch/raw builder {batch_all / raw_all:.1%}")
    for label, best in (
        ("one request at a time", max(ours, ours_all)),
        ("batched, as the signing service issues under load", max(batch, batch_all)),
    ):
        print(
            f"target >= {TARGET:,}/s, {label}: {best:,.0f}/s, "
            f"{'met' if best >= TARGET else 'NOT met'}"
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 2000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 5,
    )
