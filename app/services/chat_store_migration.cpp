#include "app/services/chat_store_migration.h"

#include <QDateTime>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace pagoda::app {
namespace {

// Runs one statement; on failure returns false with SQLite's message in `error`.
bool run(QSqlDatabase& db, const QString& sql, QString& error, const QVariantList& values = {}) {
  QSqlQuery q(db);
  if (!q.prepare(sql)) {
    error = q.lastError().text();
    return false;
  }
  for (const QVariant& v : values) q.addBindValue(v);
  if (!q.exec()) {
    error = q.lastError().text();
    return false;
  }
  return true;
}

int queryInt(QSqlDatabase& db, const QString& sql, bool& ok) {
  QSqlQuery q(db);
  ok = q.exec(sql) && q.next();
  return ok ? q.value(0).toInt() : 0;
}

}  // namespace

const std::vector<ChatMigrationStep>& chatMigrationSteps() {
  static const std::vector<ChatMigrationStep> steps = {
      // The schema of Pagoda 0.1.0, which did not set user_version yet: IF NOT EXISTS adopts a
      // database written by it as version 1 unchanged, and creates the tables in a new file.
      {1,
       QStringLiteral("conversations and messages"),
       {QStringLiteral(
            "CREATE TABLE IF NOT EXISTS conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "title TEXT NOT NULL, system_prompt TEXT NOT NULL DEFAULT '', "
            "target TEXT NOT NULL DEFAULT 'local', sampling TEXT NOT NULL DEFAULT '{}', "
            "created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)"),
        QStringLiteral(
            "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE, "
            "role TEXT NOT NULL, content TEXT NOT NULL, state TEXT NOT NULL, "
            "stats TEXT NOT NULL DEFAULT '{}', created_ms INTEGER NOT NULL)"),
        QStringLiteral(
            "CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, "
            "id)")}},
      // Reply versions: regenerate and edit keep the earlier message as a sibling. Each message
      // names its parent (NULL: the first of the chat); among siblings the `active` one is on
      // the branch shown and sent. Version-1 chats are linear: each message's parent is the one
      // before it.
      {2,
       QStringLiteral("reply versions (messages form a tree)"),
       {QStringLiteral("ALTER TABLE messages ADD COLUMN parent_id INTEGER"),
        QStringLiteral("ALTER TABLE messages ADD COLUMN active INTEGER NOT NULL DEFAULT 1"),
        QStringLiteral(
            "UPDATE messages SET parent_id = (SELECT max(p.id) FROM messages p WHERE "
            "p.conversation_id = messages.conversation_id AND p.id < messages.id)"),
        QStringLiteral(
            "CREATE INDEX IF NOT EXISTS messages_by_parent ON messages(conversation_id, "
            "parent_id)")}},
  };
  return steps;
}

int currentChatSchemaVersion() {
  return chatMigrationSteps().back().version;
}

ChatMigrationResult migrateChatDatabase(QSqlDatabase& db, const QString& database_path,
                                        const std::vector<ChatMigrationStep>& steps) {
  ChatMigrationResult result;
  bool ok = false;
  result.from_version = queryInt(db, QStringLiteral("PRAGMA user_version"), ok);
  result.to_version = steps.empty() ? 0 : steps.back().version;
  if (!ok) {
    result.error = db.lastError().text();
    return result;
  }
  if (result.from_version > result.to_version) {
    // Written by a newer Pagoda: its data may rely on columns this build does not know.
    result.status = ChatMigrationResult::NewerThanApp;
    return result;
  }
  if (result.from_version == result.to_version) {
    result.status = ChatMigrationResult::UpToDate;
    return result;
  }

  // A file with tables holds chats: keep a copy of it as it was before changing anything.
  const int tables =
      queryInt(db, QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'table'"), ok);
  if (!ok) {
    result.error = db.lastError().text();
    return result;
  }
  if (tables > 0) {
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss"));
    QString backup = QStringLiteral("%1.v%2-%3.bak").arg(database_path).arg(result.from_version).arg(stamp);
    for (int n = 2; QFileInfo::exists(backup); ++n)
      backup = QStringLiteral("%1.v%2-%3-%4.bak")
                   .arg(database_path)
                   .arg(result.from_version)
                   .arg(stamp)
                   .arg(n);
    if (!run(db, QStringLiteral("VACUUM INTO ?"), result.error, {backup})) return result;
    result.backup_path = backup;
  }

  if (!run(db, QStringLiteral("BEGIN IMMEDIATE"), result.error)) return result;
  for (const ChatMigrationStep& step : steps) {
    if (step.version <= result.from_version) continue;
    for (const QString& sql : step.statements) {
      if (!run(db, sql, result.error)) {
        result.error = QStringLiteral("step %1 (%2): %3")
                           .arg(step.version)
                           .arg(step.description, result.error);
        QString ignored;
        run(db, QStringLiteral("ROLLBACK"), ignored);
        return result;
      }
    }
  }
  QString error;
  if (!run(db, QStringLiteral("PRAGMA user_version = %1").arg(result.to_version), error) ||
      !run(db, QStringLiteral("COMMIT"), error)) {
    result.error = error;
    QString ignored;
    run(db, QStringLiteral("ROLLBACK"), ignored);
    return result;
  }
  result.status = ChatMigrationResult::Migrated;
  return result;
}

}  // namespace pagoda::app
