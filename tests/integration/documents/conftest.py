"""The services' counter fixtures (real CLI, real SoftHSM token, real SQLite), reused here."""

from __future__ import annotations

from tests.integration.services.conftest import counter, template_data_dir

__all__ = ["counter", "template_data_dir"]
