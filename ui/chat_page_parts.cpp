// ChatPage, continued: the options panel, the services' signals, and the pieces around the
// transcript (title, folding panels, the no-model banner, delete with undo, shortcuts).
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

}  // namespace

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
