#pragma once
// Chat: the conversation list, the streaming transcript, the composer and per-conversation
// options (target, system prompt, sampling).
#include <QPlainTextEdit>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include "app/services/chat_types.h"
#include "ui/services.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QVBoxLayout;

namespace pagoda::ui {

class MessageView;

// Enter sends, Shift+Enter starts a new line.
class Composer : public QPlainTextEdit {
  Q_OBJECT
 public:
  using QPlainTextEdit::QPlainTextEdit;
 signals:
  void submitted();

 protected:
  void keyPressEvent(QKeyEvent* event) override;
};

class ChatPage : public QWidget {
  Q_OBJECT
 public:
  explicit ChatPage(const Services& services, QWidget* parent = nullptr);

  qint64 currentConversation() const { return conversation_id_; }
  void selectConversation(qint64 id);
  qint64 newConversation();
  void sendCurrent();  // what the Send button does
  QList<MessageView*> messageViews() const;
  Composer* composer() const { return composer_; }
  QString footerText() const;
  // The live line while a reply streams here (empty otherwise) and its context fill in percent.
  QString liveText() const;
  int liveContextPercent() const;

 private:
  void reloadConversations();
  void reloadTranscript();
  void loadOptions();
  void saveSampling();
  void applyPreset(int index);
  void updateButtons();
  void renderStream();
  void scrollToBottom();
  void showError(const QString& message);
  void showLive(const app::GenerationStats& so_far, int context_length);
  void exportConversation(qint64 id, bool json);

  Services services_;
  qint64 conversation_id_ = 0;
  bool loading_options_ = false;
  // Conversation list
  QLineEdit* search_;
  QListWidget* conversations_;
  // Transcript
  QLabel* title_;
  QComboBox* target_;
  QScrollArea* scroll_;
  QVBoxLayout* transcript_;
  QLabel* empty_hint_;
  QLabel* error_;
  Composer* composer_;
  QPushButton* send_;
  QPushButton* stop_;
  QPushButton* regenerate_;
  QLabel* footer_;
  QWidget* live_;
  QLabel* live_label_;
  QProgressBar* live_context_;
  // Options
  QWidget* options_;
  QPlainTextEdit* system_prompt_;
  QComboBox* preset_;
  QDoubleSpinBox* temperature_;
  QDoubleSpinBox* top_p_;
  QSpinBox* top_k_;
  QSpinBox* max_tokens_;
  QDoubleSpinBox* repetition_penalty_;
  QSpinBox* seed_;
  QTimer system_prompt_timer_;
  // Streaming: re-render at most every 40 ms however fast deltas arrive.
  QTimer render_timer_;
  QPointer<MessageView> streaming_view_;
  QString stream_text_;
  bool stick_to_bottom_ = true;
};

}  // namespace pagoda::ui
