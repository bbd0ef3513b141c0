#pragma once
// Chat: the conversation list, the streaming transcript, the composer and per-conversation
// options (target, system prompt, sampling). An empty chat shows the welcome (ChatWelcome); a
// message sent with no model loaded stays in the composer and a banner offers a model. Narrow
// windows fold the chat list and the options away (their toggles bring them back). Deleting a
// chat can be undone for a few seconds. GUI thread only.
#include <QPlainTextEdit>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include "app/services/chat_types.h"
#include "ui/message_text.h"
#include "ui/ui_util.h"
#include "ui/services.h"

class QComboBox;
class QDoubleSpinBox;
class QHBoxLayout;
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

class ChatWelcome;
// Enter sends, Shift+Enter starts a new line.
using Composer = SubmitEdit;

class ChatPage : public QWidget {
  Q_OBJECT
 public:
  explicit ChatPage(const Services& services, QWidget* parent = nullptr);
  ~ChatPage() override;  // a deletion still undoable becomes final

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
  // The conversation's whole title (the label elides it to fit).
  QString titleText() const;
  ChatWelcome* welcome() const { return welcome_; }
  // Deletes a conversation after a few seconds unless Undo is pressed (gone from the list at once).
  void deleteWithUndo(qint64 id);
  // The folded-away panels (narrow windows, or their toggles).
  bool chatListShown() const;
  bool optionsShown() const;
  QScrollArea* transcriptArea() const { return scroll_; }

 protected:
  void resizeEvent(QResizeEvent* event) override;

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
  void updateTitle();
  void showNoModelBanner();
  void finishPendingDelete();
  void buildShortcuts();
  // The construction, in parts (chat_page_parts.cpp), in the order the constructor calls them.
  QPushButton* buildConversationList(QHBoxLayout* row);
  void buildHeader(QVBoxLayout* center_layout);
  void buildTranscript(QVBoxLayout* center_layout);
  void buildNotices(QVBoxLayout* center_layout);
  void buildComposer(QVBoxLayout* center_layout);
  void buildOptions(QHBoxLayout* row);
  void wireControls(QPushButton* new_chat);  // chat_page.cpp
  void connectServices();

  Services services_;
  qint64 conversation_id_ = 0;
  bool loading_options_ = false;
  // Conversation list
  QWidget* side_;
  QPushButton* list_toggle_;
  QPushButton* options_toggle_;
  QLineEdit* search_;
  QListWidget* conversations_;
  // Transcript
  ElidedLabel* title_;
  ChatWelcome* welcome_;
  QWidget* banner_;
  QLabel* banner_label_;
  QPushButton* banner_load_;
  QWidget* undo_bar_;
  QLabel* undo_label_;
  QTimer undo_timer_;
  qint64 pending_delete_ = 0;
  int narrow_state_ = -1;  // which panels the width allowed last (bit 0: list, bit 1: options)
  QComboBox* target_;
  QScrollArea* scroll_;
  QVBoxLayout* transcript_;
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
