#include "ui/message_text.h"

#include <QAbstractTextDocumentLayout>
#include <QKeyEvent>
#include <QScrollBar>
#include <QTextDocument>
#include <QWheelEvent>
#include <cmath>
#include <memory>

namespace pagoda::ui {

MessageText::MessageText(QWidget* parent) : QTextBrowser(parent) {
  setFrameShape(QFrame::NoFrame);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
  setLineWrapMode(QTextEdit::WidgetWidth);
  setOpenExternalLinks(true);
  setFocusPolicy(Qt::ClickFocus);  // Tab goes composer -> buttons, not through every bubble
  document()->setDocumentMargin(2);
  viewport()->setAutoFillBackground(false);
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

void MessageText::setMarkdownText(const QString& markdown) {
  // Markdown parsing resets the document's options: keep the wrap mode ours.
  setMarkdown(markdown);
  fitHeight();
}

int MessageText::heightForTextWidth(int widget_width) const {
  const int frame = 2 * frameWidth();
  const int text_width = std::max(1, widget_width - frame);
  if (text_width == int(document()->textWidth()))
    return int(std::ceil(document()->size().height())) + frame;
  // Another width: lay out a copy (the shown document keeps its own width).
  std::unique_ptr<QTextDocument> copy(document()->clone());
  copy->setTextWidth(text_width);
  return int(std::ceil(copy->size().height())) + frame;
}

QSize MessageText::sizeHint() const {
  // The bubble's layout gives the width; the height is the text's at that width.
  return {400, height()};
}

QSize MessageText::minimumSizeHint() const {
  return {60, height()};
}

void MessageText::resizeEvent(QResizeEvent* event) {
  QTextBrowser::resizeEvent(event);  // sets the document's width to the viewport's
  fitHeight();
}

void MessageText::wheelEvent(QWheelEvent* event) {
  event->ignore();  // to the transcript's scroll area
}

void MessageText::fitHeight() {
  document()->setTextWidth(std::max(1, viewport()->width()));
  const int needed = heightForTextWidth(width());
  if (needed != height() || minimumHeight() != needed) {
    setFixedHeight(needed);
    updateGeometry();
  }
  verticalScrollBar()->setValue(0);
}

void SubmitEdit::keyPressEvent(QKeyEvent* event) {
  if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) &&
      !(event->modifiers() & (Qt::ShiftModifier | Qt::ControlModifier | Qt::AltModifier))) {
    emit submitted();
    return;
  }
  QPlainTextEdit::keyPressEvent(event);
}

}  // namespace pagoda::ui
