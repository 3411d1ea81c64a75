"""Load Qt Designer forms from the top-level ``ui/`` directory at run time (QUiLoader).

Chosen over compiling with pyside6-uic: the ``.ui`` files stay the single source, there is no
generated code to keep in step, and lupdate reads the same files for translation. A form's
strings are translated when it is loaded, in the context named by the form's ``<class>``.

A form's top-level is a plain ``QWidget``; :func:`load_form` puts it inside the Python widget
that owns the behaviour (a dialog, a wizard page), so behaviour stays in subclasses we control.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

UI_DIR = Path(__file__).resolve().parent.parent.parent / "ui"
W = TypeVar("W", bound=QWidget)
L = TypeVar("L", bound=QLayout)


class FormError(RuntimeError):
    """A form is missing or lacks a widget the code expects: a packaging bug, not user input."""


def ui_path(name: str) -> Path:
    base = Path(sys._MEIPASS) / "ui" if hasattr(sys, "_MEIPASS") else UI_DIR
    return base / name


class Form:
    """A loaded form: the root widget and typed access to its named children."""

    def __init__(self, root: QWidget, name: str) -> None:
        self.root = root
        self.name = name

    def get(self, kind: type[W], object_name: str) -> W:
        found = self.root.findChild(kind, object_name)
        if found is None:
            raise FormError(f"{self.name}: no {kind.__name__} named {object_name!r}")
        return found

    def get_all(self, kind: type[W], *object_names: str) -> list[W]:
        """Several children of one kind, in the order named."""
        return [self.get(kind, name) for name in object_names]

    def layout(self, kind: type[L], object_name: str) -> L:
        found = self.root.findChild(kind, object_name)
        if found is None:
            raise FormError(f"{self.name}: no {kind.__name__} named {object_name!r}")
        return found


# Widgets of our own that forms place by class name (Qt Designer's promoted widgets): a part
# several forms share is one form of its own, loaded by its widget, instead of a copy in each.
_CUSTOM_WIDGETS: list[type[QWidget]] = []


def custom_widget(cls: type[W]) -> type[W]:
    """Let every form place ``cls`` by its class name (its constructor takes the parent)."""
    _CUSTOM_WIDGETS.append(cls)
    return cls


def load_form(name: str, host: QWidget) -> Form:
    """Load ``ui/<name>`` into ``host`` (filling it with a zero-margin layout)."""
    path = ui_path(name)
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FormError(f"cannot open form {path}")
    try:
        loader = QUiLoader()
        for cls in _CUSTOM_WIDGETS:
            loader.registerCustomWidget(cls)
        # The form retranslates its own strings when the language is switched at run time.
        loader.setLanguageChangeEnabled(True)
        root = loader.load(file, host)
    finally:
        file.close()
    if root is None:
        raise FormError(f"cannot load form {path}: {loader.errorString()}")
    layout = host.layout() or QVBoxLayout(host)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(root)
    return Form(root, name)
