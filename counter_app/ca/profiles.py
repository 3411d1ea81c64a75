"""Certificate profiles (证书模板): what each certificate type contains, read from TOML."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from counter_app.ca.errors import BadCSR, ProfileError, UnknownProfile
from counter_app.ca.model import SubjectInfo
from counter_app.ca.signing import SubjectKey, builder_public_key, subject_key_identifier
from counter_app.ca.sm2 import SM2PublicKey

GMT0015_ARC = "1.2.156.10260.4.1."
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
EKUS = {
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "document_signing": DOCUMENT_SIGNING,
}
KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
)
# GM/T 0014 dual certificates: the signing certificate of a pair and the encryption certificate
# (whose key the KMC made) take these usages whatever the type's profile says.
PURPOSE_USAGES = {
    "signing": frozenset({"digital_signature", "content_commitment"}),
    "encryption": frozenset({"key_encipherment", "data_encipherment", "key_agreement"}),
}
SIGNING_ONLY_EKUS = frozenset({"client_auth", "server_auth", "document_signing"})
SUBJECT_ATTRS = {
    "C": (NameOID.COUNTRY_NAME, "country"),
    "O": (NameOID.ORGANIZATION_NAME, "organization"),
    "OU": (NameOID.ORGANIZATIONAL_UNIT_NAME, "organizational_unit"),
    "serialNumber": (NameOID.SERIAL_NUMBER, "serial_number"),
    "CN": (NameOID.COMMON_NAME, "common_name"),
}
IDENTIFIER_MODES = ("value", "hash", "omit")
PRINTABLE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    subject: tuple[str, ...]
    required: tuple[str, ...]
    key_usage: frozenset[str]
    extended_key_usage: tuple[str, ...]
    identifiers: tuple[tuple[str, str], ...]  # (OID, mode)
    validity: dt.timedelta


@dataclass(frozen=True)
class CAUrls:
    """Where relying parties fetch status and the issuer: written into every leaf."""

    ocsp: str
    ca_issuers: str
    crl: str

    @classmethod
    def from_base(cls, base_url: str, issuer: int = 1) -> CAUrls:
        """The URLs of issuing CA ``issuer``'s certificates: each names its own issuer's
        certificate and CRL (one OCSP URL answers for every issuer, by the request's CertID)."""
        base = base_url.rstrip("/")
        cer, crl = issuer_paths(issuer)
        return cls(ocsp=f"{base}/ocsp", ca_issuers=base + cer, crl=base + crl)


def issuer_paths(issuer: int) -> tuple[str, str]:
    """Where ``serve`` publishes issuing CA ``issuer``'s certificate and complete CRL:
    ``/ca/issuing.cer`` and ``/crl`` for the first, ``/ca/issuing-N.cer`` and
    ``/crl/issuing-N`` for those of ``ca rollover`` (its partitions: that path, ``/K``)."""
    if issuer == 1:
        return "/ca/issuing.cer", "/crl"
    return f"/ca/issuing-{issuer}.cer", f"/crl/issuing-{issuer}"


def _profile(name: str, table: dict[str, object], validity_days: int) -> Profile:
    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(detail=f"{name}.{key} must be a list of strings")
        return tuple(value)

    subject, usages, ekus = strings("subject"), strings("key_usage"), strings("extended_key_usage")
    for attr in (*subject, *strings("required")):
        if attr not in SUBJECT_ATTRS:
            raise ProfileError(detail=f"{name}: unknown subject attribute {attr}")
    for usage in usages:
        if usage not in KEY_USAGES:
            raise ProfileError(detail=f"{name}: unknown key usage {usage}")
    for eku in ekus:
        if eku not in EKUS:
            raise ProfileError(detail=f"{name}: unknown extended key usage {eku}")
    identifiers = table.get("identifiers", {})
    if not isinstance(identifiers, dict):
        raise ProfileError(detail=f"{name}.identifiers must be a table")
    for oid, mode in identifiers.items():
        if not oid.startswith(GMT0015_ARC) or mode not in IDENTIFIER_MODES:
            raise ProfileError(detail=f"{name}: identifier {oid} = {mode!r}")
    days = table.get("validity_days", validity_days)
    if not isinstance(days, int) or not 1 <= days <= 825:
        raise ProfileError(detail=f"{name}.validity_days must be 1..825")
    return Profile(
        name=name,
        description=str(table.get("description", name)),
        subject=subject,
        required=strings("required"),
        key_usage=frozenset(usages),
        extended_key_usage=ekus,
        identifiers=tuple(sorted(identifiers.items())),
        validity=dt.timedelta(days=days),
    )


def for_purpose(profile: Profile, purpose: str | None) -> Profile:
    """The profile as one certificate of a dual pair uses it ("signing" or "encryption"): the
    subject and identifier extensions stay, the key usages are the purpose's, and an encryption
    certificate keeps only the extended key usages that encryption serves (e-mail)."""
    if purpose is None:
        return profile
    if purpose not in PURPOSE_USAGES:
        raise ProfileError(detail=f"unknown certificate purpose {purpose!r}")
    ekus = profile.extended_key_usage
    if purpose == "encryption":
        ekus = tuple(e for e in ekus if e not in SIGNING_ONLY_EKUS)
    return replace(profile, key_usage=PURPOSE_USAGES[purpose], extended_key_usage=ekus)


def load_profiles(path: Path) -> dict[str, Profile]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(detail=f"{path}: {exc}") from None
    days = data.get("defaults", {}).get("validity_days", 365)
    tables = data.get("profiles", {})
    if not tables:
        raise ProfileError(detail=f"{path}: no [profiles.*] tables")
    return {name: _profile(name, table, days) for name, table in tables.items()}


# X.520 upper bounds, in characters (RFC 5280 appendix A): ub-common-name,
# ub-organization-name, ub-organizational-unit-name, ub-serial-number are 64, country 2.
SUBJECT_UPPER_BOUNDS = {"C": 2, "O": 64, "OU": 64, "serialNumber": 64, "CN": 64}
UB_EMAIL = 255  # ub-emailaddress-length (PKCS #9 via RFC 5280)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class SubjectRefused(BadCSR):
    """The RA's subject data would make a certificate the signing module must not sign."""

    code = "subject_refused"
    zh = "证书主体信息不符合要求：{reason_zh}"
    en = "the certificate subject is not acceptable: {reason_en}"


def check_subject(profile: Profile, subject: SubjectInfo) -> None:
    """Raise :class:`SubjectRefused` for anything :func:`subject_name` or the extensions would
    refuse: a missing required attribute, an attribute over its X.520 bound (counted in
    characters), a control or invisible character, a country other than two letters, a malformed
    e-mail. The counter runs this before taking money or making a key."""
    for attr in profile.subject:
        _oid, field_name = SUBJECT_ATTRS[attr]
        value = getattr(subject, field_name)
        if not value:
            if attr in profile.required:
                raise SubjectRefused(
                    reason_zh=f"缺少 {attr}", reason_en=f"the subject data lacks {attr}"
                )
            continue
        bound = SUBJECT_UPPER_BOUNDS[attr]
        if len(value) > bound:
            raise SubjectRefused(
                reason_zh=f"{attr} 不能超过{bound}个字符（现为{len(value)}个）",
                reason_en=f"{attr} must have at most {bound} characters (it has {len(value)})",
            )
        if value != value.strip() or any(
            unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in value
        ):
            raise SubjectRefused(
                reason_zh=f"{attr} 含有控制字符、不可见字符或首尾空格",
                reason_en=f"{attr} has a control or invisible character or surrounding spaces",
            )
        if attr == "C" and not re.fullmatch(r"[A-Z]{2}", value):
            raise SubjectRefused(
                reason_zh="国家代码应为两个大写字母", reason_en="the country is two capital letters"
            )
    if subject.email is not None and (
        len(subject.email) > UB_EMAIL or not _EMAIL.fullmatch(subject.email)
    ):
        raise SubjectRefused(
            reason_zh="电子邮箱格式不正确", reason_en="the e-mail address is malformed"
        )


def name_attribute(oid: ObjectIdentifier, value: str) -> x509.NameAttribute:
    """A name attribute bounded by :func:`check_subject` in characters, as X.520 counts.

    cryptography counts UTF-8 bytes and refuses (or, unvalidated, warns about) a 22-character
    Chinese unit name of 66 bytes; the bound here is the standard's, so its warning is moot.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Attribute's length", category=UserWarning)
        return x509.NameAttribute(oid, value, _validate=False)


def subject_name(profile: Profile, subject: SubjectInfo) -> x509.Name:
    check_subject(profile, subject)
    attributes = []
    for attr in profile.subject:
        oid, field_name = SUBJECT_ATTRS[attr]
        value = getattr(subject, field_name)
        if value:
            # check_subject counted characters, as X.520 does; cryptography's own check counts
            # UTF-8 bytes and would refuse a 22-character Chinese unit name (66 bytes).
            attributes.append(name_attribute(oid, value))
    return x509.Name(attributes)


def _der_string(value: str) -> bytes:
    # GM/T 0015 identifiers are strings; PrintableString when the characters allow it.
    body = value.encode()
    tag = 0x13 if set(value) <= PRINTABLE else 0x0C
    if len(body) > 0xFFFF:
        raise BadCSR(reason_zh="标识过长", reason_en="identifier too long")
    if len(body) < 0x80:
        length = bytes([len(body)])
    elif len(body) < 0x100:
        length = bytes([0x81, len(body)])
    else:
        length = bytes([0x82]) + len(body).to_bytes(2, "big")
    return bytes([tag]) + length + body


def identifier_hash(value: str, salt: bytes) -> str:
    """The value a "hash" identifier extension carries: upper-case hex SHA-256(salt || value)."""
    return hashlib.sha256(salt + value.encode()).hexdigest().upper()


def matching_identifiers(cert: x509.Certificate, claimed: str, salt: bytes) -> list[str]:
    """OIDs of the GM/T 0015 extensions of ``cert`` whose hash is the claimed value's."""
    wanted = _der_string(identifier_hash(claimed.strip().upper(), salt))
    return [
        ext.oid.dotted_string
        for ext in cert.extensions
        if ext.oid.dotted_string.startswith(GMT0015_ARC)
        and isinstance(ext.value, x509.UnrecognizedExtension)
        and ext.value.value == wanted
    ]


def identifier_extensions(
    profile: Profile, subject: SubjectInfo, salt: bytes
) -> list[x509.UnrecognizedExtension]:
    extensions = []
    for oid, mode in profile.identifiers:
        value = subject.identifiers.get(oid)
        if not value or mode == "omit":
            continue
        if mode == "hash":
            # A salted hash lets a relying party who knows the value check it, but nobody can
            # read the personal identifier out of the certificate.
            value = identifier_hash(value, salt)
        extensions.append(x509.UnrecognizedExtension(ObjectIdentifier(oid), _der_string(value)))
    return extensions


def _key_usage(profile: Profile, key: SubjectKey) -> x509.KeyUsage:
    usage = profile.key_usage
    is_sm2 = isinstance(key, SM2PublicKey)
    # SM2 has public-key encryption (GM/T 0003.4) and key agreement (GM/T 0003.3); for other
    # EC keys encipherment is meaningless, and RSA has no key agreement.
    is_rsa = isinstance(key, rsa.RSAPublicKey)
    is_ec = isinstance(key, ec.EllipticCurvePublicKey) or is_sm2
    return x509.KeyUsage(
        digital_signature="digital_signature" in usage,
        content_commitment="content_commitment" in usage,
        key_encipherment="key_encipherment" in usage and (is_rsa or is_sm2),
        data_encipherment="data_encipherment" in usage and (is_rsa or is_sm2),
        key_agreement="key_agreement" in usage and is_ec,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


@cache
def _issuer_extensions(
    issuer: x509.Certificate, urls: CAUrls
) -> tuple[x509.Extension[x509.ExtensionType], ...]:
    """Extensions every leaf of this issuer carries (AKI, AIA, CRL DP): built once, not per leaf."""
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)
            ),
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(urls.ca_issuers),
            ),
        ]
    )
    crl_dp = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(urls.crl)], None, None, None)]
    )
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    return (
        x509.Extension(aki.oid, False, aki),
        x509.Extension(aia.oid, False, aia),
        x509.Extension(crl_dp.oid, False, crl_dp),
    )


_NOT_CA = x509.Extension(
    x509.BasicConstraints.oid, True, x509.BasicConstraints(ca=False, path_length=None)
)


def _ext(value: x509.ExtensionType, critical: bool = False) -> x509.Extension[x509.ExtensionType]:
    return x509.Extension(value.oid, critical, value)


def leaf_builder(
    *,
    profile: Profile,
    subject: SubjectInfo,
    public_key: SubjectKey,
    issuer: x509.Certificate,
    urls: CAUrls,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    salt: bytes,
    name: x509.Name | None = None,
) -> x509.CertificateBuilder:
    """The leaf's builder; ``name`` is ``subject_name(profile, subject)`` when already made."""
    # The whole extension list goes to the constructor: each add_extension call copies the
    # list and re-checks duplicates, which cost more than the signature on the issuance path.
    aki, aia, crl_dp = _issuer_extensions(issuer, urls)
    extensions: list[x509.Extension[x509.ExtensionType]] = [
        _NOT_CA,
        _ext(_key_usage(profile, public_key), critical=True),
        aki,
        _ext(subject_key_identifier(public_key)),
        aia,
        crl_dp,
    ]
    if profile.extended_key_usage:
        extensions.append(
            _ext(x509.ExtendedKeyUsage([EKUS[e] for e in profile.extended_key_usage]))
        )
    if subject.email:
        extensions.append(_ext(x509.SubjectAlternativeName([x509.RFC822Name(subject.email)])))
    extensions.extend(_ext(e) for e in identifier_extensions(profile, subject, salt))
    return x509.CertificateBuilder(
        issuer_name=issuer.subject,
        subject_name=name if name is not None else subject_name(profile, subject),
        public_key=builder_public_key(public_key),
        serial_number=serial,
        not_valid_before=not_before,
        not_valid_after=not_after,
        extensions=extensions,
    )


def get_profile(profiles: dict[str, Profile], name: str) -> Profile:
    try:
        return profiles[name]
    except KeyError:
        raise UnknownProfile(profile=name) from None
