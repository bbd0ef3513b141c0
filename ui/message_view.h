#pragma once
// One message of a transcript: Markdown body, collapsed <think> reasoning, and its actions
// (copy, copy code, edit-and-resend for the user's messages, regenerate for the last reply).
#include <QFrame>

#include "app/services/chat_types.h"

class QLabel;
class QPlainTextEdit;
class QToolButton;

namespace pagoda::ui {

class MessageView : public QFrame {
  Q_OBJECT
 public:
  MessageView(const app::ChatMessage& message, bool is_last_reply, QWidget* parent = nullptr);

  qint64 messageId() const { return message_.id; }
  QString role() const { return message_.role; }
  void setText(const QString& text, const QString& state);
  // The reply's numbers (prompt, cached, TTFT, speed), shown under a finished reply.
  void setStats(const app::GenerationStats& stats);
  QString statsText() const;
  // The shown answer (Markdown source, reasoning removed).
  QString answerText() const { return answer_; }
  QString reasoningText() const { return reasoning_; }
  bool reasoningExpanded() const;
  void startEdit();
  void setActionsEnabled(bool enabled);

 signals:
  void editSubmitted(qint64 message_id, const QString& text);
  void regenerateRequested();

 private:
  void render();
  void showEditor(bool editing);

  app::ChatMessage message_;
  QString answer_;
  QString reasoning_;
  QLabel* body_ = nullptr;
  QLabel* state_ = nullptr;
  QLabel* stats_ = nullptr;
  QToolButton* reasoning_toggle_ = nullptr;
  QLabel* reasoning_label_ = nullptr;
  QWidget* edit_page_ = nullptr;
  QPlainTextEdit* editor_ = nullptr;
  QWidget* actions_ = nullptr;
  QToolButton* copy_code_ = nullptr;
};

}  // namespace pagoda::ui
