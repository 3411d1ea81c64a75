"""Errors of the document layer: what a clerk sees when a document cannot be made."""

from __future__ import annotations

from counter_app.domain.errors import CounterError


class CJKFontMissing(CounterError):
    """No Chinese font: refusing is better than a receipt whose Chinese silently vanished."""

    code = "cjk_font_missing"
    zh = "找不到中文字体，无法生成单据；请安装 Debian 软件包 {package}（或设置 {env}）"
    en = "no Chinese font found, cannot render documents; install the Debian package {package} (or set {env})"


class FontUnusable(CounterError):
    code = "font_unusable"
    zh = "中文字体文件无法使用：{path}：{detail}"
    en = "the Chinese font file cannot be used: {path}: {detail}"


class DocumentError(CounterError):
    code = "document_error"
    zh = "单据生成失败：{detail}"
    en = "the document could not be made: {detail}"


class MissingGlyphs(CounterError):
    """A name with a character the font lacks: refused rather than printed with a gap."""

    code = "missing_glyphs"
    zh = "单据字体缺少以下字符，无法打印：{chars}（{where}）"
    en = "the document font cannot draw these characters: {chars} ({where})"
