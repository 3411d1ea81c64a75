"""Opening the signing module is a custodian's act (签发模块由保管人开启; issue 15, item 7).

Without custody the CA keys open with the CA passphrase, and whoever opens the counter types it.
``counter-app ca custody init`` takes that knowledge away from everyone:

1. a random 32-byte module secret is made, and the online CA keys (issuing, OCSP responder,
   and the root if it is online) are encrypted again under a passphrase derived from it; the
   old CA passphrase opens nothing any more;
2. the secret is split M of N with Shamir's scheme (SLIP-39, the ``shamir-mnemonic`` library
   Trezor keeps), one share per custodian;
3. each share is stored in ``ca/custody/NAME.share.age`` (0600), encrypted (age, scrypt) under
   that custodian's own passphrase, which only they know.

Opening for the day: M custodians (active operators with a custodian role, checked by the
policy as they act) each give their name and passphrase; their shares rebuild the secret in
this process only, the keys open, and the audit names the custodians. Clerks then work in that
session (the GUI) or against a signing service the custodians started (``est serve``), and never
see anything that opens the keys. The counter-client CA key (``est/``) stays under the CA
passphrase: it only vouches for counters, and ``est`` verbs are the signing host's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import shamir_mnemonic  # type: ignore[import-untyped]
from pyrage import passphrase as age_passphrase  # type: ignore[import-untyped]

from counter_app.ca.hierarchy import CAFiles
from counter_app.ca.keys import check_ca_passphrase, encrypt_pkcs8, read_encrypted_key
from counter_app.domain.errors import CounterError
from counter_app.domain.policy import Person, check_custodians
from counter_app.services.operators import OperatorInfo
from counter_app.store import audit
from counter_app.store.db import Store
from counter_app.store.operator_repo import OperatorRows

SECRET_BYTES = 32
CHECK_CONTEXT = b"counter-app custody v1"


class CustodyError(CounterError):
    code = "custody"
    zh = "保管设置错误：{detail}"
    en = "custody: {detail}"


class WrongCustodianPassphrase(CounterError):
    code = "wrong_custodian_passphrase"
    zh = "保管人 {name} 的口令错误"
    en = "wrong passphrase for custodian {name}"


class NotACustodian(CounterError):
    code = "not_a_custodian"
    zh = "{name} 不是签发模块的保管人"
    en = "{name} is not a custodian of the signing module"


@dataclass(frozen=True)
class Custody:
    """``ca/custody.toml``: who holds shares and how many open the module."""

    threshold: int
    custodians: tuple[str, ...]
    check: str  # HMAC of the module secret: a wrong combination is named before any key is tried

    @staticmethod
    def path(files: CAFiles) -> Path:
        return files.directory / "custody.toml"

    @staticmethod
    def share_path(files: CAFiles, name: str) -> Path:
        return files.directory / "custody" / f"{_file_name(name)}.share.age"

    @classmethod
    def load(cls, files: CAFiles) -> Custody | None:
        path = cls.path(files)
        if not path.exists():
            return None
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(int(data["threshold"]), tuple(data["custodians"]), str(data["check"]))

    def to_toml(self) -> str:
        names = ", ".join(f'"{n}"' for n in self.custodians)
        return (
            "# Written by `counter-app ca custody init`; no secret is kept here.\n"
            f'threshold = {self.threshold}\ncustodians = [{names}]\ncheck = "{self.check}"\n'
        )


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def module_passphrase(secret: bytes) -> str:
    """What the CA keys are encrypted under once custody is set up (never shown to anyone)."""
    return base64.urlsafe_b64encode(secret).decode("ascii")


def _check_value(secret: bytes) -> str:
    return hmac.new(secret, CHECK_CONTEXT, hashlib.sha256).hexdigest()


def custody_of(files: CAFiles) -> Custody | None:
    return Custody.load(files)


def _people(store: Store, names: Sequence[str]) -> list[Person]:
    with store.session() as session:
        found = []
        for name in names:
            row = OperatorRows(session).by_name(name)
            if row is None:
                raise NotACustodian(name=name)
            found.append(Person(row.name, OperatorInfo.of(row).role, row.active))
        return found


def init_custody(
    files: CAFiles,
    store: Store,
    *,
    ca_passphrase: str,
    custodians: dict[str, str],
    threshold: int,
    operator: str,
) -> Custody:
    """Split the module M of N among ``custodians`` (name -> their own passphrase)."""
    if Custody.load(files) is not None:
        raise CustodyError(detail="custody is already set up for this signing module")
    if not 1 <= threshold <= len(custodians):
        raise CustodyError(detail=f"threshold {threshold} must be 1..{len(custodians)}")
    check_custodians(_people(store, list(custodians)), len(custodians))
    for own in custodians.values():
        check_ca_passphrase(own)  # the same 12-character floor as the CA passphrase
    if files.load_settings().key_storage == "hsm":
        raise CustodyError(detail="the CA keys are in an HSM: its PIN policy decides who opens it")
    roles = [r for r in files.roles() if files.key(r).exists()]  # every issuer's (rollover)
    keys = {role: read_encrypted_key(files.key(role), ca_passphrase) for role in roles}
    secret = secrets.token_bytes(SECRET_BYTES)
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, len(custodians))], secret)
    custody = Custody(threshold, tuple(custodians), _check_value(secret))
    share_dir = files.directory / "custody"
    share_dir.mkdir(mode=0o700, exist_ok=True)
    for (name, own), share in zip(custodians.items(), groups[0], strict=True):
        _write(Custody.share_path(files, name), bytes(age_passphrase.encrypt(share.encode(), own)))
    new = module_passphrase(secret)
    for role, key in keys.items():
        _write(files.key(role).with_suffix(".custody"), encrypt_pkcs8(key, new))
    # All new key files are written; now they replace the old ones, then custody.toml marks it.
    for role in keys:
        files.key(role).with_suffix(".custody").replace(files.key(role))
    _write(Custody.path(files), custody.to_toml().encode("utf-8"))
    with store.session() as session:
        audit.append(session, operator=operator, action="ca.custody_init", obj="ca:custody",
                     details={"threshold": threshold, "custodians": list(custodians)})  # fmt: skip
    return custody


def open_passphrase(
    files: CAFiles, store: Store, presented: Sequence[tuple[str, str]]
) -> tuple[str, list[str]]:
    """The passphrase that opens the CA keys, rebuilt from the custodians' shares, and their
    names for the audit; refused (policy first) unless enough custodians gave theirs."""
    custody = Custody.load(files)
    if custody is None:
        raise CustodyError(detail="custody is not set up: the CA passphrase opens the module")
    names = [name for name, _ in presented]
    for name in names:
        if name not in custody.custodians:
            raise NotACustodian(name=name)
    check_custodians(_people(store, names), custody.threshold)
    shares = []
    for name, own in presented:
        try:
            blob = Custody.share_path(files, name).read_bytes()
            shares.append(bytes(age_passphrase.decrypt(blob, own)).decode())
        except Exception:  # pyrage's DecryptError, or a share file gone
            raise WrongCustodianPassphrase(name=name) from None
    try:
        secret = shamir_mnemonic.combine_mnemonics(shares)
    except shamir_mnemonic.MnemonicError as exc:
        raise CustodyError(detail=f"the shares do not combine: {exc}") from None
    if not hmac.compare_digest(_check_value(secret), custody.check):
        raise CustodyError(detail="the shares rebuild another secret than this module's")
    return module_passphrase(secret), names


def record_opening(store: Store, custodians: Sequence[str], where: str) -> None:
    with store.session() as session:
        audit.append(session, operator="+".join(custodians), action="ca.open", obj="ca:module",
                     details={"custodians": list(custodians), "where": where})  # fmt: skip


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
