"""The local signing module (本地签发模块): a pure library handed its keys and repository."""

from counter_app.ca.authority import CAKeys, CertificateAuthority
from counter_app.ca.errors import (
    BadCSR,
    BadSubject,
    CAAlreadyInitialised,
    CAError,
    CANotInitialised,
    CertificateNotFound,
    HSMError,
    InvalidTransition,
    ProfileError,
    UnknownProfile,
    WeakKey,
    WeakPassphrase,
    WrongPassphrase,
)
from counter_app.ca.hierarchy import CAFiles, CASettings, init_hierarchy
from counter_app.ca.model import (
    CertificateRecord,
    CertificateRepository,
    IssuedCertificate,
    IssueRequest,
    PublishedCRL,
    RecordStatus,
    RevocationReason,
    SubjectInfo,
)
from counter_app.ca.profiles import CAUrls, Profile, load_profiles

__all__ = [
    "BadCSR",
    "BadSubject",
    "CAAlreadyInitialised",
    "CAError",
    "CAFiles",
    "CAKeys",
    "CANotInitialised",
    "CASettings",
    "CAUrls",
    "CertificateAuthority",
    "CertificateNotFound",
    "CertificateRecord",
    "CertificateRepository",
    "HSMError",
    "InvalidTransition",
    "IssueRequest",
    "IssuedCertificate",
    "Profile",
    "ProfileError",
    "PublishedCRL",
    "RecordStatus",
    "RevocationReason",
    "SubjectInfo",
    "UnknownProfile",
    "WeakKey",
    "WeakPassphrase",
    "WrongPassphrase",
    "init_hierarchy",
    "load_profiles",
]
