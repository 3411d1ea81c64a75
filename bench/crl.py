"""CRL of 1,000,000 revoked entries: read from the database, build and sign (target < 2 s).

The rows are inserted first (not timed), each with a TBS and a certificate of realistic size
(700 + 900 random octets: a read that touches the certificate rows pays for them, as on a
real store) and its kept CRL entry, as the signing module writes it on revocation. Then, timed,
in the same run:

- **kept entries** (the signing module's path): the repository's full snapshot (CRL number +
  every kept entry, concatenated by the database from its covering index, in one
  transaction) and ``build_crl`` (template signed by cryptography, list spliced, TBS hashed in
  pieces and signed);
- **row by row** (the path before the entries were kept, for comparison): every (serial,
  epoch, reason) row on hold or revoked read as tuples, encoded in Python, then the same build;
- **cryptography's builder** (the peer): one RevokedCertificate object per row (the rows of
  the previous read), the whole list passed to the constructor, signed.

Then the steady state: after a few status changes (10 releases and revocations), the next CRL
is made from the newest stored one (its list less the changed serials, plus their current
entries) without reading the million rows: ``publish_crl`` timed end to end.

Run: .venv/bin/python bench/crl.py [entries]
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys
import tempfile
import time
from pathlib import Path

from benchlib import bench_ca
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from counter_app.ca import RevocationReason
from counter_app.ca.crl import build_crl, encode_entry, revoked_contents
from counter_app.store.certificates import SQLCertificateRepository

TARGET_SECONDS = 2.0
CHANGES = 10
PASSPHRASE = "bench-Passphrase-1"
REASONS = [r.value for r in RevocationReason if r is not RevocationReason.CERTIFICATE_HOLD]


def serial_hex() -> str:
    # As ca/ makes them: 16 random octets, top bit clear, next bit set.
    return f"{(secrets.randbits(128) & ~(1 << 127)) | (1 << 126):032X}"


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        ca, store = bench_ca(Path(tmp), PASSPHRASE, now=now)
        start = time.perf_counter()
        base = int(now.timestamp()) - 86_400 * 30
        # Generated inside SQLite (one INSERT ... SELECT over a counter): a Python loop of
        # a million parameter sets took over a minute here. Serials as ca/ makes them: 16
        # octets, first hex digit 4..7; every tenth entry on hold, the rest revoked. The kept
        # entries are then encoded in Python (as revocation does) and written in one pass.
        reasons = ",".join(f'"{r}"' for r in REASONS)
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                f"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n - 1}),
                reasons(k, r) AS (SELECT key, value FROM json_each('[{reasons}]'))
                INSERT INTO ca_certificates (serial_hex, subject, profile, application_id, status,
                    not_before, not_after, tbs_der, der, created_at, revoked_at, revoked_epoch,
                    reason)
                SELECT substr('4567', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(16)), 2),
                    'CN=Bench', 'individual', NULL,
                    CASE WHEN i % 10 = 0 THEN 'hold' ELSE 'revoked' END,
                    '{now:%Y-%m-%d %H:%M:%S}.000000', '{now:%Y-%m-%d %H:%M:%S}.000000',
                    randomblob(700), randomblob(900),
                    '{now:%Y-%m-%d %H:%M:%S}.000000',
                    datetime({base} + i * 7 % 2592000, 'unixepoch') || '.000000',
                    {base} + i * 7 % 2592000,
                    CASE WHEN i % 10 = 0 THEN 'certificate-hold'
                         ELSE (SELECT r FROM reasons WHERE k = i % {len(REASONS)}) END
                FROM n
                """
            )
            rows = conn.exec_driver_sql(
                "SELECT serial_hex, revoked_epoch, reason FROM ca_certificates"
            ).all()
            conn.exec_driver_sql("CREATE TEMP TABLE kept (serial_hex TEXT PRIMARY KEY, e BLOB)")
            conn.exec_driver_sql(
                "INSERT INTO kept VALUES (?, ?)",
                [(serial, encode_entry(serial, epoch, reason)) for serial, epoch, reason in rows],
            )
            conn.exec_driver_sql(
                "UPDATE ca_certificates SET crl_entry = kept.e FROM kept"
                " WHERE kept.serial_hex = ca_certificates.serial_hex"
            )
            del rows
        print(f"inserted {n:,} revoked entries in {time.perf_counter() - start:.1f} s (not timed)")

        repo = SQLCertificateRepository(store)
        t0 = time.perf_counter()
        snapshot = repo.crl_snapshot(full=True)
        t1 = time.perf_counter()
        assert not snapshot.entries, "the kept entries were not used"
        crl = build_crl(
            issuer=ca.keys.issuing,
            key=ca.keys.issuing_key,
            number=snapshot.number,
            entries=snapshot.entries,
            this_update=now,
            encoded=snapshot.encoded,
        )
        t2 = time.perf_counter()
        parsed = x509.load_der_x509_crl(crl.der)
        assert len(parsed) == n and parsed.is_signature_valid(ca.keys.issuing.public_key())  # type: ignore[arg-type]
        del parsed
        # Row by row, as before the entries were kept: the same statement the repository ran.
        r0 = time.perf_counter()
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT serial_hex, revoked_epoch, reason FROM ca_certificates"
                " WHERE status IN ('hold', 'revoked')"
            ).all()
        r1 = time.perf_counter()
        old_crl = build_crl(
            issuer=ca.keys.issuing,
            key=ca.keys.issuing_key,
            number=snapshot.number,
            entries=rows,  # type: ignore[arg-type]
            this_update=now,
        )
        r2 = time.perf_counter()
        assert len(revoked_contents(old_crl.der)) == len(revoked_contents(crl.der))
        del old_crl
        t3 = time.perf_counter()
        ca.publish_crl(operator="bench")  # the whole path once more, stored and published
        t4 = time.perf_counter()
        # A few status changes, then the next CRL from this one (not timed: the changes).
        with store.engine.connect() as conn:
            held = list(
                conn.exec_driver_sql(
                    f"SELECT serial_hex FROM ca_certificates WHERE status = 'hold' LIMIT {CHANGES}"
                ).scalars()
            )
        for serial in held:
            ca.release(serial, operator="bench")
        i0 = time.perf_counter()
        delta = repo.crl_snapshot()
        i1 = time.perf_counter()
        assert delta.base is not None, "the delta path was not taken"
        ca._build_crl(delta)
        i2 = time.perf_counter()
        incremental = ca.publish_crl(operator="bench")
        i3 = time.perf_counter()
        assert len(x509.load_der_x509_crl(incremental.der)) == n - CHANGES

        # Peer: cryptography's builder on the same entries, whole list to the constructor.
        build = x509.RevokedCertificateBuilder
        reason_ext = {
            r.value: []
            if r is RevocationReason.UNSPECIFIED
            else [x509.Extension(x509.CRLReason.oid, False, x509.CRLReason(r.flag))]
            for r in RevocationReason
        }
        p0 = time.perf_counter()
        times: dict[int, dt.datetime] = {}
        revoked_list = [
            build(
                int(s, 16),
                times.get(e) or times.setdefault(e, dt.datetime.fromtimestamp(e, dt.UTC)),
                reason_ext[r or "unspecified"],
            ).build()
            for s, e, r in rows
        ]
        p1 = time.perf_counter()
        x509.CertificateRevocationListBuilder(
            issuer_name=ca.keys.issuing.subject,
            last_update=now,
            next_update=now + dt.timedelta(days=7),
            revoked_certificates=revoked_list,
        ).sign(ca.keys.issuing_key, hashes.SHA256())
        p2 = time.perf_counter()
        store.close()

    total = t2 - t0
    peer = (p2 - p0) + (r1 - r0)
    print(f"CRL of {n:,} entries, {len(crl.der) / 1e6:.1f} MB DER; full CRL, same run:")
    print(f"{'':28s} {'read':>6s} {'build+sign':>11s} {'total':>6s}  vs kept entries")
    print(
        f"  {'kept entries (ours)':26s} {t1 - t0:6.2f} {t2 - t1:11.2f} {total:6.2f}"
        f"  1.00   target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'NOT met'}"
    )
    print(
        f"  {'row by row (before)':26s} {r1 - r0:6.2f} {r2 - r1:11.2f} {r2 - r0:6.2f}"
        f"  {(r2 - r0) / total:4.2f}x"
    )
    print(
        f"  {'cryptography builder':26s} {r1 - r0:6.2f} {p2 - p0:11.2f} {peer:6.2f}"
        f"  {peer / total:4.2f}x   (objects {p1 - p0:.2f} s, sign {p2 - p1:.2f} s)"
    )
    print(
        f"  publish_crl end to end (read, build, sign, store in DB + file, audit): {t4 - t3:.2f} s"
    )
    print(f"next CRL after {CHANGES} releases, made from the newest stored CRL:")
    print(f"  read newest CRL + changes: {i1 - i0:6.2f} s")
    print(f"  build + sign:              {i2 - i1:6.2f} s")
    print(
        f"  total (read+build+sign):   {i2 - i0:6.2f} s   target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if i2 - i0 < TARGET_SECONDS else 'NOT met'}"
    )
    print(f"  publish_crl end to end (incl. store in DB + file, audit): {i3 - i2:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
