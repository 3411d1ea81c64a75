"""What every verb needs: the configuration, the store (opened on first use) and secrets."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from typing import Any

from counter_app.config import Config
from counter_app.credentials import secret_value
from counter_app.domain.daybook import configured_counter
from counter_app.domain.errors import CounterError, MissingSecret
from counter_app.store.anchor import Anchor, checkpoint_quietly
from counter_app.store.db import Store, open_store

SECRET_NAMES = {
    "COUNTER_APP_PASSWORD": ("操作员密码", "operator password"),
    "COUNTER_APP_NEW_PASSWORD": ("新密码", "new password"),
    "COUNTER_APP_REVIEWER_PASSWORD": ("审核员密码", "reviewer password"),
    "COUNTER_APP_SUPERVISOR_PASSWORD": ("主管密码", "supervisor password"),
    "COUNTER_APP_USER_PIN": ("用户PIN码", "user PIN"),
    "COUNTER_APP_NEW_USER_PIN": ("新用户PIN码", "new user PIN"),
    "COUNTER_APP_SO_PIN": ("管理员PIN码（SO PIN）", "SO PIN"),
    "COUNTER_APP_CA_PASSPHRASE": ("CA私钥口令", "CA key passphrase"),
    "COUNTER_APP_ROOT_PASSPHRASE": ("离线根CA私钥口令", "offline root key passphrase"),
    "COUNTER_APP_HSM_PIN": ("CA密码机用户PIN码", "HSM user PIN"),
    "COUNTER_APP_BACKUP_PASSPHRASE": ("备份口令", "backup passphrase"),
}


class OutputNotWritable(CounterError):
    """A verb's ``--out`` file cannot be written (``print``, the reports, ``ca issue``)."""

    code = "output_not_writable"
    zh = "无法写入输出文件 {path}：{reason_zh}"
    en = "cannot write the output file {path}: {reason_en}"


def record_event(
    store: Store, operator: str, action: str, obj: str, details: Mapping[str, Any] | None = None
) -> None:
    """One audit event of what a verb did, in a transaction of its own."""
    from counter_app.store import audit

    with store.session() as session:
        audit.append(session, operator=operator, action=action, obj=obj, details=details)


def read_secret(env_name: str, *, confirm: bool = False) -> str:
    """A secret from the environment (or systemd's $CREDENTIALS_DIRECTORY), or a prompt when
    stdin is a terminal; never from argv."""
    value = secret_value(env_name)
    if value:
        return value
    what_zh, what_en = SECRET_NAMES.get(env_name, ("口令", "secret"))
    if not sys.stdin.isatty():
        raise MissingSecret(what_zh=what_zh, what_en=what_en, env=env_name)
    first = getpass.getpass(f"{what_zh} / {what_en}: ")
    if confirm:
        again = getpass.getpass("再次输入 / again: ")
        if again != first:
            raise MissingSecret(
                what_zh=what_zh + "（两次输入不一致）",
                what_en=what_en + " (entries differ)",
                env=env_name,
            )
    if not first:
        raise MissingSecret(what_zh=what_zh, what_en=what_en, env=env_name)
    return first


def read_name(env_name: str, what_zh: str, what_en: str) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    if not sys.stdin.isatty():
        raise MissingSecret(what_zh=what_zh, what_en=what_en, env=env_name)
    return input(f"{what_zh} / {what_en}: ").strip()


class AppContext:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._store: Store | None = None
        self._anchor: Anchor | None = None
        # Off for commands that only check (audit verify): they must never sign what they read.
        self.checkpoint_on_close = True

    @property
    def lang(self) -> str:
        return self.config.lang

    def store(self, *, create: bool = False) -> Store:
        if self._store is None:
            self._store = open_store(self.config.db_url, create=create)
            # This counter's events (and its checkpoints) go to its own audit chain.
            self._store.use_chain(configured_counter(self.config.extra))
        return self._store

    def anchor(self) -> Anchor:
        """The audit key and witness file of this data dir."""
        if self._anchor is None:
            self._anchor = Anchor.for_config(self.config.data_dir, self.config.extra)
        return self._anchor

    def close(self) -> None:
        if self._store is not None and self.checkpoint_on_close:
            # Every command that wrote ends with a signed checkpoint of the head, so the events
            # a database writer could cut from the tail undetected are at most one command's.
            checkpoint_quietly(self.anchor(), self._store)
        if self._store is not None:
            self._store.close()
            self._store = None
