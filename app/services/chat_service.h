#pragma once
// Runs conversations: builds the history (system prompt, earlier turns without their <think>
// reasoning), sends it to the local engine or a remote endpoint, and streams the reply into the
// ChatStore (saved every second while streaming, committed when it completes). One reply is
// generated at a time; the UI may show another conversation meanwhile.
#include <QElapsedTimer>
#include <QJsonArray>
#include <QObject>
#include <QTimer>

#include "app/services/chat_types.h"

namespace pagoda::app {

class AppSettings;
class ChatStore;
class EngineService;
class KeyStore;
class RemoteClient;

class ChatService : public QObject {
  Q_OBJECT
 public:
  ChatService(ChatStore* store, EngineService* engine, RemoteClient* remote, KeyStore* keys,
              AppSettings* settings, QObject* parent = nullptr);
  ~ChatService() override;

  ChatStore* store() const { return store_; }

  // Adds the user message and starts a reply. Returns false (and emits error or noModel) when
  // busy or when nothing can answer; then nothing is stored.
  bool send(qint64 conversation_id, const QString& text);
  // Why this conversation cannot get a reply now (empty: it can): no model loaded for a local
  // chat, or its remote endpoint was removed.
  QString replyUnavailable(qint64 conversation_id) const;
  // A new version of the last reply (the earlier ones stay as its siblings).
  bool regenerate(qint64 conversation_id);
  // A new version of a user message (the old one keeps its replies) and a reply to it.
  bool editAndResend(qint64 conversation_id, qint64 message_id, const QString& text);
  // Shows another version of a message; the history sent next follows it. Not while this
  // conversation's reply streams.
  bool selectVersion(qint64 conversation_id, qint64 message_id);
  void stop();

  bool isGenerating() const { return !request_id_.isEmpty(); }
  qint64 generatingConversation() const { return conversation_id_; }
  qint64 streamingMessageId() const { return message_id_; }
  QString streamingText() const { return text_; }
  // The reply's numbers so far, and the context it fills (0 when unknown: remote endpoints).
  GenerationStats streamingStats() const { return live_; }
  int streamingContextLength() const { return context_length_; }
  // The chat messages sent for a conversation (system prompt first, reasoning removed).
  QJsonArray history(qint64 conversation_id) const;
  // Saves the partial reply now (also done every second while streaming).
  void flush();

 signals:
  // The conversation's list of messages changed (reload it).
  void messagesChanged(qint64 conversation_id);
  void generationStarted(qint64 conversation_id, qint64 message_id);
  void streamUpdated(qint64 conversation_id, qint64 message_id, const QString& text);
  // While a reply streams: its speed and token counts so far; context_length 0 when unknown.
  void streamStats(qint64 conversation_id, qint64 message_id,
                   const pagoda::app::GenerationStats& so_far, int context_length);
  // state: complete | stopped | error
  void generationFinished(qint64 conversation_id, qint64 message_id, const QString& state,
                          const pagoda::app::GenerationStats& stats, const QString& error);
  void error(const QString& message);
  // A local chat was sent to with no model loaded (the message was not stored).
  void noModel(qint64 conversation_id);

 private:
  // Emits noModel / error and returns false when replyUnavailable().
  bool canReply(qint64 conversation_id);
  // Adds the reply as a new child of question_id and starts it.
  bool startReply(qint64 conversation_id, qint64 question_id);
  void onDelta(const QString& request_id, const QString& text);
  void onProgress(const QString& request_id, const GenerationStats& so_far);
  void onFinished(const QString& request_id, const QString& reason, const GenerationStats& stats,
                  const QString& error);

  ChatStore* store_;
  EngineService* engine_;
  RemoteClient* remote_;
  KeyStore* keys_;
  AppSettings* settings_;
  QTimer flush_timer_;
  QString request_id_;
  QString remote_request_;  // set when request_id_ went to a remote endpoint
  qint64 conversation_id_ = 0;
  qint64 message_id_ = 0;
  QString text_;
  GenerationStats live_;
  int context_length_ = 0;
  bool dirty_ = false;
  int request_counter_ = 0;
};

}  // namespace pagoda::app
