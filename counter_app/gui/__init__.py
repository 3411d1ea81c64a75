"""The counter's Qt face (PySide6). Nothing here decides a business rule: it calls ``services/``.

The only package under ``counter_app`` that imports PySide6. Forms are Qt Designer files in the
top-level ``ui/`` directory, loaded at run time by :mod:`counter_app.gui.forms` (QUiLoader), so a
form can be edited in Designer without a build step; translations come from ``resources/i18n``.
"""
