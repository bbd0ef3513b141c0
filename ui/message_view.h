#pragma once
// One message of a transcript: Markdown body, collapsed <think> reasoning, and its actions
// (copy, copy code, edit-and-resend for the user's messages, regenerate for the last reply), and
// "< 2/3 >" to flip between the versions of a message (regenerated replies, edited questions).
// GUI thread only.
#include <QFrame>

#include "app/services/chat_types.h"

class QAction;
class QLabel;
class QToolButton;
class QVBoxLayout;

namespace pagoda::ui {

class MessageText;
class SubmitEdit;

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
  MessageText* body() const { return body_; }
  // "2/3" when the message has versions, else empty.
  QString versionText() const;

 signals:
  void editSubmitted(qint64 message_id, const QString& text);
  void regenerateRequested();
  // The previous (-1) or next (+1) version of this message was asked for.
  void versionRequested(qint64 message_id, int step);

 private:
  // The construction, in parts (the body and the reasoning are built in the constructor).
  void buildHeader(QVBoxLayout* layout, bool user);
  void buildEditor(QVBoxLayout* layout);
  void buildActions(QVBoxLayout* layout, bool user, bool is_last_reply, QAction* copy_all,
                    QAction* copy_code);
  void render();
  void showEditor(bool editing);

  app::ChatMessage message_;
  QString answer_;
  QString reasoning_;
  MessageText* body_ = nullptr;
  QWidget* versions_ = nullptr;
  QLabel* version_label_ = nullptr;
  QLabel* state_ = nullptr;
  QLabel* stats_ = nullptr;
  QToolButton* reasoning_toggle_ = nullptr;
  QLabel* reasoning_label_ = nullptr;
  QWidget* edit_page_ = nullptr;
  SubmitEdit* editor_ = nullptr;
  QWidget* actions_ = nullptr;
  QToolButton* copy_code_ = nullptr;
};

}  // namespace pagoda::ui
