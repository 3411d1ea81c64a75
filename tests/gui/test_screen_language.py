"""Every page of every service speaks the language chosen, even one chosen after start-up.

The pages are built the way the wizards build them (from the registered wizards' builders), so a
string translated too early (when a module is imported, in the language of that moment) shows
up here as Chinese on an English page or English on a Chinese one.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QTableWidget, QWidget

from counter_app.gui import registry
from counter_app.gui.lookup import LookupScreen
from counter_app.gui.recovery import RecoveryDialog
from counter_app.gui.wizard.view import WizardView

CJK = re.compile(r"[\u3400-\u9fff]")
WIZARDS = ("enroll", "renew", "change", "add_item", "reissue", "unlock")


def shown_texts(root: QWidget) -> list[str]:
    """The words a clerk can read on ``root``: labels, buttons, titles, placeholders, headers."""
    texts = [w.text() for w in root.findChildren(QLabel)]
    texts += [w.text() for w in root.findChildren(QAbstractButton)]
    texts += [w.title() for w in root.findChildren(QGroupBox)]
    texts += [w.placeholderText() for w in root.findChildren(QLineEdit)]
    for table in root.findChildren(QTableWidget):
        headers = (table.horizontalHeaderItem(c) for c in range(table.columnCount()))
        texts += [h.text() for h in headers if h is not None]
    return [t for t in texts if t.strip()]


def every_screen(qtbot, context) -> list[QWidget]:  # type: ignore[no-untyped-def]
    registry.load_builtin_wizards()
    screens: list[QWidget] = [LookupScreen(context), RecoveryDialog(context, [])]
    for key in WIZARDS:
        factory = registry.wizard_factory(key)
        assert factory is not None
        view = factory(context)
        assert isinstance(view, WizardView)
        screens += [build(context) for step, build in view.builders.items()]
        view.deleteLater()
    for screen in screens:
        qtbot.addWidget(screen)
    return screens


def test_english_screens_show_no_chinese(qtbot, counter_context, en) -> None:  # type: ignore[no-untyped-def]
    chinese = [
        (type(s).__name__, t)
        for s in every_screen(qtbot, counter_context)
        for t in shown_texts(s)
        if CJK.search(t)
    ]
    assert chinese == []


# The same in Chinese (only the colon becomes full-width): the name of a hash.
SAME_IN_BOTH = {"SHA-256："}


def test_chinese_screens_show_no_english(qtbot, counter_context, zh) -> None:  # type: ignore[no-untyped-def]
    english = [
        (type(s).__name__, t)
        for s in every_screen(qtbot, counter_context)
        for t in shown_texts(s)
        if not CJK.search(t) and t not in SAME_IN_BOTH
    ]
    assert english == []
