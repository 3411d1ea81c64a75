"""Pre-flight checks of an installation (``counter-app doctor``, the GUI's home screen, and the
pipeline before a service's first side effect).

Each check looks at the installation the way it is configured and says one thing: ``ok``,
``warn`` (works today, will not for long: a certificate within 30 days of its end, a clock a
little off) or ``error`` (a service would fail). Secrets are checked for presence only and never
shown. What is checked depends on the role the configuration gives this data dir:

- a **counter** of a shared signing service (``ca_url`` set): its client certificate and key,
  the key's passphrase, the service reachable with them and of a compatible version, the clock
  against the service's;
- a **signing host** (``ca/`` initialised): the CA keys openable (passphrase or HSM), the
  root, issuing and OCSP responder certificates, the CRL's freshness; with ``est/``, the
  counter-client CA and the EST server certificate;
- always: the database reachable and migrated, file permissions, the PKCS#11 module loadable.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509

from counter_app.config import Config
from counter_app.credentials import secret_present, secret_value
from counter_app.domain.errors import CounterError

if TYPE_CHECKING:
    from counter_app.ca.hierarchy import CAFiles

log = logging.getLogger(__name__)
WARN_DAYS = 30
SKEW_WARN = dt.timedelta(seconds=30)
SKEW_ERROR = dt.timedelta(minutes=5)
CRL_WARN = dt.timedelta(days=1)


class Level(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One check's result, in both languages (the front end picks one)."""

    check: str
    level: Level
    en: str
    zh: str

    def message(self, lang: str) -> str:
        return self.zh if lang.lower().startswith("zh") else self.en

    def to_json(self, lang: str = "en") -> dict[str, str]:
        data = asdict(self)
        data["level"] = self.level.value
        data["message"] = self.message(lang)
        return data


def _ok(check: str, en: str, zh: str) -> Finding:
    return Finding(check, Level.OK, en, zh)


def _warn(check: str, en: str, zh: str) -> Finding:
    return Finding(check, Level.WARN, en, zh)


def _error(check: str, en: str, zh: str) -> Finding:
    return Finding(check, Level.ERROR, en, zh)


def _from_error(check: str, exc: CounterError) -> Finding:
    return _error(check, exc.message("en"), exc.message("zh_CN"))


@dataclass(frozen=True)
class Installation:
    """What the configuration makes of this data dir (which checks apply)."""

    config: Config
    environ: Mapping[str, str]
    now: dt.datetime

    @property
    def is_counter_of_service(self) -> bool:
        return bool(self.config.ca_url)

    @property
    def ca_dir(self) -> Path:
        return self.config.data_dir / "ca"

    @property
    def has_ca(self) -> bool:
        return (self.ca_dir / "settings.toml").exists()

    @property
    def est_dir(self) -> Path:
        return self.config.data_dir / "est"

    @property
    def has_est(self) -> bool:
        return (self.est_dir / "client-ca.pem").exists()

    def setting(self, env_name: str, key: str) -> str | None:
        value = self.environ.get(env_name) or self.config.extra.get(key)
        return str(value) if value else None


# ---------------------------------------------------------------------------------------------
# Individual checks: each returns one or more findings and never raises a CounterError.


def check_database(inst: Installation) -> Iterator[Finding]:
    from counter_app.store.db import Store as _Store
    from counter_app.store.db import code_head_revision, make_engine

    try:
        store = _Store(make_engine(inst.config.db_url, create=False))
    except CounterError as exc:
        yield _from_error("database", exc)
        return
    try:
        current = store.current_revision()
        head = code_head_revision()
    except CounterError as exc:
        yield _from_error("database", exc)
        return
    finally:
        store.close()
    if current is None:
        yield _error(
            "database",
            f"{store.url}: not initialised: run counter-app init",
            f"{store.url}：尚未初始化：请运行 counter-app init",
        )
    elif current != head:
        yield _error(
            "database",
            f"schema at {current}, this counter-app expects {head}: run counter-app upgrade "
            "(or, if the schema is newer, install the same version as the signing service)",
            f"数据库结构为 {current}，本程序需要 {head}：请运行 counter-app upgrade"
            "（若数据库更新，请安装与签发服务相同的版本）",
        )
    else:
        yield _ok("database", f"reachable, migrated ({head})", f"可连接，结构最新（{head}）")


def required_secrets(inst: Installation) -> list[str]:
    """Names of the secrets this installation's services will ask for unattended."""
    names: list[str] = []
    if inst.is_counter_of_service:
        names.append("COUNTER_APP_CLIENT_KEY_PASSPHRASE")
    elif inst.has_ca:
        names.append(_ca_secret(inst))
    if inst.has_ca and inst.setting("COUNTER_APP_EST_TLS_KEY", "est_tls_key"):
        names.append("COUNTER_APP_TLS_KEY_PASSPHRASE")
    return names


def _ca_secret(inst: Installation) -> str:
    from counter_app.ca.hierarchy import CAFiles

    settings = CAFiles(inst.ca_dir).load_settings()
    return "COUNTER_APP_HSM_PIN" if settings.key_storage == "hsm" else "COUNTER_APP_CA_PASSPHRASE"


def check_secrets(inst: Installation) -> Iterator[Finding]:
    try:
        names = required_secrets(inst)
    except CounterError as exc:
        yield _from_error("secrets", exc)
        return
    for name in names:
        if secret_present(name, inst.environ):
            yield _ok("secrets", f"{name} is set", f"{name} 已提供")
        else:
            yield _error(
                "secrets",
                f"{name} is not set (environment or systemd credential): services will refuse",
                f"未提供 {name}（环境变量或 systemd 凭据）：业务将被拒绝",
            )


def _days_left(cert: x509.Certificate, now: dt.datetime) -> int:
    return (cert.not_valid_after_utc - now).days


CERT_NAMES_ZH = {
    "root CA": "根CA证书",
    "issuing CA": "签发CA证书",
    "OCSP responder": "OCSP响应器证书",
    "counter-client CA": "柜台客户端CA证书",
    "EST server certificate": "EST服务器证书",
    "counter client certificate": "柜台客户端证书",
}


def certificate_finding(
    check: str,
    what: str,
    cert: x509.Certificate,
    now: dt.datetime,
    renew: str,
    what_zh: str | None = None,
) -> Finding:
    """Days to expiry: an error once expired (or not yet valid), a warning within 30 days."""
    what_zh = what_zh or CERT_NAMES_ZH.get(what, what)
    days = _days_left(cert, now)
    end = f"{cert.not_valid_after_utc:%Y-%m-%d}"
    if cert.not_valid_before_utc > now:
        return _error(check, f"{what} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M}Z "
                      "(check the clock)", f"{what_zh}尚未生效（请检查时钟）")  # fmt: skip
    if days < 0:
        return _error(
            check, f"{what} expired on {end}: {renew}", f"{what_zh}已于 {end} 过期：{renew}"
        )
    if days < WARN_DAYS:
        return _warn(check, f"{what} expires in {days} days ({end}): {renew}",
                     f"{what_zh}将在 {days} 天后（{end}）过期：{renew}")  # fmt: skip
    return _ok(check, f"{what} valid for {days} more days ({end})",
               f"{what_zh}还有 {days} 天有效（至 {end}）")  # fmt: skip


def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def check_ca_certificates(inst: Installation) -> Iterator[Finding]:
    from counter_app.ca.hierarchy import CAFiles, issuer_roles

    files = CAFiles(inst.ca_dir)
    active = files.load_settings().active_issuer
    yield from _ca_certificate(files, "root", "root CA", inst.now,
                               "make a new hierarchy (docs/operations.md, CA rollover)")  # fmt: skip
    for n in files.issuers():  # every issuing CA still answering, and its responder (rollover)
        issuing, ocsp = issuer_roles(n)
        suffix = "" if n == 1 else f" {n}"
        if n == active:
            yield from _ca_certificate(files, issuing, "issuing CA", inst.now, "roll the "
                                       "issuing CA over: counter-app ca rollover "
                                       "(docs/operations.md)", suffix)  # fmt: skip
        elif files.cert(issuing).exists():
            # An earlier issuer answers for its certificates, none of which outlives it: its
            # end is its retirement, not a fault.
            end = f"{files.load_cert(issuing).not_valid_after_utc:%Y-%m-%d}"
            yield _ok("certificates", f"issuing CA{suffix} (earlier issuer) answers for its "
                      f"certificates until {end}", f"签发CA{suffix}（原签发CA）为其证书提供状态至 {end}")  # fmt: skip
            if files.load_cert(issuing).not_valid_after_utc < inst.now:
                continue  # retired: its responder need not be renewed any more
        option = "" if n == active else f" --issuer {n}"
        yield from _ca_certificate(files, ocsp, "OCSP responder", inst.now,
                                   f"run counter-app ca renew-responder{option}", suffix)  # fmt: skip


def _ca_certificate(
    files: CAFiles, role: str, what: str, now: dt.datetime, renew: str, suffix: str = ""
) -> Iterator[Finding]:
    try:
        cert = files.load_cert(role)
    except (OSError, ValueError) as exc:
        yield _error("certificates", f"{what}{suffix}: cannot read {files.cert(role)}: {exc}",
                     f"{what}{suffix}：无法读取 {files.cert(role)}")  # fmt: skip
        return
    zh = CERT_NAMES_ZH.get(what, what) + suffix
    yield certificate_finding("certificates", what + suffix, cert, now, renew, zh)


def check_ca_keys(inst: Installation) -> Iterator[Finding]:
    """The issuing and responder keys open (at rest: with the passphrase; HSM: token + PIN)."""
    from counter_app.ca.hierarchy import CAFiles

    files = CAFiles(inst.ca_dir)
    try:
        settings = files.load_settings()
    except CounterError as exc:
        yield _from_error("ca_keys", exc)
        return
    if settings.key_storage == "hsm":
        yield from _check_hsm(inst, settings.hsm_module or "", settings.hsm_label)
        return
    passphrase = secret_value("COUNTER_APP_CA_PASSPHRASE", inst.environ)
    if passphrase is None:
        yield _error("ca_keys", "cannot try the CA keys: COUNTER_APP_CA_PASSPHRASE is not set",
                     "无法检查CA私钥：未提供 COUNTER_APP_CA_PASSPHRASE")  # fmt: skip
        return
    try:
        for role in files.roles()[1:]:  # every issuer's and responder's key (rollover)
            files.load_key(role, passphrase)
    except CounterError as exc:
        yield _from_error("ca_keys", exc)
        return
    yield _ok("ca_keys", "issuing and responder keys open with the passphrase",
              "签发CA与OCSP响应器私钥可用口令打开")  # fmt: skip


def _check_hsm(inst: Installation, module: str, label: str | None) -> Iterator[Finding]:
    from counter_app.token import open_token
    from counter_app.token.errors import TokenError

    pin = secret_value("COUNTER_APP_HSM_PIN", inst.environ)
    if pin is None:
        yield _error("ca_keys", "cannot open the HSM: COUNTER_APP_HSM_PIN is not set",
                     "无法打开密码机：未提供 COUNTER_APP_HSM_PIN")  # fmt: skip
        return
    try:
        with open_token(module, label=label).login(pin) as session:
            count = len(session.list_keys())
    except (CounterError, TokenError) as exc:
        yield _from_error("ca_keys", exc)
        return
    yield _ok("ca_keys", f"HSM token {label!r} opens with the PIN ({count} keys)",
              f"密码机令牌 {label!r} 可用PIN登录（{count} 个密钥）")  # fmt: skip


def check_crl(inst: Installation) -> Iterator[Finding]:
    from counter_app.ca.hierarchy import CAFiles

    files = CAFiles(inst.ca_dir)
    for issuer in files.issuers():  # each issuing CA still answering publishes its own CRL
        yield from _check_crl_file(inst, files.crl_of(issuer))


def _check_crl_file(inst: Installation, path: Path) -> Iterator[Finding]:
    if not path.exists():
        yield _warn("crl", "no CRL published yet (serve or ca crl --new publishes one)",
                    "尚未发布CRL（serve 或 ca crl --new 会发布）")  # fmt: skip
        return
    try:
        crl = x509.load_der_x509_crl(path.read_bytes())
    except ValueError:
        yield _error("crl", f"{path} is not a CRL", f"{path} 不是CRL")
        return
    nxt = crl.next_update_utc
    if nxt is None or nxt < inst.now:
        yield _error("crl", f"the CRL is stale (next update {nxt:%Y-%m-%d %H:%M}Z): run "
                     "counter-app ca crl --new, and keep serve running",
                     "CRL已过期：请运行 counter-app ca crl --new，并保持 serve 运行")  # fmt: skip
    elif nxt - inst.now < CRL_WARN:
        yield _warn("crl", f"the CRL's next update is within a day ({nxt:%Y-%m-%d %H:%M}Z)",
                    "CRL将在一天内到期")  # fmt: skip
    else:
        yield _ok("crl", f"fresh until {nxt:%Y-%m-%d %H:%M}Z", f"有效至 {nxt:%Y-%m-%d %H:%M}Z")


def check_est_certificates(inst: Installation) -> Iterator[Finding]:
    try:
        yield certificate_finding("certificates", "counter-client CA",
                                  _load_cert(inst.est_dir / "client-ca.pem"), inst.now,
                                  "make a new one: counter-app est init (docs/operations.md)")  # fmt: skip
    except (OSError, ValueError) as exc:
        yield _error("certificates", f"counter-client CA: {exc}", "柜台客户端CA证书无法读取")
    tls = inst.setting("COUNTER_APP_EST_TLS_CERT", "est_tls_cert")
    if tls:
        try:
            cert = _load_cert(Path(tls).expanduser())
        except (OSError, ValueError) as exc:
            yield _error("certificates", f"EST server certificate {tls}: {exc}",
                         f"EST服务器证书 {tls} 无法读取")  # fmt: skip
            return
        yield certificate_finding("certificates", "EST server certificate", cert, inst.now,
                                  "run counter-app est renew-server-cert")  # fmt: skip


def check_signing_service(inst: Installation) -> Iterator[Finding]:
    """Client certificate days, then a real handshake with it: version and clock skew."""
    from counter_app.services.est_client import ESTSettings, ESTSigning

    try:
        settings = ESTSettings.from_config(inst.config, inst.environ)
        cert = _load_cert(settings.client_cert)
    except CounterError as exc:
        yield _from_error("signing_service", exc)
        return
    except (OSError, ValueError) as exc:
        yield _error("signing_service", f"client certificate: {exc}", "柜台客户端证书无法读取")
        return
    yield certificate_finding("certificates", "counter client certificate", cert, inst.now,
                              "run counter-app est renew-counter-cert")  # fmt: skip
    passphrase = secret_value("COUNTER_APP_CLIENT_KEY_PASSPHRASE", inst.environ)
    if passphrase is None:
        yield _error("signing_service", "cannot try the signing service: "
                     "COUNTER_APP_CLIENT_KEY_PASSPHRASE is not set",
                     "无法检查签发服务：未提供 COUNTER_APP_CLIENT_KEY_PASSPHRASE")  # fmt: skip
        return
    try:
        client = ESTSigning(settings, lambda: passphrase)
        try:
            version = client.handshake()
        finally:
            client.close()
    except CounterError as exc:
        yield _from_error("signing_service", exc)
        return
    yield _ok("signing_service", f"{settings.url} answers with this client certificate "
              f"(counter-app {version.version}, protocol {version.protocol})",
              f"{settings.url} 接受本柜台证书（版本 {version.version}）")  # fmt: skip
    yield skew_finding(version.date, inst.now)


def skew_finding(date_header: str | None, now: dt.datetime) -> Finding:
    if not date_header:
        return _warn("clock", "the signing service sent no Date: clock skew unknown",
                     "签发服务未返回时间：无法检查时钟偏差")  # fmt: skip
    theirs = email.utils.parsedate_to_datetime(date_header)
    skew = abs(theirs - now)
    words = f"{skew.total_seconds():.0f} s from the signing service's clock"
    if skew > SKEW_ERROR:
        return _error("clock", words + ": synchronise the clocks (chrony/NTP)",
                      f"与签发服务时钟相差 {skew.total_seconds():.0f} 秒：请同步时钟（NTP）")  # fmt: skip
    if skew > SKEW_WARN:
        return _warn("clock", words, f"与签发服务时钟相差 {skew.total_seconds():.0f} 秒")
    return _ok("clock", words, f"与签发服务时钟相差 {skew.total_seconds():.0f} 秒")


def check_permissions(inst: Installation) -> Iterator[Finding]:
    from counter_app.filemodes import permission_problems

    problems = permission_problems(inst.config.data_dir, sqlite=inst.config.db_is_default_sqlite)
    for problem in problems:
        yield _warn("permissions", problem.message("en"), problem.message("zh_CN"))
    if not problems:
        yield _ok(
            "permissions", f"{inst.config.data_dir} is private", f"{inst.config.data_dir} 权限正确"
        )


def check_pkcs11(inst: Installation) -> Iterator[Finding]:
    """The subscriber tokens' module (a counter) loads; a signing host only needs its HSM's."""
    if inst.has_ca and not Path(inst.config.pkcs11_module).exists():
        return  # a signing host without counters of its own may have no token module at all
    from counter_app.token.errors import TokenError
    from counter_app.token.library import library

    module = inst.config.pkcs11_module
    try:
        library(module)
    except TokenError as exc:
        yield _error("pkcs11", f"{exc.message('en')} (set pkcs11_module or "
                     "COUNTER_APP_PKCS11_MODULE)", exc.message("zh_CN"))  # fmt: skip
        return
    yield _ok("pkcs11", f"{module} loads", f"{module} 可加载")


# ---------------------------------------------------------------------------------------------


def run_checks(
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    signing_open: bool = False,
) -> list[Finding]:
    """Every check that applies to this installation, in a fixed order.

    ``signing_open``: the caller (the GUI) already opened the local signing module with the
    custodians' or the passphrase given at start, so its key secret is not asked for unattended
    and its keys need no second opening.
    """
    inst = Installation(
        config, os.environ if environ is None else environ, now or dt.datetime.now(dt.UTC)
    )
    local_open = signing_open and inst.has_ca and not inst.is_counter_of_service
    checks: list[Callable[[Installation], Iterator[Finding]]] = [check_database]
    if not local_open:
        checks.append(check_secrets)
    if inst.is_counter_of_service:
        checks.append(check_signing_service)
    elif inst.has_ca:
        checks += ([] if local_open else [check_ca_keys]) + [check_ca_certificates, check_crl]
    else:
        checks.append(_no_ca)
    if inst.has_est and not inst.is_counter_of_service:
        checks.append(check_est_certificates)
    checks += [check_permissions, check_pkcs11]
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check(inst))
        except Exception as exc:  # a check must never stop the others; the log has the cause
            log.exception("check %s failed", check.__name__)
            findings.append(_error(check.__name__.removeprefix("check_"),
                                   f"the check itself failed: {type(exc).__name__}: {exc}",
                                   f"检查本身失败：{type(exc).__name__}"))  # fmt: skip
    return findings


def _no_ca(inst: Installation) -> Iterator[Finding]:
    yield _error("signing_module", "no signing module: run counter-app ca init here, or set "
                 "ca_url to use a shared signing service",
                 "没有签发模块：请在此运行 counter-app ca init，或设置 ca_url 使用共享签发服务")  # fmt: skip


def problems(config: Config, *, signing_open: bool = False) -> list[Finding]:
    """What the GUI shows on its home screen: the warnings and errors only (run in a worker)."""
    return [f for f in run_checks(config, signing_open=signing_open) if f.level is not Level.OK]


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level is Level.ERROR for f in findings)


# ---------------------------------------------------------------------------------------------
# Before a service's first side effect (services/pipeline.py)


def preflight_signing(signing_factory: Callable[[], object]) -> None:
    """Open the signing client (which reads its secrets: a missing passphrase stops here) and let
    it check what it needs (a remote service: answering, compatible version).

    Raises the client's own error (e.g. ``MissingSecret`` naming the variable to set) so the
    clerk reads the cause; nothing has been recorded yet.
    """
    signing = signing_factory()
    check = getattr(signing, "preflight", None)
    if callable(check):
        check()
