"""The subscriber's screen (双屏): a second top-level window facing the subscriber.

On the second monitor when the machine has one (else an ordinary window the clerk can move),
the subscriber reads and scrolls the agreement, sees the fee, the amount tendered and the change
as the clerk types them, and signs on a pad with mouse, pen or touch. The clerk's agreement page
owns the window's content (it starts it with the agreement text and reads the signature back);
the fee page mirrors its figures into it. What is shown and the signature's hash are plain data
(:mod:`counter_app.domain.signature`); this module only draws them.

One window per :class:`GuiContext` (``context.subscriber_screen``), reused by each wizard.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QPointF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from counter_app.domain.signature import FeeShown, Signature
from counter_app.gui.context import GuiContext
from counter_app.gui.widgets import hbox, text_label

PAD_SIZE = QSize(600, 200)
INK = QColor(16, 32, 96)


class SignaturePad(QWidget):
    """A surface the subscriber signs on: strokes from mouse, tablet pen or touch, kept as one
    QPainterPath and exported as PNG. Hand-written because Qt has no signature widget."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signature_pad")
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setMinimumSize(PAD_SIZE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.path = QPainterPath()
        self._drawing = False

    def sizeHint(self) -> QSize:
        return PAD_SIZE

    def is_empty(self) -> bool:
        return self.path.isEmpty()

    def clear(self) -> None:
        self.path = QPainterPath()
        self._drawing = False
        self.update()
        self.changed.emit()

    # -- strokes --------------------------------------------------------------------------------
    def _begin(self, at: QPointF) -> None:
        self._drawing = True
        self.path.moveTo(at)
        # A dot (a tap) is a stroke too: a zero-length line is still drawn with a round cap.
        self.path.lineTo(at + QPointF(0.01, 0.01))
        self.update()

    def _extend(self, at: QPointF) -> None:
        if self._drawing:
            self.path.lineTo(at)
            self.update()

    def _end(self) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._end()
        event.accept()  # no synthesised mouse events: the stroke would be drawn twice

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        touch = (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd)
        if kind in touch and isinstance(event, QTouchEvent):
            points = event.points()
            if points:
                at = points[0].position()
                if kind == QEvent.Type.TouchBegin:
                    self._begin(at)
                elif kind == QEvent.Type.TouchUpdate:
                    self._extend(at)
                else:
                    self._end()
            event.accept()
            return True
        return super().event(event)

    # -- drawing and export -----------------------------------------------------------------
    def _draw(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(INK, 4.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawPath(self.path)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        painter.setPen(QPen(QColor(160, 160, 160), 1, Qt.PenStyle.DashLine))
        baseline = int(self.height() * 0.75)
        painter.drawLine(16, baseline, self.width() - 16, baseline)
        self._draw(painter)
        painter.end()

    def png(self) -> bytes:
        """The strokes on white, the pad's size, as PNG bytes (empty when nothing is drawn)."""
        if self.is_empty():
            return b""
        size = self.size().expandedTo(PAD_SIZE)
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        self._draw(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # str at run time
        buffer.close()
        return bytes(data.data())


class SubscriberScreen(QWidget):
    """The window facing the subscriber: agreement, fee, tendered, change and the pad."""

    # The signature's PNG after each stroke, or None when cleared.
    signature_changed = Signal(object)

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("subscriber_screen")
        # Closing the clerk's window ends the program even while this one is open.
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.signature: Signature | None = None
        self.shown_fee = FeeShown()

        self.heading = text_label(self, "heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.heading.setFont(font)
        self.agreement_view = QPlainTextEdit(self)
        self.agreement_view.setObjectName("agreement_view")
        self.agreement_view.setReadOnly(True)
        # Read at arm's length across the counter: larger than the clerk's copy.
        reading = self.agreement_view.font()
        reading.setPointSizeF(reading.pointSizeF() * 1.2)
        self.agreement_view.setFont(reading)
        # Touch screens scroll by dragging the text (no tiny scroll bar to hit).
        QScroller.grabGesture(
            self.agreement_view.viewport(), QScroller.ScrollerGestureType.TouchGesture
        )

        self.fee_box = QGroupBox(self)
        rows = QFormLayout(self.fee_box)
        self.fee_label, self.tendered_label, self.change_label = QLabel(), QLabel(), QLabel()
        self.fee_value, self.tendered_value, self.change_value = QLabel(), QLabel(), QLabel()
        for name, label, value in (
            ("fee", self.fee_label, self.fee_value),
            ("tendered", self.tendered_label, self.tendered_value),
            ("change", self.change_label, self.change_value),
        ):
            value.setObjectName(f"{name}_value")
            big = value.font()
            big.setPointSizeF(big.pointSizeF() * 1.4)
            value.setFont(big)
            rows.addRow(label, value)
        self._rows = rows

        self.sign_box = QGroupBox(self)
        self.pad = SignaturePad(self.sign_box)
        self.clear_button = QPushButton(self.sign_box)
        self.clear_button.setObjectName("clear_signature")
        self.clear_button.clicked.connect(self.pad.clear)
        self.sign_hint = text_label(self.sign_box, wrap=True)
        sign_layout = QVBoxLayout(self.sign_box)
        sign_layout.addWidget(self.sign_hint)
        sign_layout.addWidget(self.pad)
        sign_layout.addLayout(hbox(right=[self.clear_button]))
        self.pad.changed.connect(self._pad_changed)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.agreement_view, 1)
        layout.addWidget(self.fee_box)
        layout.addWidget(self.sign_box)
        self.retranslate()
        self.show_fee(FeeShown())

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("For the subscriber"))
        self.heading.setText(self.tr("Please read the agreement, check the fee and sign below"))
        self.fee_box.setTitle(self.tr("Payment"))
        self.fee_label.setText(self.tr("Fee:"))
        self.tendered_label.setText(self.tr("Amount tendered:"))
        self.change_label.setText(self.tr("Change:"))
        self.sign_box.setTitle(self.tr("Your signature"))
        self.sign_hint.setText(
            self.tr("Sign in the white box with the mouse, a pen or your finger.")
        )
        self.clear_button.setText(self.tr("&Clear"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- what the clerk's pages put here ----------------------------------------------------
    def start(self, agreement_text: str) -> None:
        """A new subscriber: the agreement from the top, no fee yet, an empty pad."""
        self.agreement_view.setPlainText(agreement_text)
        self.agreement_view.verticalScrollBar().setValue(0)
        self.show_fee(FeeShown())
        if not self.pad.is_empty():
            self.pad.clear()
        self.signature = None

    def show_fee(self, shown: FeeShown) -> None:
        self.shown_fee = shown
        for label, value, text in (
            (self.fee_label, self.fee_value, shown.fee),
            (self.tendered_label, self.tendered_value, shown.tendered),
            (self.change_label, self.change_value, shown.change),
        ):
            value.setText(text or "")
            self._rows.setRowVisible(label, text is not None)
        self.fee_box.setVisible(shown.fee is not None)

    def _pad_changed(self) -> None:
        png = self.pad.png()
        self.signature = Signature.of(png) if png else None
        self.signature_changed.emit(self.signature)

    def present(self) -> None:
        """Show on the second monitor when there is one, else as a movable window."""
        screens = QGuiApplication.screens()
        primary = QGuiApplication.primaryScreen()
        others = [s for s in screens if s is not primary]
        if others:
            target = others[0]
            self.setScreen(target)
            self.setGeometry(target.availableGeometry())
            self.showMaximized()
        else:
            if not self.isVisible():
                self.resize(760, 820)
            self.show()
        self.raise_()


def subscriber_screen(context: GuiContext, *, create: bool = True) -> SubscriberScreen | None:
    """The context's subscriber screen, made on first use (``create=False``: only if made)."""
    screen = context.subscriber_screen
    if isinstance(screen, SubscriberScreen):
        return screen
    if not create:
        return None
    screen = SubscriberScreen()
    context.subscriber_screen = screen
    return screen


def second_monitor() -> bool:
    return len(QGuiApplication.screens()) > 1
