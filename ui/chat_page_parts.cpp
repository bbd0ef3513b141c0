// ChatPage, continued: the construction of its parts (the conversation list, the header, the
// transcript, the notices, the composer, the options panel), the services' signals, and the
// pieces around the transcript (title, folding panels, the no-model banner, delete with undo,
// shortcuts).
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QResizeEvent>
#include <QScrollArea>
#include <QScrollBar>
#include <QShortcut>
#include <QSpinBox>
#include <QComboBox>

#include "app/services/app_settings.h"
#include "app/services/chat_service.h"
#include "app/services/chat_store.h"
#include "app/services/engine_service.h"
#include "app/services/model_library.h"
#include "ui/chat_page.h"
#include "ui/chat_welcome.h"
#include "ui/message_view.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

// Page widths (the window less its sidebar) below which a side panel folds away.
constexpr int kListMinPageWidth = 900;      // the chat list (250 px)
constexpr int kOptionsMinPageWidth = 1200;  // the options (280 px)
constexpr int kUndoDeleteMs = 6000;         // how long a deleted chat can be brought back

}  // namespace

// The conversation list with its New chat button (returned) and the undo bar under it.
QPushButton* ChatPage::buildConversationList(QHBoxLayout* row) {
  auto* side = new QFrame;
  side_ = side;
  side->setObjectName("ChatSide");
  side->setFixedWidth(250);
  auto* side_layout = new QVBoxLayout(side);
  side_layout->setContentsMargins(12, 20, 12, 12);
  auto* new_chat = new QPushButton(tr("New chat"));
  new_chat->setObjectName("Primary");
  new_chat->setToolTip(tr("New chat (Ctrl+N)"));
  search_ = new QLineEdit;
  search_->setObjectName("ChatSearch");
  search_->setPlaceholderText(tr("Search chats"));
  search_->setToolTip(tr("Search chats (Ctrl+F or Ctrl+K)"));
  search_->addAction(icon("search"), QLineEdit::LeadingPosition);
  search_->setClearButtonEnabled(true);
  conversations_ = new QListWidget;
  conversations_->setObjectName("Conversations");
  conversations_->setContextMenuPolicy(Qt::CustomContextMenu);
  side_layout->addWidget(new_chat);
  side_layout->addWidget(search_);
  side_layout->addWidget(conversations_, 1);
  // Undo for a deleted chat, under the list.
  undo_bar_ = new QFrame;
  undo_bar_->setObjectName("UndoBar");
  auto* undo_layout = new QHBoxLayout(undo_bar_);
  undo_layout->setContentsMargins(8, 4, 4, 4);
  undo_label_ = new QLabel;
  undo_label_->setWordWrap(true);
  auto* undo = new QPushButton(tr("Undo"));
  undo->setObjectName("UndoButton");
  undo_layout->addWidget(undo_label_, 1);
  undo_layout->addWidget(undo);
  undo_bar_->hide();
  side_layout->addWidget(undo_bar_);
  row->addWidget(side);
  undo_timer_.setSingleShot(true);
  undo_timer_.setInterval(kUndoDeleteMs);
  connect(&undo_timer_, &QTimer::timeout, this, &ChatPage::finishPendingDelete);
  connect(undo, &QPushButton::clicked, this, [this] {
    undo_timer_.stop();
    pending_delete_ = 0;
    undo_bar_->hide();
    reloadConversations();
  });
  return new_chat;
}

// Above the transcript: the panel toggles, the title and the target.
void ChatPage::buildHeader(QVBoxLayout* center_layout) {
  auto* header = new QHBoxLayout;
  list_toggle_ = new QPushButton(icon("chat"), tr("Chats"));
  list_toggle_->setObjectName("ChatListToggle");
  list_toggle_->setCheckable(true);
  list_toggle_->setChecked(true);
  list_toggle_->setToolTip(tr("Show or hide the list of chats"));
  title_ = new ElidedLabel({}, Qt::ElideRight);
  title_->setObjectName("PageTitle");
  title_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // elided to fit
  target_ = new QComboBox;
  target_->setObjectName("Target");
  target_->setMinimumWidth(160);
  target_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  target_->setMinimumContentsLength(14);
  options_toggle_ = new QPushButton(icon("tune"), tr("Options"));
  options_toggle_->setObjectName("OptionsToggle");
  options_toggle_->setCheckable(true);
  options_toggle_->setChecked(true);
  options_toggle_->setToolTip(tr("Show or hide the system prompt and sampling options"));
  header->addWidget(list_toggle_);
  header->addWidget(title_, 1);
  header->addWidget(target_);
  header->addWidget(options_toggle_);
  center_layout->addLayout(header);
}

// The transcript, kept at the bottom while a reader is there, and the welcome in its place.
void ChatPage::buildTranscript(QVBoxLayout* center_layout) {
  scroll_ = new QScrollArea;
  scroll_->setObjectName("Transcript");
  scroll_->setWidgetResizable(true);
  scroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  auto* transcript_widget = new QWidget;
  transcript_widget->setObjectName("Content");
  transcript_ = new QVBoxLayout(transcript_widget);
  transcript_->setContentsMargins(0, 8, 8, 8);
  transcript_->setSpacing(12);
  scroll_->setWidget(transcript_widget);
  // Bubbles settle their heights over a few layout passes: a reader at the bottom stays there.
  QScrollBar* bar = scroll_->verticalScrollBar();
  connect(bar, &QScrollBar::valueChanged, this,
          [this, bar](int value) { stick_to_bottom_ = value >= bar->maximum() - 40; });
  connect(bar, &QScrollBar::rangeChanged, this, [this, bar](int, int maximum) {
    if (stick_to_bottom_) bar->setValue(maximum);
  });
  center_layout->addWidget(scroll_, 1);
  welcome_ = new ChatWelcome(services_);
  center_layout->addWidget(welcome_, 1);
  connect(welcome_, &ChatWelcome::promptChosen, this, [this](const QString& prompt) {
    composer_->setPlainText(prompt);
    sendCurrent();
  });
}

// Between the transcript and the composer: the no-model banner and the last error.
void ChatPage::buildNotices(QVBoxLayout* center_layout) {
  // Sent with no model loaded: the message stays in the composer; one click loads a model.
  banner_ = new QFrame;
  banner_->setObjectName("NoModelBanner");
  auto* banner_layout = new QHBoxLayout(banner_);
  banner_layout->setContentsMargins(10, 6, 6, 6);
  banner_label_ = new QLabel;
  banner_label_->setWordWrap(true);
  banner_load_ = new QPushButton;
  banner_load_->setObjectName("Primary");
  banner_load_->setProperty("role", "loadOffered");
  banner_layout->addWidget(banner_label_, 1);
  banner_layout->addWidget(banner_load_);
  banner_->hide();
  center_layout->addWidget(banner_);
  connect(banner_load_, &QPushButton::clicked, this, [this] {
    loadOffered(services_, offeredModel(services_));
    showNoModelBanner();
  });

  error_ = new QLabel;
  error_->setObjectName("Problem");
  error_->setWordWrap(true);
  error_->hide();
  center_layout->addWidget(error_);
}

// The composer with Send, Stop and Regenerate, the live line of a streaming reply, the footer.
void ChatPage::buildComposer(QVBoxLayout* center_layout) {
  auto* composer_frame = new QFrame;
  composer_frame->setObjectName("Composer");
  auto* composer_layout = new QHBoxLayout(composer_frame);
  composer_layout->setContentsMargins(6, 6, 6, 6);
  composer_ = new Composer;
  composer_->setObjectName("ComposerEdit");
  composer_->setPlaceholderText(tr("Message (Enter to send, Shift+Enter for a new line)"));
  composer_->setFrameShape(QFrame::NoFrame);
  composer_->setStyleSheet("border: none; background: transparent;");
  composer_->setFixedHeight(72);
  auto* buttons = new QVBoxLayout;
  send_ = new QPushButton(tr("Send"));
  send_->setObjectName("Primary");
  send_->setToolTip(tr("Send (Enter; Shift+Enter for a new line)"));
  stop_ = new QPushButton(icon("stop"), tr("Stop"));
  stop_->setObjectName("StopButton");
  stop_->setToolTip(tr("Stop the reply (Esc)"));
  regenerate_ = new QPushButton(icon("regenerate"), tr("Regenerate"));
  regenerate_->setObjectName("RegenerateButton");
  regenerate_->setToolTip(tr("Write the last reply again (the current one stays as a version)"));
  buttons->addWidget(send_);
  buttons->addWidget(stop_);
  buttons->addWidget(regenerate_);
  composer_layout->addWidget(composer_, 1);
  composer_layout->addLayout(buttons);
  center_layout->addWidget(composer_frame);
  // While a reply streams: its speed and how full the context is.
  live_ = new QWidget;
  live_->setObjectName("LiveStats");
  auto* live_layout = new QHBoxLayout(live_);
  live_layout->setContentsMargins(0, 0, 0, 0);
  live_label_ = new QLabel;
  live_label_->setObjectName("Footer");
  live_context_ = new QProgressBar;
  live_context_->setObjectName("ContextFill");
  live_context_->setRange(0, 100);
  live_context_->setTextVisible(false);
  live_context_->setFixedWidth(120);
  live_layout->addWidget(live_label_, 1);
  live_layout->addWidget(live_context_);
  live_->hide();
  center_layout->addWidget(live_);
  footer_ = new QLabel;
  footer_->setObjectName("Footer");
  // Long lines are cut rather than widening the window (it must fit 1024 px).
  footer_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  live_label_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  center_layout->addWidget(footer_);
}

void ChatPage::buildOptions(QHBoxLayout* row) {
  // Options.
  options_ = new QFrame;
  options_->setObjectName("ChatOptions");
  options_->setFixedWidth(280);
  auto* options_layout = new QVBoxLayout(options_);
  options_layout->setContentsMargins(16, 20, 16, 16);
  auto* system_label = new QLabel(tr("System prompt"));
  system_label->setObjectName("Role");
  system_prompt_ = new QPlainTextEdit;
  system_prompt_->setObjectName("SystemPrompt");
  system_prompt_->setPlaceholderText(tr("Optional instructions for the model"));
  system_prompt_->setFixedHeight(110);
  options_layout->addWidget(system_label);
  options_layout->addWidget(system_prompt_);
  options_layout->addSpacing(8);
  auto* sampling_label = new QLabel(tr("Sampling"));
  sampling_label->setObjectName("Role");
  options_layout->addWidget(sampling_label);
  auto* form = new QFormLayout;
  form->setLabelAlignment(Qt::AlignLeft);
  preset_ = new QComboBox;
  preset_->setObjectName("Preset");
  preset_->addItem(tr("Custom"));
  preset_->addItem(tr("Precise"), "precise");
  preset_->addItem(tr("Balanced"), "balanced");
  preset_->addItem(tr("Creative"), "creative");
  preset_->addItem(tr("Model defaults"), "model");
  temperature_ = new QDoubleSpinBox;
  temperature_->setRange(0, 2);
  temperature_->setSingleStep(0.05);
  top_p_ = new QDoubleSpinBox;
  top_p_->setRange(0.01, 1);
  top_p_->setSingleStep(0.05);
  top_k_ = new QSpinBox;
  top_k_->setRange(0, 1000);
  top_k_->setSpecialValueText(tr("off"));
  max_tokens_ = new QSpinBox;
  max_tokens_->setRange(1, 1 << 20);
  repetition_penalty_ = new QDoubleSpinBox;
  repetition_penalty_->setRange(0.5, 2);
  repetition_penalty_->setSingleStep(0.01);
  seed_ = new QSpinBox;
  seed_->setRange(-1, std::numeric_limits<int>::max());
  seed_->setSpecialValueText(tr("random"));
  form->addRow(tr("Preset"), preset_);
  form->addRow(tr("Temperature"), temperature_);
  form->addRow(tr("Top-p"), top_p_);
  form->addRow(tr("Top-k"), top_k_);
  form->addRow(tr("Max tokens"), max_tokens_);
  form->addRow(tr("Repetition penalty"), repetition_penalty_);
  form->addRow(tr("Seed"), seed_);
  options_layout->addLayout(form);
  options_layout->addStretch();
  row->addWidget(options_);
}

void ChatPage::connectServices() {
  connect(services_.store, &app::ChatStore::conversationsChanged, this,
          &ChatPage::reloadConversations);
  connect(services_.chat, &app::ChatService::noModel, this, [this](qint64 conversation) {
    if (conversation == conversation_id_) showNoModelBanner();
  });
  connect(services_.chat, &app::ChatService::messagesChanged, this, [this](qint64 id) {
    if (id == conversation_id_) reloadTranscript();
    updateButtons();
  });
  connect(services_.chat, &app::ChatService::streamUpdated, this,
          [this](qint64 conversation, qint64, const QString& text) {
            if (conversation != conversation_id_) return;
            stream_text_ = text;
            if (!render_timer_.isActive()) render_timer_.start();
          });
  connect(services_.chat, &app::ChatService::generationStarted, this,
          [this](qint64 conversation) {
            if (conversation == conversation_id_) showLive({}, services_.chat->streamingContextLength());
          });
  connect(services_.chat, &app::ChatService::streamStats, this,
          [this](qint64 conversation, qint64, const app::GenerationStats& so_far, int context) {
            if (conversation == conversation_id_) showLive(so_far, context);
          });
  connect(services_.chat, &app::ChatService::generationFinished, this,
          [this](qint64 conversation, qint64 message, const QString& state,
                 const app::GenerationStats& stats, const QString& error) {
            render_timer_.stop();
            live_->hide();
            if (conversation == conversation_id_) {
              // Keep the reader where they were: at the bottom if they were there.
              QScrollBar* bar = scroll_->verticalScrollBar();
              const bool at_bottom = bar->value() >= bar->maximum() - 40;
              const int position = bar->value();
              // Only the streamed message changed: update it in place instead of rebuilding.
              if (streaming_view_ && streaming_view_->messageId() == message) {
                streaming_view_->setText(services_.store->message(message).content, state);
                streaming_view_->setStats(stats);
              } else
                reloadTranscript();
              streaming_view_ = nullptr;
              if (at_bottom)
                scrollToBottom();
              else
                QTimer::singleShot(0, this, [this, position] {
                  scroll_->verticalScrollBar()->setValue(position);
                });
            }
            if (conversation == conversation_id_ && state == app::kStateError) showError(error);
            if (state != app::kStateError)
              footer_->setText(tr("Last reply: %1 tokens · %2 tokens/s · time to first token %3 s")
                                   .arg(stats.completion_tokens)
                                   .arg(stats.tokens_per_s, 0, 'f', 1)
                                   .arg(stats.ttft_s, 0, 'f', 2));
            updateButtons();
          });
  connect(services_.chat, &app::ChatService::error, this, &ChatPage::showError);
  auto targets_changed = [this] {
    if (conversation_id_) loadOptions();
    updateButtons();
    if (services_.engine->isLoaded()) banner_->hide();
  };
  connect(services_.engine, &app::EngineService::loaded, this, targets_changed);
  connect(services_.engine, &app::EngineService::unloaded, this, targets_changed);
  connect(services_.settings, &app::AppSettings::remoteEndpointsChanged, this, targets_changed);
  connect(services_.engine, &app::EngineService::loadFailed, this, [this] {
    if (banner_->isVisible()) showNoModelBanner();
  });
  buildShortcuts();
}

void ChatPage::updateTitle() {
  title_->setFullText(conversation_id_ ? services_.store->conversation(conversation_id_).title
                                       : tr("Chat"));
}

QString ChatPage::titleText() const {
  return title_->fullText();
}

void ChatPage::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  // Fold the side panels away when the window gets narrow (and back when it widens); the
  // toggles still show them on request.
  const int state =
      (width() >= kListMinPageWidth ? 1 : 0) | (width() >= kOptionsMinPageWidth ? 2 : 0);
  if (state != narrow_state_) {
    narrow_state_ = state;
    list_toggle_->setChecked(state & 1);
    options_toggle_->setChecked(state & 2);
  }
}

bool ChatPage::chatListShown() const {
  return !side_->isHidden();
}

bool ChatPage::optionsShown() const {
  return !options_->isHidden();
}

void ChatPage::showNoModelBanner() {
  const ModelOffer offer = offeredModel(services_);
  if (services_.engine->isLoading()) {
    banner_label_->setText(tr("Loading %1… Your message stays in the box: press Enter once it "
                              "is loaded.")
                               .arg(services_.engine->loadingPath()));
  } else {
    banner_label_->setText(tr("No model is loaded. Your message was not sent; it stays in the "
                              "box."));
  }
  banner_load_->setText(ChatWelcome::loadText(offer));
  banner_load_->setVisible(!offer.path.isEmpty() && !services_.engine->isLoading());
  banner_->show();
  error_->hide();  // the banner says it
}

void ChatPage::deleteWithUndo(qint64 id) {
  finishPendingDelete();  // one undo at a time: an earlier deletion becomes final
  if (services_.chat->isGenerating() && services_.chat->generatingConversation() == id)
    services_.chat->stop();
  pending_delete_ = id;
  undo_label_->setText(
      tr("Deleted “%1”").arg(undo_label_->fontMetrics().elidedText(
          services_.store->conversation(id).title, Qt::ElideRight, 140)));
  undo_bar_->show();
  undo_timer_.start();
  if (id == conversation_id_) selectConversation(0);
  reloadConversations();
}

void ChatPage::finishPendingDelete() {
  undo_timer_.stop();
  undo_bar_->hide();
  if (!pending_delete_) return;
  const qint64 id = pending_delete_;
  pending_delete_ = 0;
  services_.store->deleteConversation(id);
}

void ChatPage::buildShortcuts() {
  // Page-wide (this page and its children), so they work from the composer too.
  auto add = [this](const QKeySequence& keys, auto slot) {
    auto* shortcut = new QShortcut(keys, this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, slot);
  };
  add(QKeySequence(Qt::CTRL | Qt::Key_N), [this] { newConversation(); });
  add(QKeySequence(Qt::Key_Escape), [this] {
    if (services_.chat->isGenerating() &&
        services_.chat->generatingConversation() == conversation_id_) {
      composer_->setFocus();
      services_.chat->stop();
    }
  });
  for (const QKeySequence& keys : {QKeySequence(Qt::CTRL | Qt::Key_F), QKeySequence(Qt::CTRL | Qt::Key_K)})
    add(keys, [this] {
      list_toggle_->setChecked(true);
      search_->setFocus();
      search_->selectAll();
    });
}

}  // namespace pagoda::ui
