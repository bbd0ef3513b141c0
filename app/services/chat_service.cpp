#include "app/services/chat_service.h"

#include <QJsonObject>

#include "app/services/app_settings.h"
#include "app/services/chat_store.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"
#include "app/services/remote_client.h"

namespace pagoda::app {

ChatService::ChatService(ChatStore* store, EngineService* engine, RemoteClient* remote,
                         KeyStore* keys, AppSettings* settings, QObject* parent)
    : QObject(parent),
      store_(store),
      engine_(engine),
      remote_(remote),
      keys_(keys),
      settings_(settings) {
  flush_timer_.setInterval(1000);
  connect(&flush_timer_, &QTimer::timeout, this, &ChatService::flush);
  connect(engine_, &EngineService::delta, this, &ChatService::onDelta);
  connect(engine_, &EngineService::finished, this, &ChatService::onFinished);
  connect(remote_, &RemoteClient::delta, this, &ChatService::onDelta);
  connect(engine_, &EngineService::progress, this, &ChatService::onProgress);
  connect(remote_, &RemoteClient::progress, this, &ChatService::onProgress);
  connect(remote_, &RemoteClient::finished, this, &ChatService::onFinished);
  // What the chat offers again when nothing is loaded.
  connect(engine_, &EngineService::loaded, this,
          [this](const LoadedModelInfo& info) { settings_->setLastModelPath(info.path); });
}

ChatService::~ChatService() {
  // Quitting mid-reply keeps what was streamed, marked stopped.
  if (isGenerating()) {
    store_->updateMessage(message_id_, text_, QString::fromLatin1(kStateStopped));
    if (remote_request_.isEmpty())
      engine_->abort(request_id_);
    else
      remote_->abort(remote_request_);
  }
}

QJsonArray ChatService::history(qint64 conversation_id) const {
  QJsonArray out;
  const ConversationInfo c = store_->conversation(conversation_id);
  if (!c.system_prompt.trimmed().isEmpty())
    out.append(QJsonObject{{"role", "system"}, {"content", c.system_prompt}});
  for (const ChatMessage& m : store_->messages(conversation_id)) {
    if (m.role != "user" && m.role != "assistant") continue;
    if (m.state == kStateError || m.state == kStateStreaming) continue;
    // Reasoning is for the reader, not for the next turn (as the models' own templates do).
    const QString content = m.role == "assistant" ? splitThink(m.content).answer : m.content;
    if (m.role == "assistant" && content.isEmpty()) continue;
    out.append(QJsonObject{{"role", m.role}, {"content", content}});
  }
  return out;
}

bool ChatService::send(qint64 conversation_id, const QString& text) {
  if (isGenerating()) {
    emit error(tr("A reply is still being written. Stop it first."));
    return false;
  }
  if (text.trimmed().isEmpty()) return false;
  const ConversationInfo c = store_->conversation(conversation_id);
  if (c.id == 0) return false;
  // Checked before storing: a message that cannot be answered stays in the composer only.
  if (!canReply(conversation_id)) return false;
  if (store_->messages(conversation_id).isEmpty() && c.title == tr("New chat")) {
    QString title = text.simplified();
    if (title.size() > 48) title = title.left(47) + QChar(0x2026);
    store_->renameConversation(conversation_id, title);
  }
  const qint64 question = store_->addMessage(conversation_id, "user", text);
  emit messagesChanged(conversation_id);
  return startReply(conversation_id, question);
}

bool ChatService::regenerate(qint64 conversation_id) {
  if (isGenerating()) return false;
  const QList<ChatMessage> all = store_->messages(conversation_id);
  if (all.isEmpty() || !canReply(conversation_id)) return false;
  // A new version beside the last reply (the earlier one stays, one click away).
  const qint64 question = all.last().role == "assistant" ? all.last().parent_id : all.last().id;
  return startReply(conversation_id, question);
}

bool ChatService::editAndResend(qint64 conversation_id, qint64 message_id, const QString& text) {
  if (isGenerating() || text.trimmed().isEmpty()) return false;
  const ChatMessage m = store_->message(message_id);
  if (m.conversation_id != conversation_id || m.role != "user") return false;
  if (!canReply(conversation_id)) return false;
  // The edited question is a new version beside the old one, which keeps its replies.
  const qint64 question = store_->addVersion(conversation_id, m.parent_id, "user", text);
  emit messagesChanged(conversation_id);
  return startReply(conversation_id, question);
}

bool ChatService::selectVersion(qint64 conversation_id, qint64 message_id) {
  if (isGenerating() && generatingConversation() == conversation_id) return false;
  if (store_->message(message_id).conversation_id != conversation_id) return false;
  store_->selectVersion(message_id);
  emit messagesChanged(conversation_id);
  return true;
}

bool ChatService::canReply(qint64 conversation_id) {
  const QString unavailable = replyUnavailable(conversation_id);
  if (unavailable.isEmpty()) return true;
  if (!store_->conversation(conversation_id).target.startsWith("remote:"))
    emit noModel(conversation_id);
  emit error(unavailable);
  return false;
}

QString ChatService::replyUnavailable(qint64 conversation_id) const {
  const ConversationInfo c = store_->conversation(conversation_id);
  if (c.target.startsWith("remote:")) {
    if (settings_->remoteEndpoint(c.target.mid(7)).id.isEmpty())
      return tr("The remote endpoint of this chat was removed. Pick another target.");
  } else if (!engine_->isLoaded()) {
    return tr("No model is loaded. Load one on the Models page.");
  }
  return {};
}

bool ChatService::startReply(qint64 conversation_id, qint64 question_id) {
  if (!canReply(conversation_id)) return false;
  const ConversationInfo c = store_->conversation(conversation_id);
  const bool remote = c.target.startsWith("remote:");
  const RemoteEndpoint endpoint =
      remote ? settings_->remoteEndpoint(c.target.mid(7)) : RemoteEndpoint{};
  conversation_id_ = conversation_id;
  message_id_ = store_->addVersion(conversation_id, question_id, "assistant", {},
                                   QString::fromLatin1(kStateStreaming));
  // The branch up to the question, the new (empty) reply left out by its state.
  const QJsonArray messages = history(conversation_id);
  text_.clear();
  live_ = {};
  context_length_ = remote ? 0 : engine_->info().max_model_len;
  dirty_ = false;
  request_id_ = QStringLiteral("chat-%1-%2").arg(conversation_id).arg(++request_counter_);
  flush_timer_.start();
  emit messagesChanged(conversation_id);
  emit generationStarted(conversation_id, message_id_);
  if (remote) {
    remote_request_ = request_id_;
    const QString id = request_id_;
    keys_->readKey(endpoint.id,
                   [this, id, endpoint, messages, sampling = c.sampling](const QString& key) {
                     if (request_id_ != id) return;  // stopped while the key was read
                     remote_->start(id, endpoint, key, messages, sampling);
                   });
  } else {
    remote_request_.clear();
    engine_->chat(request_id_, messages, c.sampling);
  }
  return true;
}

void ChatService::stop() {
  if (!isGenerating()) return;
  if (remote_request_.isEmpty()) {
    engine_->abort(request_id_);
  } else {
    const QString id = request_id_;
    remote_->abort(remote_request_);
    // The key may still be being read: then nothing was sent and no finished() came.
    if (request_id_ == id) onFinished(id, "abort", {}, {});
  }
}

void ChatService::flush() {
  if (!isGenerating() || !dirty_) return;
  store_->updateMessage(message_id_, text_, QString::fromLatin1(kStateStreaming));
  dirty_ = false;
}

void ChatService::onDelta(const QString& request_id, const QString& text) {
  if (request_id != request_id_) return;
  text_ += text;
  dirty_ = true;
  emit streamUpdated(conversation_id_, message_id_, text_);
}

void ChatService::onProgress(const QString& request_id, const GenerationStats& so_far) {
  if (request_id != request_id_) return;
  live_ = so_far;
  emit streamStats(conversation_id_, message_id_, live_, context_length_);
}

void ChatService::onFinished(const QString& request_id, const QString& reason,
                             const GenerationStats& stats, const QString& error_text) {
  if (request_id != request_id_) return;
  flush_timer_.stop();
  QString state = QString::fromLatin1(kStateComplete);
  if (reason == "abort") state = QString::fromLatin1(kStateStopped);
  if (reason == "error") state = QString::fromLatin1(kStateError);
  QString content = text_;
  if (reason == "error" && content.isEmpty()) content = error_text;
  store_->updateMessage(message_id_, content, state, stats);
  const qint64 conversation = conversation_id_;
  const qint64 message = message_id_;
  request_id_.clear();
  remote_request_.clear();
  conversation_id_ = 0;
  message_id_ = 0;
  text_.clear();
  live_ = {};
  // The UI updates the finished message in place; no messagesChanged (a full reload).
  emit generationFinished(conversation, message, state, stats, error_text);
}

}  // namespace pagoda::app
