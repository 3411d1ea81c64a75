"""The key management centre (密钥管理中心, KMC) of GM/T 0014 dual certificates.

It makes the subscriber's SM2 *encryption* key pair, keeps the private key escrowed, and hands
it to the token only inside a GM/T 0016 envelope (:mod:`counter_app.kmc.envelope`).

Layout of ``<data dir>/kmc/`` (0700, made by ``ca init --algorithm sm2``):

* ``kmc.key.pem``: the KMC's own SM2 key, PKCS#8 encrypted with the CA passphrase exactly like
  the CA keys (``ca/keys.py``); ``kmc.pub.pem``: its public key.
* ``escrow/<key id>.json`` (0600): one escrowed key: its public point and its private scalar
  SM2-encrypted (GM/T 0003.4) to the KMC's public key. Escrowing needs only the public key, so
  issuing never opens the KMC key; recovering does (the passphrase, and the policy's people).
* ``serials/<serial>.json`` (0600): which escrowed key a certificate belongs to, and its partner
  in the pair (the signing certificate for an encryption one and back).

A key is escrowed before its certificate is signed: a crash in between leaves a key nobody
holds, never a certificate whose key is lost. Nothing here is ever in clear on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem as asn1_pem

from counter_app.ca.errors import CAError
from counter_app.ca.keys import read_encrypted_key, write_encrypted_key
from counter_app.ca.sm2 import COORDINATE, RawCiphertext, SM2PrivateKey, SM2PublicKey
from counter_app.datadir import DataDirPart, InDirectory
from counter_app.domain.errors import CounterError
from counter_app.filemodes import make_private_dir
from counter_app.kmc.envelope import seal

log = logging.getLogger(__name__)


class KMCNotInitialised(CounterError):
    code = "kmc_not_initialised"
    zh = "密钥管理中心未初始化（{where}）：请用 counter-app ca init --algorithm sm2 建立SM2签发模块"
    en = (
        "the key management centre is not set up ({where}): run counter-app ca init --algorithm sm2"
    )


class NotEscrowed(CounterError):
    code = "not_escrowed"
    zh = "证书 {serial} 没有托管的加密密钥（不是本密钥管理中心签发的SM2加密证书）"
    en = "certificate {serial} has no escrowed encryption key (not an SM2 encryption certificate of this KMC)"


@dataclass(frozen=True)
class EscrowRecord:
    key_id: str  # upper-case hex SHA-1 of the public point (the certificate's SKI)
    public_point: bytes
    escrowed: RawCiphertext  # the 32-octet scalar, SM2-encrypted to the KMC key
    application_id: str | None
    created_at: str

    def to_json(self) -> str:
        c = self.escrowed
        return json.dumps(
            {
                "key_id": self.key_id,
                "public_point": self.public_point.hex(),
                "escrowed": {
                    "x": c.x.hex(),
                    "y": c.y.hex(),
                    "hash": c.hash.hex(),
                    "ciphertext": c.ciphertext.hex(),
                },
                "application_id": self.application_id,
                "created_at": self.created_at,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> EscrowRecord:
        data = json.loads(text)
        e = data["escrowed"]
        return cls(
            key_id=data["key_id"],
            public_point=bytes.fromhex(data["public_point"]),
            escrowed=RawCiphertext(
                bytes.fromhex(e["x"]),
                bytes.fromhex(e["y"]),
                bytes.fromhex(e["hash"]),
                bytes.fromhex(e["ciphertext"]),
            ),
            application_id=data.get("application_id"),
            created_at=data["created_at"],
        )


@dataclass(frozen=True)
class SerialLink:
    serial: str
    role: str  # "signing" | "encryption"
    key_id: str  # the escrowed encryption key of the pair
    partner: str | None  # the other certificate of the pair


class KMCFiles(DataDirPart):
    part = "kmc"
    key = InDirectory("kmc.key.pem")
    public = InDirectory("kmc.pub.pem")

    def escrow(self, key_id: str) -> Path:
        return self.directory / "escrow" / f"{key_id}.json"

    def link(self, serial: str) -> Path:
        return self.directory / "serials" / f"{serial.upper()}.json"

    def exists(self) -> bool:
        return self.public.exists()

    def require(self) -> None:
        if not self.exists():
            raise KMCNotInitialised(where=str(self.directory))


def _write_new(path: Path, text: str) -> None:
    """A new 0600 file, never overwriting: escrow and links are facts of their time."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def init_kmc(files: KMCFiles, passphrase: str) -> SM2PublicKey:
    """Make the KMC's own SM2 key (encrypted with ``passphrase``) and its directories."""
    if files.exists():
        raise CAError(detail=f"a KMC already exists in {files.directory}")
    make_private_dir(files.directory)
    for sub in ("escrow", "serials"):
        make_private_dir(files.directory / sub)
    key = SM2PrivateKey.generate()
    write_encrypted_key(files.key, key, passphrase)
    # The public key last: its presence is what "initialised" means.
    files.public.write_bytes(asn1_pem.armor("PUBLIC KEY", key.public_key().spki_der()))
    return key.public_key()


class KeyManagementCentre:
    """Make, escrow, envelope and recover SM2 encryption keys."""

    def __init__(
        self, files: KMCFiles, *, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        files.require()
        self.files = files
        _, _, der = asn1_pem.unarmor(files.public.read_bytes())
        self.public_key = SM2PublicKey.from_spki(der)
        self._clock = clock

    # Issuance -------------------------------------------------------------------------------

    @staticmethod
    def new_key_pair() -> SM2PrivateKey:
        return SM2PrivateKey.generate()

    def escrow(self, key: SM2PrivateKey, *, application_id: str | None) -> EscrowRecord:
        """Keep ``key`` encrypted to the KMC's key; returns the record (its id is the SKI)."""
        point = key.public_key().point
        record = EscrowRecord(
            key_id=key.public_key().key_identifier().hex().upper(),
            public_point=point,
            escrowed=self.public_key.encrypt(key.scalar().to_bytes(COORDINATE, "big")),
            application_id=application_id,
            created_at=self._clock().isoformat(timespec="seconds"),
        )
        _write_new(self.files.escrow(record.key_id), record.to_json())
        log.debug("escrowed encryption key %s", record.key_id)
        return record

    def link_pair(self, *, key_id: str, signing_serial: str, encryption_serial: str) -> None:
        """Record that the two certificates are one pair around the escrowed key ``key_id``."""
        self._link(SerialLink(encryption_serial, "encryption", key_id, signing_serial))
        self._link(SerialLink(signing_serial, "signing", key_id, encryption_serial))

    def _link(self, link: SerialLink) -> None:
        text = json.dumps(
            {
                "serial": link.serial.upper(),
                "role": link.role,
                "key_id": link.key_id,
                "partner": link.partner.upper() if link.partner else None,
            },
            sort_keys=True,
        )
        _write_new(self.files.link(link.serial), text)

    @staticmethod
    def envelope(key: SM2PrivateKey, signing_key: SM2PublicKey) -> bytes:
        """The ENVELOPEDKEYBLOB for the token whose signing key is ``signing_key``."""
        return seal(key, signing_key)

    # Look-ups -------------------------------------------------------------------------------

    def link(self, serial: str) -> SerialLink | None:
        path = self.files.link(serial)
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return SerialLink(data["serial"], data["role"], data["key_id"], data.get("partner"))

    def partner(self, serial: str) -> str | None:
        """The other certificate of ``serial``'s pair, if it has one."""
        link = self.link(serial)
        return link.partner if link is not None else None

    def record(self, encryption_serial: str) -> EscrowRecord:
        link = self.link(encryption_serial)
        if link is None or link.role != "encryption":
            raise NotEscrowed(serial=encryption_serial.upper())
        return EscrowRecord.from_json(self.files.escrow(link.key_id).read_text(encoding="utf-8"))

    # Recovery -------------------------------------------------------------------------------

    def open_key(self, passphrase: str) -> SM2PrivateKey:
        key = read_encrypted_key(self.files.key, passphrase)
        if not isinstance(key, SM2PrivateKey) or key.public_key() != self.public_key:
            raise CAError(detail=f"{self.files.key} is not this KMC's key")
        return key

    def recover(
        self, encryption_serial: str, signing_key: SM2PublicKey, kmc_key: SM2PrivateKey
    ) -> bytes:
        """A new envelope of the escrowed key of ``encryption_serial`` for a new token whose
        signing key is ``signing_key`` (密钥恢复). The caller has authorised it."""
        record = self.record(encryption_serial)
        scalar = kmc_key.decrypt(record.escrowed)
        key = SM2PrivateKey.from_scalar(int.from_bytes(scalar, "big"))
        if key.public_key().point != record.public_point:
            raise CAError(detail=f"escrow {record.key_id} does not hold the key it names")
        return seal(key, signing_key)
