#pragma once
// Text widgets of the chat. MessageText shows one message's Markdown in a transcript: read-only,
// selectable, links open, and exactly as tall as its laid-out text at its current width (a
// word-wrapped QLabel in a scroll area gets its height-for-width wrong: cut last lines, blank
// gaps). Long unbreakable words wrap anywhere rather than run past the bubble; it never scrolls
// itself (the wheel goes to the transcript). SubmitEdit is a plain-text box where Enter submits
// and Shift+Enter starts a new line (the composer and the edit box of a message).
// GUI thread only.
#include <QLabel>
#include <QPlainTextEdit>
#include <QTextBrowser>

namespace pagoda::ui {

class MessageText : public QTextBrowser {
  Q_OBJECT
 public:
  explicit MessageText(QWidget* parent = nullptr);

  void setMarkdownText(const QString& markdown);
  // The height the text needs at a widget width (frame included), from its own layout.
  int heightForTextWidth(int widget_width) const;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;

 private:
  void fitHeight();
};

class SubmitEdit : public QPlainTextEdit {
  Q_OBJECT
 public:
  using QPlainTextEdit::QPlainTextEdit;
 signals:
  void submitted();

 protected:
  void keyPressEvent(QKeyEvent* event) override;
};


}  // namespace pagoda::ui
