#pragma once
// Conversation history in SQLite (WAL mode). Each message is committed when it completes; a reply
// being streamed is saved as "streaming" and updated as it grows, so a crash loses at most the
// last partial update. Opening a store turns every message still "streaming" into "interrupted".
// Writes are single small statements, cheap enough for the GUI thread.
#include <QObject>
#include <QSqlQuery>
#include <QString>

#include "app/services/chat_store_migration.h"
#include "app/services/chat_types.h"

namespace pagoda::app {

class ChatStore : public QObject {
  Q_OBJECT
 public:
  // Opens (creating if needed) the database file. Check ok() / errorString().
  explicit ChatStore(const QString& database_path, QObject* parent = nullptr);
  ~ChatStore() override;
  // The default location: <XDG data dir>/pagoda/chats.sqlite3.
  static QString defaultPath();

  bool ok() const { return ok_; }
  QString errorString() const { return error_; }
  QString path() const { return path_; }
  // Messages that were found "streaming" when the store was opened.
  int recoveredInterrupted() const { return recovered_; }
  // What opening did to the schema (versions, the backup made before an upgrade).
  const ChatMigrationResult& migration() const { return migration_; }

  qint64 createConversation(const QString& title, const QString& system_prompt = {},
                            const QString& target = QStringLiteral("local"),
                            const SamplingSettings& sampling = {});
  void renameConversation(qint64 id, const QString& title);
  void setSystemPrompt(qint64 id, const QString& system_prompt);
  void setTarget(qint64 id, const QString& target);
  void setSampling(qint64 id, const SamplingSettings& sampling);
  void deleteConversation(qint64 id);
  // Newest first. A non-empty search keeps conversations whose title or any message contains it.
  QList<ConversationInfo> conversations(const QString& search = {}) const;
  ConversationInfo conversation(qint64 id) const;  // id 0 when missing

  // Messages form a tree (each version of a reply or question is a sibling); this is the branch
  // shown and sent: from the first message down, the active child at each step.
  QList<ChatMessage> messages(qint64 conversation_id) const;
  ChatMessage message(qint64 id) const;
  // Appends to the end of the shown branch.
  qint64 addMessage(qint64 conversation_id, const QString& role, const QString& content,
                    const QString& state = QString::fromLatin1(kStateComplete));
  // Adds a child of parent_id (0: a first message), made the active one of its siblings: a new
  // version beside the earlier ones, which stay.
  qint64 addVersion(qint64 conversation_id, qint64 parent_id, const QString& role,
                    const QString& content,
                    const QString& state = QString::fromLatin1(kStateComplete));
  // The versions of a message, itself included, oldest first.
  QList<qint64> siblings(qint64 message_id) const;
  // Shows this version (and below it the versions chosen last time).
  void selectVersion(qint64 message_id);
  void updateMessage(qint64 id, const QString& content, const QString& state,
                     const GenerationStats& stats = {});
  // Deletes this message and every later one of its conversation, every branch.
  void deleteMessagesFrom(qint64 conversation_id, qint64 message_id);

  QString exportMarkdown(qint64 conversation_id) const;
  QByteArray exportJson(qint64 conversation_id) const;

 signals:
  void conversationsChanged();

 private:
  bool exec(const QString& sql, const QVariantList& values = {}) const;
  // SELECT columns + from_where with one bound value, executed (no rows when it failed).
  QSqlQuery select(const char* columns, const char* from_where, const QVariant& value) const;
  void touch(qint64 conversation_id);

  QString connection_;
  QString path_;
  QString error_;
  bool ok_ = false;
  int recovered_ = 0;
  ChatMigrationResult migration_;
};

}  // namespace pagoda::app
