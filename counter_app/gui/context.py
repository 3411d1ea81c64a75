"""What every window and page of one GUI session shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from counter_app.config import Config
from counter_app.gui.tasks import TaskRunner
from counter_app.services.operators import OperatorInfo
from counter_app.store.db import Store


@dataclass
class GuiContext:
    """The configuration, the open store, the task runner and the signed-in operator.

    Passed to every window and wizard page by constructor (no globals): a page calls a service
    as ``context.runner.run(service_fn, context.store, ..., on_done=..., on_error=...)``.
    """

    config: Config
    store: Store
    runner: TaskRunner = field(default_factory=TaskRunner)
    operator: OperatorInfo | None = None

    def close(self) -> None:
        self.runner.shutdown()
        self.store.close()
