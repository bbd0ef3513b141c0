#include "app/services/chat_store.h"

#include <QAtomicInt>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QVariant>

#include "app/services/chat_store_migration.h"

namespace pagoda::app {
namespace {

QAtomicInt g_connection_counter;

// A null QString binds as SQL NULL; the columns are NOT NULL.
QString text(const QString& s) {
  return s.isNull() ? QStringLiteral("") : s;
}

QDateTime fromMs(qint64 ms) {
  return QDateTime::fromMSecsSinceEpoch(ms);
}

ConversationInfo readConversation(const QSqlQuery& q) {
  ConversationInfo c;
  c.id = q.value(0).toLongLong();
  c.title = q.value(1).toString();
  c.system_prompt = q.value(2).toString();
  c.target = q.value(3).toString();
  c.sampling =
      SamplingSettings::fromJson(QJsonDocument::fromJson(q.value(4).toByteArray()).object());
  c.created = fromMs(q.value(5).toLongLong());
  c.updated = fromMs(q.value(6).toLongLong());
  return c;
}

ChatMessage readMessage(const QSqlQuery& q) {
  ChatMessage m;
  m.id = q.value(0).toLongLong();
  m.conversation_id = q.value(1).toLongLong();
  m.role = q.value(2).toString();
  m.content = q.value(3).toString();
  m.state = q.value(4).toString();
  m.stats = GenerationStats::fromJson(QJsonDocument::fromJson(q.value(5).toByteArray()).object());
  m.created = fromMs(q.value(6).toLongLong());
  m.parent_id = q.value(7).toLongLong();  // NULL reads 0
  return m;
}

constexpr auto kConversationColumns =
    "id, title, system_prompt, target, sampling, created_ms, updated_ms";
constexpr auto kMessageColumns =
    "id, conversation_id, role, content, state, stats, created_ms, parent_id, active";

}  // namespace

QString ChatStore::defaultPath() {
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
         QStringLiteral("/chats.sqlite3");
}

ChatStore::ChatStore(const QString& database_path, QObject* parent)
    : QObject(parent), path_(database_path) {
  connection_ = QStringLiteral("pagoda-chat-%1").arg(g_connection_counter.fetchAndAddRelaxed(1));
  QDir().mkpath(QFileInfo(database_path).absolutePath());
  QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection_);
  db.setDatabaseName(database_path);
  if (!db.open()) {
    error_ = tr("Cannot open the chat history %1: %2").arg(database_path, db.lastError().text());
    return;
  }
  ok_ = exec("PRAGMA journal_mode=WAL") && exec("PRAGMA synchronous=NORMAL") &&
        exec("PRAGMA foreign_keys=ON");
  if (!ok_) return;
  // The tables themselves come from the schema steps (chat_store_migration.cpp).
  migration_ = migrateChatDatabase(db, database_path);
  switch (migration_.status) {
    case ChatMigrationResult::UpToDate:
      break;
    case ChatMigrationResult::Migrated:
      // A new file has nothing to back up and nothing worth a log line.
      if (!migration_.backup_path.isEmpty())
        qInfo("ChatStore: %s upgraded from schema %d to %d, backup: %s", qPrintable(database_path),
              migration_.from_version, migration_.to_version, qPrintable(migration_.backup_path));
      break;
    case ChatMigrationResult::NewerThanApp:
      error_ = tr("The chat history %1 was written by a newer version of Pagoda (schema %2, this "
                  "version knows %3). It was left unchanged; update Pagoda to open it.")
                   .arg(database_path)
                   .arg(migration_.from_version)
                   .arg(migration_.to_version);
      ok_ = false;
      break;
    case ChatMigrationResult::Failed:
      error_ = migration_.backup_path.isEmpty()
                   ? tr("The chat history %1 could not be upgraded (%2). It was left unchanged.")
                         .arg(database_path, migration_.error)
                   : tr("The chat history %1 could not be upgraded (%2). It was left unchanged; "
                        "a copy made before the upgrade is in %3.")
                         .arg(database_path, migration_.error, migration_.backup_path);
      ok_ = false;
      break;
  }
  if (!ok_) return;
  QSqlQuery q(db);
  q.prepare("UPDATE messages SET state = ? WHERE state = ?");
  q.addBindValue(QString::fromLatin1(kStateInterrupted));
  q.addBindValue(QString::fromLatin1(kStateStreaming));
  if (q.exec()) recovered_ = q.numRowsAffected();
}

ChatStore::~ChatStore() {
  { QSqlDatabase::database(connection_, false).close(); }
  QSqlDatabase::removeDatabase(connection_);
}

bool ChatStore::exec(const QString& sql, const QVariantList& values) const {
  QSqlQuery q(QSqlDatabase::database(connection_, false));
  if (!q.prepare(sql)) {
    const_cast<ChatStore*>(this)->error_ = q.lastError().text();
    return false;
  }
  for (const QVariant& v : values) q.addBindValue(v);
  if (!q.exec()) {
    const_cast<ChatStore*>(this)->error_ = q.lastError().text();
    qWarning("ChatStore: %s", qPrintable(error_));
    return false;
  }
  return true;
}

void ChatStore::touch(qint64 conversation_id) {
  exec("UPDATE conversations SET updated_ms = ? WHERE id = ?",
       {QDateTime::currentMSecsSinceEpoch(), conversation_id});
}

qint64 ChatStore::createConversation(const QString& title, const QString& system_prompt,
                                     const QString& target, const SamplingSettings& sampling) {
  QSqlQuery q(QSqlDatabase::database(connection_, false));
  q.prepare(
      "INSERT INTO conversations (title, system_prompt, target, sampling, created_ms, "
      "updated_ms) VALUES (?, ?, ?, ?, ?, ?)");
  const qint64 now = QDateTime::currentMSecsSinceEpoch();
  q.addBindValue(text(title));
  q.addBindValue(text(system_prompt));
  q.addBindValue(text(target));
  q.addBindValue(QJsonDocument(sampling.toJson()).toJson(QJsonDocument::Compact));
  q.addBindValue(now);
  q.addBindValue(now);
  if (!q.exec()) {
    error_ = q.lastError().text();
    qWarning("ChatStore: %s", qPrintable(error_));
    return 0;
  }
  emit conversationsChanged();
  return q.lastInsertId().toLongLong();
}

void ChatStore::renameConversation(qint64 id, const QString& title) {
  exec("UPDATE conversations SET title = ? WHERE id = ?", {text(title), id});
  emit conversationsChanged();
}

void ChatStore::setSystemPrompt(qint64 id, const QString& system_prompt) {
  exec("UPDATE conversations SET system_prompt = ? WHERE id = ?", {text(system_prompt), id});
}

void ChatStore::setTarget(qint64 id, const QString& target) {
  exec("UPDATE conversations SET target = ? WHERE id = ?", {text(target), id});
}

void ChatStore::setSampling(qint64 id, const SamplingSettings& sampling) {
  exec("UPDATE conversations SET sampling = ? WHERE id = ?",
       {QJsonDocument(sampling.toJson()).toJson(QJsonDocument::Compact), id});
}

void ChatStore::deleteConversation(qint64 id) {
  exec("DELETE FROM messages WHERE conversation_id = ?", {id});
  exec("DELETE FROM conversations WHERE id = ?", {id});
  emit conversationsChanged();
}

QList<ConversationInfo> ChatStore::conversations(const QString& search) const {
  QSqlQuery q(QSqlDatabase::database(connection_, false));
  const QString columns = QString::fromLatin1(kConversationColumns);
  if (search.trimmed().isEmpty()) {
    q.prepare("SELECT " + columns + " FROM conversations ORDER BY updated_ms DESC, id DESC");
  } else {
    // instr() instead of LIKE: no wildcard escaping, and case-insensitive for ASCII via lower().
    q.prepare("SELECT " + columns +
              " FROM conversations c WHERE instr(lower(title), lower(?)) > 0 "
              "OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND "
              "instr(lower(m.content), lower(?)) > 0) ORDER BY updated_ms DESC, id DESC");
    q.addBindValue(search.trimmed());
    q.addBindValue(search.trimmed());
  }
  QList<ConversationInfo> out;
  if (!q.exec()) return out;
  while (q.next()) out << readConversation(q);
  return out;
}

QSqlQuery ChatStore::select(const char* columns, const char* from_where,
                            const QVariant& value) const {
  QSqlQuery q(QSqlDatabase::database(connection_, false));
  q.prepare("SELECT " + QString::fromLatin1(columns) + QString::fromLatin1(from_where));
  q.addBindValue(value);
  q.exec();  // a failed query has no rows: next() is false
  return q;
}

ConversationInfo ChatStore::conversation(qint64 id) const {
  QSqlQuery q = select(kConversationColumns, " FROM conversations WHERE id = ?", id);
  return q.next() ? readConversation(q) : ConversationInfo{};
}

QList<ChatMessage> ChatStore::messages(qint64 conversation_id) const {
  QSqlQuery q = select(kMessageColumns, " FROM messages WHERE conversation_id = ? ORDER BY id",
                       conversation_id);
  // Children by parent, oldest first; the walk takes the active child (the newest active one
  // if several claim it, the newest child if none does).
  QHash<qint64, QList<ChatMessage>> children;
  QHash<qint64, bool> active;
  int rows = 0;
  while (q.next()) {
    ++rows;
    const ChatMessage m = readMessage(q);
    children[m.parent_id] << m;
    active[m.id] = q.value(8).toInt() != 0;
  }
  QList<ChatMessage> out;
  qint64 parent = 0;
  while (children.contains(parent)) {
    const QList<ChatMessage>& versions = children[parent];
    int chosen = int(versions.size()) - 1;
    for (int i = int(versions.size()) - 1; i >= 0; --i)
      if (active.value(versions[i].id)) {
        chosen = i;
        break;
      }
    ChatMessage m = versions[chosen];
    m.sibling_index = chosen;
    m.sibling_count = int(versions.size());
    out << m;
    if (out.size() >= rows) break;  // a cycle: never in a file this store wrote
    parent = m.id;
  }
  return out;
}

QList<qint64> ChatStore::siblings(qint64 message_id) const {
  const ChatMessage m = message(message_id);
  QList<qint64> out;
  if (m.id == 0) return out;
  QSqlQuery q(QSqlDatabase::database(connection_, false));
  q.prepare("SELECT id FROM messages WHERE conversation_id = ? AND "
            "coalesce(parent_id, 0) = ? ORDER BY id");
  q.addBindValue(m.conversation_id);
  q.addBindValue(m.parent_id);
  if (q.exec())
    while (q.next()) out << q.value(0).toLongLong();
  return out;
}

void ChatStore::selectVersion(qint64 message_id) {
  const ChatMessage m = message(message_id);
  if (m.id == 0) return;
  exec("UPDATE messages SET active = (id = ?) WHERE conversation_id = ? AND "
       "coalesce(parent_id, 0) = ?",
       {m.id, m.conversation_id, m.parent_id});
}

ChatMessage ChatStore::message(qint64 id) const {
  QSqlQuery q = select(kMessageColumns, " FROM messages WHERE id = ?", id);
  return q.next() ? readMessage(q) : ChatMessage{};
}

qint64 ChatStore::addMessage(qint64 conversation_id, const QString& role, const QString& content,
                             const QString& state) {
  const QList<ChatMessage> branch = messages(conversation_id);
  return addVersion(conversation_id, branch.isEmpty() ? 0 : branch.last().id, role, content, state);
}

qint64 ChatStore::addVersion(qint64 conversation_id, qint64 parent_id, const QString& role,
                             const QString& content, const QString& state) {
  QSqlQuery q(QSqlDatabase::database(connection_, false));
  q.prepare(
      "INSERT INTO messages (conversation_id, role, content, state, created_ms, parent_id) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  q.addBindValue(conversation_id);
  q.addBindValue(text(role));
  q.addBindValue(text(content));
  q.addBindValue(text(state));
  q.addBindValue(QDateTime::currentMSecsSinceEpoch());
  q.addBindValue(parent_id > 0 ? QVariant(parent_id) : QVariant(QMetaType(QMetaType::LongLong)));
  if (!q.exec()) {
    error_ = q.lastError().text();
    qWarning("ChatStore: %s", qPrintable(error_));
    return 0;
  }
  const qint64 id = q.lastInsertId().toLongLong();
  selectVersion(id);
  touch(conversation_id);
  return id;
}

void ChatStore::updateMessage(qint64 id, const QString& content, const QString& state,
                              const GenerationStats& stats) {
  exec("UPDATE messages SET content = ?, state = ?, stats = ? WHERE id = ?",
       {text(content), text(state), QJsonDocument(stats.toJson()).toJson(QJsonDocument::Compact),
        id});
}

void ChatStore::deleteMessagesFrom(qint64 conversation_id, qint64 message_id) {
  exec("DELETE FROM messages WHERE conversation_id = ? AND id >= ?", {conversation_id, message_id});
}

QString ChatStore::exportMarkdown(qint64 conversation_id) const {
  const ConversationInfo c = conversation(conversation_id);
  QString md = QStringLiteral("# %1\n\n").arg(c.title);
  if (!c.system_prompt.isEmpty()) md += QStringLiteral("> System: %1\n\n").arg(c.system_prompt);
  for (const ChatMessage& m : messages(conversation_id)) {
    const QString who = m.role == "user"        ? QStringLiteral("User")
                        : m.role == "assistant" ? QStringLiteral("Assistant")
                                                : m.role;
    md += QStringLiteral("## %1").arg(who);
    if (m.state != kStateComplete) md += QStringLiteral(" (%1)").arg(m.state);
    md += QStringLiteral("\n\n%1\n\n").arg(m.content);
  }
  return md;
}

QByteArray ChatStore::exportJson(qint64 conversation_id) const {
  const ConversationInfo c = conversation(conversation_id);
  QJsonArray messages_json;
  for (const ChatMessage& m : messages(conversation_id)) {
    messages_json.append(QJsonObject{{"role", m.role},
                                     {"content", m.content},
                                     {"state", m.state},
                                     {"created", m.created.toString(Qt::ISODateWithMs)},
                                     {"stats", m.stats.toJson()}});
  }
  QJsonObject root{{"title", c.title},
                   {"system_prompt", c.system_prompt},
                   {"target", c.target},
                   {"sampling", c.sampling.toJson()},
                   {"created", c.created.toString(Qt::ISODateWithMs)},
                   {"messages", messages_json}};
  return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

}  // namespace pagoda::app
