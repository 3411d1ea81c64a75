"""Chinese by default, English on request; the zh_CN catalogue is complete."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from PySide6.QtWidgets import QLabel

from counter_app.config import resource_path
from counter_app.gui import i18n
from counter_app.gui.login import LoginDialog
from counter_app.gui.main_window import MainWindow


def test_login_shows_chinese_labels_by_default(qtbot, context, zh) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(context)
    qtbot.addWidget(dialog)
    assert dialog.form.get(QLabel, "title_label").text() == "操作员登录"
    assert dialog.sign_in_button.text() == "登录(&S)"


def test_login_shows_english_labels_with_lang_en(qtbot, context, en) -> None:  # type: ignore[no-untyped-def]
    dialog = LoginDialog(context)
    qtbot.addWidget(dialog)
    assert dialog.form.get(QLabel, "title_label").text() == "Operator sign-in"
    assert dialog.sign_in_button.text() == "&Sign in"


def test_main_window_lists_services_in_chinese(qtbot, sign_in_as, zh) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(sign_in_as("clerk"), watch_tokens=False)
    qtbot.addWidget(window)
    labels = [window.services_list.item(i).text() for i in range(window.services_list.count())]
    assert [t.split()[0] for t in labels] == [
        "首页",
        "新办",
        "更新",
        "变更",
        "增加应用项",
        "挂起",
        "解挂",
        "吊销",
        "补办",
        "解锁",
        "查询",
        "订户",
        "批量更新",
    ]


def test_wizard_buttons_follow_the_language(qtbot, sign_in_as, en) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(sign_in_as("clerk"), watch_tokens=False)
    qtbot.addWidget(window)
    wizard = window.open_service("enroll")
    assert wizard is not None
    assert wizard.next_button.text() == "&Next >"


def test_default_language_is_chinese() -> None:
    assert i18n.normalise_lang(None) == "zh_CN"
    assert i18n.normalise_lang("en_US") == "en"


def test_zh_cn_catalogue_has_no_unfinished_or_empty_translation() -> None:
    root = ET.parse(resource_path("i18n", "counter_app_zh_CN.ts")).getroot()
    bad = [
        m.findtext("source")
        for m in root.iter("message")
        if (m.find("translation") is None)
        or m.find("translation").get("type") in ("unfinished", "obsolete", "vanished")  # type: ignore[union-attr]
        or not (m.findtext("translation") or "").strip()
    ]
    assert bad == []
    assert len(list(root.iter("message"))) > 50


def test_every_string_in_the_sources_is_in_the_zh_cn_catalogue(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    sources = sorted(str(p) for p in (repo / "counter_app" / "gui").rglob("*.py"))
    forms = sorted(str(p) for p in (repo / "ui").glob("*.ui"))
    fresh = tmp_path / "fresh.ts"
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    subprocess.run(
        [str(lupdate), *sources, *forms, "-ts", str(fresh)], check=True, capture_output=True
    )

    def keys(path: Path) -> set[tuple[str, str]]:
        root = ET.parse(path).getroot()
        return {
            (c.findtext("name") or "", m.findtext("source") or "")
            for c in root.iter("context")
            for m in c.iter("message")
        }

    assert keys(fresh) - keys(resource_path("i18n", "counter_app_zh_CN.ts")) == set()
