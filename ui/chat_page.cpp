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

ChatPage::ChatPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  auto* row = new QHBoxLayout(this);
  // The side panels fold away below a width (resizeEvent): they must not hold the window wider.
  row->setSizeConstraint(QLayout::SetNoConstraint);
  setMinimumWidth(560);
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(0);

  QPushButton* new_chat = buildConversationList(row);

  // Transcript and composer.
  auto* center = new QWidget;
  auto* center_layout = new QVBoxLayout(center);
  center_layout->setContentsMargins(24, 18, 24, 12);
  buildHeader(center_layout);
  buildTranscript(center_layout);
  buildNotices(center_layout);
  buildComposer(center_layout);
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

  wireControls(new_chat);
  connectServices();

  footer_->setText(tr("Replies show their token count, speed and time to first token here."));
  reloadConversations();
  if (conversations_->count() > 0)
    conversations_->setCurrentRow(0);
  else
    selectConversation(0);
}

// What the page's own controls do (the services' signals: connectServices).
void ChatPage::wireControls(QPushButton* new_chat) {
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
