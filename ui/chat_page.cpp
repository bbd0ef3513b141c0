#include "ui/chat_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QResizeEvent>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QShortcut>
#include <QSpinBox>
#include <QVBoxLayout>

#include "app/services/app_settings.h"
#include "app/services/chat_service.h"
#include "app/services/chat_store.h"
#include "app/services/engine_service.h"
#include "app/services/model_library.h"
#include "ui/chat_welcome.h"
#include "ui/message_view.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

constexpr int kUndoDeleteMs = 6000;

}  // namespace

ChatPage::ChatPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  auto* row = new QHBoxLayout(this);
  // The side panels fold away below a width (resizeEvent): they must not hold the window wider.
  row->setSizeConstraint(QLayout::SetNoConstraint);
  setMinimumWidth(560);
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(0);

  // Conversation list.
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

  // Transcript and composer.
  auto* center = new QWidget;
  auto* center_layout = new QVBoxLayout(center);
  center_layout->setContentsMargins(24, 18, 24, 12);
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
  row->addWidget(center, 1);

  buildOptions(row);
  connect(options_toggle_, &QPushButton::toggled, options_, &QWidget::setVisible);
  connect(list_toggle_, &QPushButton::toggled, side_, &QWidget::setVisible);

  render_timer_.setSingleShot(true);
  render_timer_.setInterval(40);
  connect(&render_timer_, &QTimer::timeout, this, &ChatPage::renderStream);
  system_prompt_timer_.setSingleShot(true);
  system_prompt_timer_.setInterval(400);
  connect(&system_prompt_timer_, &QTimer::timeout, this, [this] {
    if (conversation_id_)
      services_.store->setSystemPrompt(conversation_id_, system_prompt_->toPlainText());
  });
  connect(system_prompt_, &QPlainTextEdit::textChanged, this, [this] {
    if (!loading_options_) system_prompt_timer_.start();
  });

  connect(new_chat, &QPushButton::clicked, this, &ChatPage::newConversation);
  connect(search_, &QLineEdit::textChanged, this, &ChatPage::reloadConversations);
  connect(conversations_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) selectConversation(item->data(Qt::UserRole).toLongLong());
  });
  connect(conversations_, &QListWidget::customContextMenuRequested, this, [this](QPoint pos) {
    QListWidgetItem* item = conversations_->itemAt(pos);
    if (!item) return;
    const qint64 id = item->data(Qt::UserRole).toLongLong();
    QMenu menu;
    menu.addAction(tr("Rename…"), this, [this, id] {
      bool ok = false;
      const QString title =
          QInputDialog::getText(this, tr("Rename chat"), tr("Title"), QLineEdit::Normal,
                                services_.store->conversation(id).title, &ok);
      if (ok && !title.trimmed().isEmpty())
        services_.store->renameConversation(id, title.trimmed());
    });
    menu.addAction(tr("Export as Markdown…"), this, [this, id] { exportConversation(id, false); });
    menu.addAction(tr("Export as JSON…"), this, [this, id] { exportConversation(id, true); });
    menu.addSeparator();
    menu.addAction(tr("Delete"), this, [this, id] { deleteWithUndo(id); });
    menu.exec(conversations_->viewport()->mapToGlobal(pos));
  });
  connect(composer_, &Composer::submitted, this, &ChatPage::sendCurrent);
  connect(send_, &QPushButton::clicked, this, &ChatPage::sendCurrent);
  connect(stop_, &QPushButton::clicked, this, [this] {
    composer_->setFocus();  // before Stop hides itself: focus must not wander to the options
    services_.chat->stop();
  });
  connect(regenerate_, &QPushButton::clicked, this, [this] {
    error_->hide();
    services_.chat->regenerate(conversation_id_);
  });
  connect(target_, &QComboBox::activated, this, [this] {
    if (conversation_id_)
      services_.store->setTarget(conversation_id_, target_->currentData().toString());
    updateButtons();
  });
  connect(preset_, &QComboBox::activated, this, &ChatPage::applyPreset);
  for (QDoubleSpinBox* box : {temperature_, top_p_, repetition_penalty_})
    connect(box, &QDoubleSpinBox::valueChanged, this, [this] {
      if (!loading_options_) preset_->setCurrentIndex(0), saveSampling();
    });
  for (QSpinBox* box : {top_k_, max_tokens_, seed_})
    connect(box, &QSpinBox::valueChanged, this, [this] {
      if (!loading_options_) preset_->setCurrentIndex(0), saveSampling();
    });

  connectServices();

  footer_->setText(tr("Replies show their token count, speed and time to first token here."));
  reloadConversations();
  if (conversations_->count() > 0)
    conversations_->setCurrentRow(0);
  else
    selectConversation(0);
}

ChatPage::~ChatPage() {
  finishPendingDelete();
}

qint64 ChatPage::newConversation() {
  const QString target =
      services_.engine->isLoaded() || services_.settings->remoteEndpoints().isEmpty()
          ? QStringLiteral("local")
          : "remote:" + services_.settings->remoteEndpoints().first().id;
  app::SamplingSettings sampling;
  if (services_.engine->isLoaded() && services_.engine->info().has_defaults)
    sampling = services_.engine->info().defaults;
  const qint64 id = services_.store->createConversation(tr("New chat"), {}, target, sampling);
  search_->clear();
  selectConversation(id);
  composer_->setFocus();
  return id;
}

void ChatPage::reloadConversations() {
  const QSignalBlocker block(conversations_);
  conversations_->clear();
  for (const app::ConversationInfo& c : services_.store->conversations(search_->text())) {
    if (c.id == pending_delete_) continue;  // deleted, still undoable
    auto* item = new QListWidgetItem(c.title, conversations_);
    item->setData(Qt::UserRole, c.id);
    item->setToolTip(c.updated.toString(QLocale().dateTimeFormat(QLocale::ShortFormat)));
    if (c.id == conversation_id_) conversations_->setCurrentItem(item);
  }
  updateTitle();  // a rename
}

void ChatPage::selectConversation(qint64 id) {
  if (id != 0 && services_.store->conversation(id).id == 0) id = 0;
  conversation_id_ = id;
  error_->hide();
  {
    const QSignalBlocker block(conversations_);
    for (int i = 0; i < conversations_->count(); ++i)
      if (conversations_->item(i)->data(Qt::UserRole).toLongLong() == id)
        conversations_->setCurrentRow(i);
  }
  banner_->hide();
  updateTitle();
  if (services_.chat->isGenerating() && services_.chat->generatingConversation() == id)
    showLive(services_.chat->streamingStats(), services_.chat->streamingContextLength());
  else
    live_->hide();
  loadOptions();
  reloadTranscript();
  updateButtons();
}

void ChatPage::loadOptions() {
  loading_options_ = true;
  const app::ConversationInfo c = services_.store->conversation(conversation_id_);
  target_->clear();
  const QString local_name = services_.engine->isLoaded()
                                 ? tr("Local: %1").arg(services_.engine->info().name)
                                 : tr("Local model (none loaded)");
  target_->addItem(icon("models"), local_name, "local");
  for (const app::RemoteEndpoint& e : services_.settings->remoteEndpoints())
    target_->addItem(icon("server"), tr("Remote: %1").arg(e.name), "remote:" + e.id);
  target_->setCurrentIndex(std::max(0, target_->findData(c.target)));
  system_prompt_->setPlainText(c.system_prompt);
  temperature_->setValue(c.sampling.temperature);
  top_p_->setValue(c.sampling.top_p);
  top_k_->setValue(c.sampling.top_k);
  max_tokens_->setValue(c.sampling.max_tokens);
  repetition_penalty_->setValue(c.sampling.repetition_penalty);
  seed_->setValue(static_cast<int>(c.sampling.seed));
  preset_->setCurrentIndex(0);
  for (int i = 1; i < preset_->count(); ++i)
    if (app::SamplingSettings::preset(preset_->itemData(i).toString()) == c.sampling &&
        preset_->itemData(i) != "model")
      preset_->setCurrentIndex(i);
  options_->setEnabled(conversation_id_ != 0);
  loading_options_ = false;
}

void ChatPage::applyPreset(int index) {
  const QString name = preset_->itemData(index).toString();
  if (name.isEmpty() || !conversation_id_) return;
  app::SamplingSettings s = app::SamplingSettings::preset(name);
  if (name == "model") {
    s = services_.engine->isLoaded() ? services_.engine->info().defaults : app::SamplingSettings{};
  }
  services_.store->setSampling(conversation_id_, s);
  loadOptions();
  preset_->setCurrentIndex(index);
}

void ChatPage::saveSampling() {
  if (!conversation_id_) return;
  app::SamplingSettings s;
  s.temperature = temperature_->value();
  s.top_p = top_p_->value();
  s.top_k = top_k_->value();
  s.max_tokens = max_tokens_->value();
  s.repetition_penalty = repetition_penalty_->value();
  s.seed = seed_->value();
  services_.store->setSampling(conversation_id_, s);
}

void ChatPage::reloadTranscript() {
  render_timer_.stop();
  clearLayout(transcript_);
  streaming_view_ = nullptr;
  const QList<app::ChatMessage> messages =
      conversation_id_ ? services_.store->messages(conversation_id_) : QList<app::ChatMessage>{};
  qint64 last_reply = 0;
  if (!messages.isEmpty() && messages.last().role == "assistant") last_reply = messages.last().id;
  const bool streaming_here = services_.chat->isGenerating() &&
                              services_.chat->generatingConversation() == conversation_id_;
  for (const app::ChatMessage& m : messages) {
    if (m.role != "user" && m.role != "assistant") continue;
    auto* view = new MessageView(m, m.id == last_reply);
    if (streaming_here && m.id == services_.chat->streamingMessageId()) {
      view->setText(services_.chat->streamingText(), app::kStateStreaming);
      streaming_view_ = view;
    }
    connect(view, &MessageView::editSubmitted, this, [this](qint64 id, const QString& text) {
      error_->hide();
      composer_->setFocus();  // the edit box goes away with the transcript's reload
      services_.chat->editAndResend(conversation_id_, id, text);
    });
    connect(view, &MessageView::regenerateRequested, this, [this] {
      error_->hide();
      services_.chat->regenerate(conversation_id_);
    });
    connect(view, &MessageView::versionRequested, this, [this](qint64 id, int step) {
      const QList<qint64> versions = services_.store->siblings(id);
      const int to = int(versions.indexOf(id)) + step;
      if (to >= 0 && to < versions.size())
        services_.chat->selectVersion(conversation_id_, versions[to]);
    });
    const bool user = m.role == "user";
    auto* line = new QHBoxLayout;
    if (user) line->addStretch(1);
    line->addWidget(view, 4);
    if (!user) line->addStretch(1);
    transcript_->addLayout(line);
  }
  transcript_->addStretch();
  // An empty chat (or none) shows the welcome instead of a blank transcript.
  welcome_->setVisible(messages.isEmpty());
  scroll_->setVisible(!messages.isEmpty());
  stick_to_bottom_ = true;
  scrollToBottom();
}

QList<MessageView*> ChatPage::messageViews() const {
  return scroll_->widget()->findChildren<MessageView*>();
}

void ChatPage::renderStream() {
  if (!streaming_view_) return;
  QScrollBar* bar = scroll_->verticalScrollBar();
  stick_to_bottom_ = bar->value() >= bar->maximum() - 40;
  streaming_view_->setText(stream_text_, app::kStateStreaming);
  if (stick_to_bottom_) scrollToBottom();
}

void ChatPage::scrollToBottom() {
  // After the layout has taken the new height into account.
  QTimer::singleShot(0, this, [this] {
    scroll_->verticalScrollBar()->setValue(scroll_->verticalScrollBar()->maximum());
  });
}

void ChatPage::sendCurrent() {
  const QString text = composer_->toPlainText().trimmed();
  if (text.isEmpty()) return;
  if (!conversation_id_) newConversation();
  error_->hide();
  composer_->setFocus();
  if (services_.chat->send(conversation_id_, text)) {
    composer_->clear();
    banner_->hide();
  }
}

void ChatPage::updateButtons() {
  const bool generating = services_.chat->isGenerating();
  const bool here = generating && services_.chat->generatingConversation() == conversation_id_;
  // Send and Stop swap places: focus on either goes back to the composer, never further down
  // the chain (the system prompt editor).
  if (stop_->hasFocus() || send_->hasFocus()) composer_->setFocus();
  stop_->setVisible(here);
  send_->setVisible(!here);
  send_->setEnabled(!generating);
  const QList<app::ChatMessage> messages =
      conversation_id_ ? services_.store->messages(conversation_id_) : QList<app::ChatMessage>{};
  regenerate_->setEnabled(!generating && !messages.isEmpty());
  for (MessageView* view : messageViews()) view->setActionsEnabled(!generating);
}

void ChatPage::showError(const QString& message) {
  error_->setText(message);
  error_->setVisible(!message.isEmpty());
}

QString ChatPage::footerText() const {
  return footer_->text();
}

void ChatPage::showLive(const app::GenerationStats& so_far, int context_length) {
  QString text;
  if (so_far.completion_tokens == 0) {
    text = tr("Waiting for the first token…");
  } else {
    text = tr("Writing: %n tokens", nullptr, so_far.completion_tokens) + QStringLiteral(" · ") +
           tr("%1 tok/s").arg(so_far.tokens_per_s, 0, 'f', 1);
  }
  const int used = so_far.prompt_tokens + so_far.completion_tokens;
  if (context_length > 0 && used > 0) {
    const int percent = int(std::lround(100.0 * used / context_length));
    text += QStringLiteral(" · ") +
            tr("context %1 / %2 tokens (%3 %)").arg(used).arg(context_length).arg(percent);
    live_context_->setValue(std::min(100, percent));
    live_context_->setToolTip(tr("How much of the model's context this conversation fills"));
  }
  live_context_->setVisible(context_length > 0 && used > 0);
  live_label_->setText(text);
  live_->show();
}

QString ChatPage::liveText() const {
  return live_->isHidden() ? QString() : live_label_->text();
}

int ChatPage::liveContextPercent() const {
  return live_context_->isHidden() ? -1 : live_context_->value();
}

void ChatPage::exportConversation(qint64 id, bool json) {
  const QString title = services_.store->conversation(id).title;
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export chat"),
                                   proposedSavePath(title, json ? ".json" : ".md"),
                                   json ? tr("JSON (*.json)") : tr("Markdown (*.md)"));
  if (path.isEmpty()) return;
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    QMessageBox::warning(this, tr("Export chat"), tr("Cannot write %1").arg(path));
    return;
  }
  file.write(json ? services_.store->exportJson(id) : services_.store->exportMarkdown(id).toUtf8());
}

}  // namespace pagoda::ui
