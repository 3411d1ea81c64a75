"""Verbs of the key management centre: ``kmc recover SERIAL`` (密钥恢复).

The supervisor signs in (COUNTER_APP_SUPERVISOR / _PASSWORD), the second person approves
(COUNTER_APP_REVIEWER / _PASSWORD), the subscriber's document number is given with --identity,
and the KMC key opens with COUNTER_APP_CA_PASSPHRASE; never a secret on the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from counter_app.cli.ca import _load_csr, _reserve_output
from counter_app.cli.context import AppContext, read_secret
from counter_app.cli.options import EXISTING_FILE, identity_option, out_option, pass_app


@click.group("kmc")
def kmc_group() -> None:
    """The key management centre (密钥管理中心) of SM2 dual certificates."""


@kmc_group.command("recover")
@click.argument("serial")
@click.option(
    "--csr",
    "csr_path",
    type=EXISTING_FILE,
    required=True,
    help="SM2 CSR signed on the new token with its signing key.",
)
@identity_option
@out_option(
    "Where to write the GM/T 0016 ENVELOPEDKEYBLOB for SKF_ImportECCKeyPair.", required=True
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def kmc_recover(
    app: AppContext,
    serial: str,
    csr_path: Path,
    identity: str | None,
    out: Path,
    as_json: bool,
) -> None:
    """Restore the escrowed encryption key of certificate SERIAL onto a new token."""
    from counter_app.ca.sm2 import SM2PrivateKey
    from counter_app.cli.ca import signed_in_officers
    from counter_app.kmc import KeyManagementCentre, KMCFiles
    from counter_app.services.key_recovery import RecoveryRequest, recover_key

    kmc = KeyManagementCentre(KMCFiles.in_data_dir(app.config.data_dir))
    csr = _load_csr(csr_path)
    store = app.store()
    officers = signed_in_officers(app)

    def open_kmc_key() -> SM2PrivateKey:
        return kmc.open_key(read_secret("COUNTER_APP_CA_PASSPHRASE"))

    tmp = _reserve_output(out)
    try:
        recovered = recover_key(
            store,
            kmc,
            RecoveryRequest(serial, csr, identity),
            officers,
            open_kmc_key,
        )
        tmp.write_bytes(recovered.envelope)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    if as_json:
        click.echo(json.dumps(recovered.to_json()))
    else:
        click.echo(
            f"{recovered.serial}: key {recovered.key_id} enveloped for the new token in {out}"
        )


def register(group: click.Group) -> None:
    group.add_command(kmc_group)
