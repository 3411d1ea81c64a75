"""The subscriber agreement (数字证书电子认证服务协议) by version.

The text shown to the subscriber is a versioned file in ``resources/agreements/`` named
``v<version>.<lang>.txt``. The record of acceptance keeps the version and the SHA-256 of the exact
UTF-8 bytes shown, so a later dispute can prove which words were agreed to. The agreement takes
effect when the authorised acceptor (the reviewer) approves the application (the agreement's
preamble), which is why :class:`AgreementRecord` names the reviewer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from counter_app.domain.errors import ValidationError
from counter_app.domain.fields import (
    get_bool,
    get_required_str,
    refuse_unknown_keys,
    require_mapping,
    shown,
)
from counter_app.domain.signature import Signature

_FILE_NAME = re.compile(
    r"v(?P<version>[0-9]+(?:\.[0-9]+)*)\.(?P<lang>[a-z]{2}(?:-[A-Za-z]+)?)\.txt"
)


class UnknownAgreementVersion(ValidationError):
    code = "unknown_agreement_version"
    zh = "未知的协议版本：{version}（现有：{known}）"
    en = "unknown agreement version: {version} (known: {known})"


class AgreementNotAccepted(ValidationError):
    code = "agreement_not_accepted"
    zh = "申请人未接受《数字证书电子认证服务协议》第{version}版，不能受理"
    en = "the applicant has not accepted version {version} of the subscriber agreement"


@dataclass(frozen=True)
class AgreementVersion:
    """One version of the agreement text, exactly as shown."""

    version: str
    text: str
    lang: str = "zh"

    @classmethod
    def from_bytes(cls, version: str, data: bytes, lang: str = "zh") -> AgreementVersion:
        """Decode strictly: a file that is not UTF-8 must not be shown or hashed differently."""
        return cls(version, data.decode("utf-8"), lang)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the exact UTF-8 text (no newline conversion, BOM kept if present)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def parse_agreement_file_name(name: str) -> tuple[str, str]:
    """``"v1.zh.txt"`` -> ``("1", "zh")``; ``ValueError`` for any other name."""
    match = _FILE_NAME.fullmatch(name)
    if not match:
        raise ValueError(f"not an agreement file name: {name!r}")
    return match["version"], match["lang"]


def _catalogue(
    known: Iterable[AgreementVersion] | Mapping[str, AgreementVersion],
) -> dict[str, AgreementVersion]:
    values = known.values() if isinstance(known, Mapping) else known
    return {v.version: v for v in values}


def check_acceptance(
    version_requested: object,
    accepted: object,
    known_versions: Iterable[AgreementVersion] | Mapping[str, AgreementVersion],
    *,
    path: str = "agreement",
) -> AgreementVersion:
    """The agreement version the subscriber accepted; raise if unknown or not accepted.

    ``accepted`` must be the boolean ``True``: a string such as ``"yes"`` is not acceptance.
    """
    catalogue = _catalogue(known_versions)
    version = str(version_requested) if isinstance(version_requested, int | str) else None
    if isinstance(version_requested, bool) or version not in catalogue:
        raise UnknownAgreementVersion(
            f"{path}.version",
            version=shown(version_requested),
            known=", ".join(sorted(catalogue)) or "-",
        )
    if accepted is not True:
        raise AgreementNotAccepted(f"{path}.accepted", version=version)
    return catalogue[version]


def parse_agreement(
    data: object,
    known_versions: Iterable[AgreementVersion] | Mapping[str, AgreementVersion],
    *,
    path: str = "agreement",
) -> AgreementVersion:
    """Read APP.json's ``{"version": "1", "accepted": true}`` and check it."""
    mapping: Mapping[str, Any] = require_mapping(data, path)
    refuse_unknown_keys(mapping, ("version", "accepted"), path)
    raw_version = mapping.get("version")
    version: object = raw_version if isinstance(raw_version, int) else None
    if version is None:
        version = get_required_str(mapping, "version", path)
    accepted = get_bool(mapping, "accepted", path)
    return check_acceptance(version, accepted, known_versions, path=path)


@dataclass(frozen=True)
class AgreementRecord:
    """What is kept of an acceptance: which text, its hash, when, who took it and who approved.

    ``signed`` is how the subscriber signed: ``"paper"`` with the archived form number in
    ``form_number``, or ``"pad"`` for a signature-pad image kept beside the record
    (``signature``, optional: an acceptance without a second screen is as before).
    """

    version: str
    sha256: str
    accepted_at: dt.datetime
    clerk: str
    reviewer: str
    signed: str = "paper"
    form_number: str | None = None
    signature: Signature | None = None

    @classmethod
    def of(
        cls,
        agreement: AgreementVersion,
        *,
        accepted_at: dt.datetime,
        clerk: str,
        reviewer: str,
        signed: str = "paper",
        form_number: str | None = None,
        signature: Signature | None = None,
    ) -> AgreementRecord:
        if accepted_at.tzinfo is None:
            raise TypeError("accepted_at must be timezone-aware")
        if signed not in ("paper", "pad"):
            raise ValueError("signed is 'paper' or 'pad'")
        if signature is not None:
            signed = "pad"
        return cls(
            agreement.version,
            agreement.sha256,
            accepted_at,
            clerk,
            reviewer,
            signed,
            form_number,
            signature,
        )
