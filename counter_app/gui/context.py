"""What every window and page of one GUI session shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from counter_app.config import Config
from counter_app.domain.display import ra_time_zone, shown_date, shown_time
from counter_app.domain.errors import CounterError
from counter_app.gui.tasks import TaskRunner

if TYPE_CHECKING:  # the sign-in window shows before the services' modules are imported
    from counter_app.services.context import ServiceContext
    from counter_app.services.operators import OperatorInfo
    from counter_app.store.db import Store


class CounterNotOpen(CounterError):
    """A service page was used before the signing module was opened (a GUI wiring bug)."""

    code = "counter_not_open"
    zh = "签发模块尚未打开：请重新登录"
    en = "the signing module is not open yet: sign in again"


class NotSignedIn(CounterError):
    code = "not_signed_in"
    zh = "尚未登录操作员"
    en = "no operator is signed in"


@dataclass
class GuiContext:
    """The configuration, the open store, the task runner, the operator and the services.

    Passed to every window and wizard page by constructor (no globals): a page calls a service
    as ``self.call_service(service_fn, context.service_context(), ..., on_done=...)``.
    ``services`` is set once the operator has signed in and the signing module is open.
    """

    config: Config
    store: Store
    runner: TaskRunner = field(default_factory=TaskRunner)
    operator: OperatorInfo | None = None
    services: ServiceContext | None = None
    # The window facing the subscriber (gui/subscriber_screen.py), once opened.
    subscriber_screen: object | None = None

    def service_context(self) -> ServiceContext:
        if self.services is None:
            raise CounterNotOpen()
        return self.services

    def clerk(self) -> OperatorInfo:
        if self.operator is None:
            raise NotSignedIn()
        return self.operator

    # -- times as the clerk reads them (the RA's zone, labelled; the same words as on paper) ----
    @property
    def time_zone(self) -> ZoneInfo:
        return ra_time_zone(self.config.extra)

    def shown_time(self, moment: dt.datetime | None, *, seconds: bool = False) -> str:
        from counter_app.gui.i18n import current_lang

        return shown_time(moment, self.time_zone, current_lang(), seconds=seconds)

    def shown_date(self, moment: dt.datetime | None) -> str:
        return shown_date(moment, self.time_zone)

    def close(self) -> None:
        self.runner.shutdown()
        # The session's events end with a signed checkpoint (see counter_app.store.anchor).
        from counter_app.store.anchor import Anchor, checkpoint_quietly

        checkpoint_quietly(Anchor.for_config(self.config.data_dir, self.config.extra), self.store)
        self.store.close()
