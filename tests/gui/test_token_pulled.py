"""A token pulled during the token step: a clear message with the recovery path, never a hang;
then the recovery dialog finishes the service once the token is back."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from counter_app.gui.enroll.wizard import build
from counter_app.gui.recovery import RecoveryDialog
from counter_app.services.recovery import list_interrupted
from tests.gui.conftest import OPERATORS, USER_PIN
from tests.gui.drive import enroll_through_widgets, type_text, wait_until


class PullsTheToken:
    """The signing module, except that the token's files vanish just before issuing: the key
    is on the token, the certificate is signed, and the token is gone when it is written back."""

    def __init__(self, real: Any, tokendir: Path, hidden: Path) -> None:
        self._real, self._tokendir, self._hidden = real, tokendir, hidden

    def issue(self, *args: Any, **kwargs: Any) -> Any:
        shutil.move(str(self._tokendir), str(self._hidden))
        self._tokendir.mkdir()
        return self._real.issue(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _pull_during_issue(counter_context, counter, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    real = counter_context.services
    hidden = tmp_path / "pulled"
    signing = PullsTheToken(real.signing, counter.softhsm.tokendir, hidden)
    counter_context.services = dataclasses.replace(real, signing_factory=lambda: signing)
    return hidden


def _put_back(counter, hidden: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(counter.softhsm.tokendir)
    shutil.move(str(hidden), str(counter.softhsm.tokendir))


def test_token_pulled_during_issue_says_so_and_names_the_recovery_path(
    qtbot, counter_context, counter, tmp_path, en
) -> None:  # type: ignore[no-untyped-def]
    counter.token("SUB1")
    _pull_during_issue(counter_context, counter, tmp_path)
    view = build(counter_context)
    qtbot.addWidget(view)
    view.show()
    page = enroll_through_widgets(view, "rev1", OPERATORS["rev1"][1], USER_PIN)
    assert page.result is None and not page.busy
    text = view.error_label.text()
    assert "interrupted" in text
    assert "Recover interrupted services" in text
    assert view.cancel_button.isEnabled()


def test_recovery_dialog_finishes_the_service_once_the_token_is_back(
    qtbot, counter_context, counter, tmp_path, en
) -> None:  # type: ignore[no-untyped-def]
    counter.token("SUB1")
    real = counter_context.services
    hidden = _pull_during_issue(counter_context, counter, tmp_path)
    view = build(counter_context)
    qtbot.addWidget(view)
    view.show()
    enroll_through_widgets(view, "rev1", OPERATORS["rev1"][1], USER_PIN)
    _put_back(counter, hidden)
    counter_context.services = real
    items = list_interrupted(real)
    assert len(items) == 1
    dialog = RecoveryDialog(counter_context, items)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.pin_edit, USER_PIN)
    dialog.finish_button.click()
    wait_until(lambda: bool(dialog.outcomes) or "failed" in dialog.message_label.text())
    assert [o.result for o in dialog.outcomes] == ["finished"]
    assert list_interrupted(real) == []
    objects = counter.token_objects("SUB1")
    assert "Certificate Object" in objects and "Private Key Object" in objects
