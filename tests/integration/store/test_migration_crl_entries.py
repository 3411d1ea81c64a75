"""Migration 0006 on a store that already holds revocations: each gets its kept CRL entry."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from counter_app.ca.crl import encode_entry
from counter_app.store.db import _alembic_config, open_store


def test_upgrade_keeps_the_entries_of_certificates_already_revoked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    command.upgrade(_alembic_config(engine), "0005")
    with engine.begin() as conn:
        for serial, status, epoch, reason in (
            ("4A" * 16, "revoked", 1_780_000_000, "key-compromise"),
            ("5B" * 16, "hold", 1_780_000_100, "certificate-hold"),
            ("6C" * 16, "good", None, None),
        ):
            conn.execute(
                text(
                    "INSERT INTO ca_certificates (serial_hex, subject, profile, status, not_before,"
                    " not_after, tbs_der, created_at, revoked_epoch, reason) VALUES (:s, 'CN=x',"
                    " 'individual', :st, '2026-01-01 00:00:00.000000', '2027-01-01 00:00:00.000000',"
                    " x'', '2026-01-01 00:00:00.000000', :e, :r)"
                ),
                {"s": serial, "st": status, "e": epoch, "r": reason},
            )
    engine.dispose()
    store = open_store(url)  # migrates to the newest revision
    try:
        with store.engine.connect() as conn:
            kept = dict(
                conn.execute(text("SELECT serial_hex, crl_entry FROM ca_certificates")).all()
            )
    finally:
        store.close()
    assert kept["4A" * 16] == encode_entry("4A" * 16, 1_780_000_000, "key-compromise")
    assert kept["5B" * 16] == encode_entry("5B" * 16, 1_780_000_100, "certificate-hold")
    assert kept["6C" * 16] is None
