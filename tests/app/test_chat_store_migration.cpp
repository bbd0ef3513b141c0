// Upgrades of the chat database: a file written by the previous release (Pagoda 0.1.0, whose
// schema had no version) opens with every chat intact and a backup beside it; a new file needs
// no backup; a file from a newer release is refused untouched; a failing step changes nothing;
// a later step (a column added by a future release) runs on a current file.
#include <QDir>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QtTest>
#include <functional>

#include "app/services/chat_store.h"
#include "app/services/chat_store_migration.h"

using namespace pagoda::app;

namespace {

// Runs `body` with a raw SQLite connection on `path`, closed afterwards.
void withConnection(const QString& path, const std::function<void(QSqlDatabase&)>& body) {
  static int counter = 0;
  const QString name = QStringLiteral("migration-test-%1").arg(++counter);
  {
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
    db.setDatabaseName(path);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    body(db);
    db.close();
  }
  QSqlDatabase::removeDatabase(name);
}

void exec(QSqlDatabase& db, const QString& sql, const QVariantList& values = {}) {
  QSqlQuery q(db);
  QVERIFY2(q.prepare(sql), qPrintable(q.lastError().text() + ": " + sql));
  for (const QVariant& v : values) q.addBindValue(v);
  QVERIFY2(q.exec(), qPrintable(q.lastError().text() + ": " + sql));
}

int scalar(QSqlDatabase& db, const QString& sql) {
  QSqlQuery q(db);
  if (!q.exec(sql) || !q.next()) return -1;
  return q.value(0).toInt();
}

// The schema exactly as Pagoda 0.1.0's ChatStore created it (app/services/chat_store.cpp before
// schema versions), including its pragmas.
void createPreviousReleaseSchema(QSqlDatabase& db) {
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=NORMAL");
  exec(db, "PRAGMA foreign_keys=ON");
  exec(db,
       "CREATE TABLE IF NOT EXISTS conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, "
       "title TEXT NOT NULL, system_prompt TEXT NOT NULL DEFAULT '', "
       "target TEXT NOT NULL DEFAULT 'local', sampling TEXT NOT NULL DEFAULT '{}', "
       "created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)");
  exec(db,
       "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, "
       "conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE, "
       "role TEXT NOT NULL, content TEXT NOT NULL, state TEXT NOT NULL, "
       "stats TEXT NOT NULL DEFAULT '{}', created_ms INTEGER NOT NULL)");
  exec(db, "CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id)");
}

// Chats as Pagoda 0.1.0 wrote them (its INSERT and UPDATE statements).
void writePreviousReleaseChats(QSqlDatabase& db) {
  const QString conv =
      "INSERT INTO conversations (title, system_prompt, target, sampling, created_ms, "
      "updated_ms) VALUES (?, ?, ?, ?, ?, ?)";
  exec(db, conv,
       {"Capitals", "Be brief.", "local",
        R"({"max_tokens":256,"repetition_penalty":1.05,"seed":7,"temperature":0.2,"top_k":20,"top_p":0.9})",
        1700000000000LL, 1700000005000LL});
  exec(db, conv, {QString::fromUtf8("算术"), "", "remote:abc", "{}", 1700000100000LL, 1700000100000LL});
  const QString msg =
      "INSERT INTO messages (conversation_id, role, content, state, created_ms) "
      "VALUES (?, ?, ?, ?, ?)";
  exec(db, msg, {1, "user", "What is the capital of China?", "complete", 1700000001000LL});
  exec(db, msg, {1, "assistant", "", "streaming", 1700000002000LL});
  exec(db, "UPDATE messages SET content = ?, state = ?, stats = ? WHERE id = ?",
       {"The capital of China is Beijing.", "complete",
        R"({"completion_tokens":8,"prompt_tokens":21,"tokens_per_s":412.5,"ttft_s":0.031})", 2});
  exec(db, msg, {2, "user", QString::fromUtf8("7 + 5 等于几?"), "complete", 1700000101000LL});
  // The app was killed while this reply streamed.
  exec(db, msg, {2, "assistant", "7 + 5", "streaming", 1700000102000LL});
}

QStringList backups(const QString& dir) {
  return QDir(dir).entryList({"*.bak"}, QDir::Files);
}

void checkPreviousReleaseChats(const ChatStore& store) {
  const QList<ConversationInfo> conversations = store.conversations();
  QCOMPARE(conversations.size(), 2);
  const ConversationInfo capitals = store.conversation(1);
  QCOMPARE(capitals.title, QString("Capitals"));
  QCOMPARE(capitals.system_prompt, QString("Be brief."));
  QCOMPARE(capitals.target, QString("local"));
  QCOMPARE(capitals.sampling.temperature, 0.2);
  QCOMPARE(capitals.sampling.top_p, 0.9);
  QCOMPARE(capitals.sampling.max_tokens, 256);
  QCOMPARE(capitals.sampling.seed, 7);
  QCOMPARE(capitals.created.toMSecsSinceEpoch(), 1700000000000LL);
  const QList<ChatMessage> first = store.messages(1);
  QCOMPARE(first.size(), 2);
  QCOMPARE(first[0].content, QString("What is the capital of China?"));
  QCOMPARE(first[1].role, QString("assistant"));
  QCOMPARE(first[1].content, QString("The capital of China is Beijing."));
  QCOMPARE(first[1].state, QString(kStateComplete));
  QCOMPARE(first[1].stats.prompt_tokens, 21);
  QCOMPARE(first[1].stats.completion_tokens, 8);
  QCOMPARE(first[1].stats.tokens_per_s, 412.5);
  const ConversationInfo sums = store.conversation(2);
  QCOMPARE(sums.title, QString::fromUtf8("算术"));
  QCOMPARE(sums.target, QString("remote:abc"));
  const QList<ChatMessage> second = store.messages(2);
  QCOMPARE(second.size(), 2);
  QCOMPARE(second[0].content, QString::fromUtf8("7 + 5 等于几?"));
  QCOMPARE(second[1].content, QString("7 + 5"));
  QCOMPARE(second[1].state, QString(kStateInterrupted));
}

}  // namespace

class TestChatStoreMigration : public QObject {
  Q_OBJECT
 private slots:
  void stepsAreConsecutive();
  void opensDatabaseOfPreviousRelease();
  void newDatabaseNeedsNoBackup();
  void newerDatabaseIsRefusedUntouched();
  void failingStepChangesNothing();
  void laterStepAddsColumn();
  void versionOneChatsBecomeBranches();
};

void TestChatStoreMigration::stepsAreConsecutive() {
  const auto& steps = chatMigrationSteps();
  QVERIFY(!steps.empty());
  for (size_t i = 0; i < steps.size(); ++i) {
    QCOMPARE(steps[i].version, int(i) + 1);
    QVERIFY(!steps[i].statements.isEmpty());
  }
  QCOMPARE(currentChatSchemaVersion(), int(steps.size()));
}

void TestChatStoreMigration::opensDatabaseOfPreviousRelease() {
  QTemporaryDir dir;
  const QString path = dir.filePath("chats.sqlite3");
  // The previous release's connection stays open with automatic checkpoints off, so its chats
  // are still in the WAL file when the new release opens the database (as after a crash): the
  // backup must include them.
  static const QString kOld = QStringLiteral("previous-release");
  {
    QSqlDatabase old = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), kOld);
    old.setDatabaseName(path);
    QVERIFY(old.open());
    createPreviousReleaseSchema(old);
    exec(old, "PRAGMA wal_autocheckpoint=0");
    writePreviousReleaseChats(old);
    QVERIFY(QFileInfo(path + "-wal").size() > 0);
    QCOMPARE(scalar(old, "PRAGMA user_version"), 0);

    ChatStore store(path);
    QVERIFY2(store.ok(), qPrintable(store.errorString()));
    QCOMPARE(int(store.migration().status), int(ChatMigrationResult::Migrated));
    QCOMPARE(store.migration().from_version, 0);
    QCOMPARE(store.migration().to_version, currentChatSchemaVersion());
    QCOMPARE(store.recoveredInterrupted(), 1);
    checkPreviousReleaseChats(store);
    QCOMPARE(backups(dir.path()), QStringList{QFileInfo(store.migration().backup_path).fileName()});
    QVERIFY(store.migration().backup_path.contains(".v0-"));
    old.close();
  }
  QSqlDatabase::removeDatabase(kOld);

  // The backup is the database as the previous release left it: version 0, every row, the
  // interrupted reply still "streaming".
  const QString backup = dir.filePath(backups(dir.path()).value(0));
  withConnection(backup, [](QSqlDatabase& db) {
    QCOMPARE(scalar(db, "PRAGMA user_version"), 0);
    QCOMPARE(scalar(db, "SELECT count(*) FROM conversations"), 2);
    QCOMPARE(scalar(db, "SELECT count(*) FROM messages"), 4);
    QCOMPARE(scalar(db, "SELECT count(*) FROM messages WHERE state = 'streaming'"), 1);
    QCOMPARE(scalar(db, "SELECT count(*) FROM messages WHERE content = "
                        "'The capital of China is Beijing.'"),
             1);
  });
  withConnection(path, [](QSqlDatabase& db) {
    QCOMPARE(scalar(db, "PRAGMA user_version"), currentChatSchemaVersion());
  });

  // Opened again: nothing to do, no second backup, the chats still there.
  ChatStore again(path);
  QVERIFY(again.ok());
  QCOMPARE(int(again.migration().status), int(ChatMigrationResult::UpToDate));
  QVERIFY(again.migration().backup_path.isEmpty());
  QCOMPARE(backups(dir.path()).size(), 1);
  checkPreviousReleaseChats(again);
}

void TestChatStoreMigration::newDatabaseNeedsNoBackup() {
  QTemporaryDir dir;
  const QString path = dir.filePath("sub/chats.sqlite3");
  {
    ChatStore store(path);
    QVERIFY2(store.ok(), qPrintable(store.errorString()));
    QCOMPARE(int(store.migration().status), int(ChatMigrationResult::Migrated));
    QVERIFY(store.migration().backup_path.isEmpty());
    const qint64 c = store.createConversation("New");
    QVERIFY(c > 0);
    QVERIFY(store.addMessage(c, "user", "Hello!") > 0);
  }
  QVERIFY(backups(dir.filePath("sub")).isEmpty());
  withConnection(path, [](QSqlDatabase& db) {
    QCOMPARE(scalar(db, "PRAGMA user_version"), currentChatSchemaVersion());
  });
}

void TestChatStoreMigration::newerDatabaseIsRefusedUntouched() {
  QTemporaryDir dir;
  const QString path = dir.filePath("chats.sqlite3");
  const int newer = currentChatSchemaVersion() + 1;
  withConnection(path, [newer](QSqlDatabase& db) {
    createPreviousReleaseSchema(db);
    writePreviousReleaseChats(db);
    exec(db, "ALTER TABLE messages ADD COLUMN from_the_future TEXT");
    exec(db, QStringLiteral("PRAGMA user_version = %1").arg(newer));
  });
  {
    ChatStore store(path);
    QVERIFY(!store.ok());
    QCOMPARE(int(store.migration().status), int(ChatMigrationResult::NewerThanApp));
    QVERIFY2(store.errorString().contains("newer version"), qPrintable(store.errorString()));
  }
  QVERIFY(backups(dir.path()).isEmpty());
  withConnection(path, [newer](QSqlDatabase& db) {
    QCOMPARE(scalar(db, "PRAGMA user_version"), newer);
    // Not even the crash recovery ran.
    QCOMPARE(scalar(db, "SELECT count(*) FROM messages WHERE state = 'streaming'"), 1);
  });
}

void TestChatStoreMigration::failingStepChangesNothing() {
  QTemporaryDir dir;
  const QString path = dir.filePath("chats.sqlite3");
  withConnection(path, [](QSqlDatabase& db) {
    createPreviousReleaseSchema(db);
    writePreviousReleaseChats(db);
  });
  std::vector<ChatMigrationStep> steps = chatMigrationSteps();
  const int broken = currentChatSchemaVersion() + 1;
  steps.push_back({broken, "broken step",
                   {"ALTER TABLE messages ADD COLUMN prompt_ms INTEGER NOT NULL DEFAULT 0",
                    "UPDATE no_such_table SET x = 1"}});
  withConnection(path, [&](QSqlDatabase& db) {
    const ChatMigrationResult result = migrateChatDatabase(db, path, steps);
    QCOMPARE(int(result.status), int(ChatMigrationResult::Failed));
    QVERIFY2(result.error.contains("broken step"), qPrintable(result.error));
    QVERIFY(QFileInfo::exists(result.backup_path));
    QCOMPARE(scalar(db, "PRAGMA user_version"), 0);
    // The column added before the failing statement was rolled back with it.
    QVERIFY(!db.record("messages").contains("prompt_ms"));
    QCOMPARE(scalar(db, "SELECT count(*) FROM messages"), 4);
  });
  // The app's own steps still open it afterwards.
  ChatStore store(path);
  QVERIFY2(store.ok(), qPrintable(store.errorString()));
  checkPreviousReleaseChats(store);
}

void TestChatStoreMigration::laterStepAddsColumn() {
  QTemporaryDir dir;
  const QString path = dir.filePath("chats.sqlite3");
  {
    ChatStore store(path);  // a current database with one chat
    QVERIFY(store.ok());
    const qint64 c = store.createConversation("Keep me");
    store.addMessage(c, "user", "What is 6 times 7?");
  }
  // The shape of a future release's change: one appended step adding a column.
  std::vector<ChatMigrationStep> steps = chatMigrationSteps();
  const int next = currentChatSchemaVersion() + 1;
  steps.push_back({next, "per-message decode time",
                   {"ALTER TABLE messages ADD COLUMN decode_ms INTEGER NOT NULL DEFAULT 0"}});
  withConnection(path, [&](QSqlDatabase& db) {
    const ChatMigrationResult result = migrateChatDatabase(db, path, steps);
    QCOMPARE(int(result.status), int(ChatMigrationResult::Migrated));
    QCOMPARE(result.from_version, currentChatSchemaVersion());
    QCOMPARE(result.to_version, next);
    QVERIFY(result.backup_path.contains(QStringLiteral(".v%1-").arg(currentChatSchemaVersion())));
    QCOMPARE(scalar(db, "PRAGMA user_version"), next);
    QCOMPARE(scalar(db, "SELECT decode_ms FROM messages WHERE content = 'What is 6 times 7?'"), 0);
    // Run again: up to date, no second backup.
    QCOMPARE(int(migrateChatDatabase(db, path, steps).status), int(ChatMigrationResult::UpToDate));
  });
  QCOMPARE(backups(dir.path()).size(), 1);
}

// A file of schema 1 (linear chats, as the release before reply versions wrote them): after the
// upgrade each message follows the one before it, the chats read as before, and a regenerated
// reply or an edited question becomes a sibling instead of replacing the old one.
void TestChatStoreMigration::versionOneChatsBecomeBranches() {
  QTemporaryDir dir;
  const QString path = dir.filePath("chats.sqlite3");
  const std::vector<ChatMigrationStep> version_one(chatMigrationSteps().begin(),
                                                  chatMigrationSteps().begin() + 1);
  QCOMPARE(version_one.back().version, 1);
  withConnection(path, [&](QSqlDatabase& db) {
    QCOMPARE(int(migrateChatDatabase(db, path, version_one).status),
             int(ChatMigrationResult::Migrated));
    writePreviousReleaseChats(db);
    // A longer chat: two turns.
    const QString msg =
        "INSERT INTO messages (conversation_id, role, content, state, created_ms) "
        "VALUES (?, ?, ?, ?, ?)";
    exec(db, msg, {1, "user", "And of Canada?", "complete", 1700000003000LL});
    exec(db, msg, {1, "assistant", "Ottawa.", "complete", 1700000004000LL});
    QCOMPARE(scalar(db, "PRAGMA user_version"), 1);
  });
  QVERIFY(currentChatSchemaVersion() >= 2);
  {
    ChatStore store(path);
    QVERIFY2(store.ok(), qPrintable(store.errorString()));
    QCOMPARE(store.migration().from_version, 1);
    QCOMPARE(store.migration().to_version, currentChatSchemaVersion());
    QVERIFY(!store.migration().backup_path.isEmpty());
    const QList<ChatMessage> first = store.messages(1);
    QCOMPARE(first.size(), 4);
    QCOMPARE(first[0].parent_id, 0);
    for (int i = 1; i < first.size(); ++i) QCOMPARE(first[i].parent_id, first[i - 1].id);
    QCOMPARE(first[2].content, QString("And of Canada?"));
    QCOMPARE(first[3].content, QString("Ottawa."));
    for (const ChatMessage& m : first) QCOMPARE(m.sibling_count, 1);
    QCOMPARE(store.messages(2).size(), 2);
    QCOMPARE(store.messages(2)[1].state, QString(kStateInterrupted));
    // A second version of the last reply: shown instead, the first one kept.
    const qint64 again = store.addVersion(1, first[2].id, "assistant", "Ottawa, Canada.");
    QList<ChatMessage> now = store.messages(1);
    QCOMPARE(now.size(), 4);
    QCOMPARE(now[3].id, again);
    QCOMPARE(now[3].sibling_index, 1);
    QCOMPARE(now[3].sibling_count, 2);
    QCOMPARE(store.siblings(again), (QList<qint64>{first[3].id, again}));
    // An edited first question starts a branch of its own; the old branch stays whole.
    const qint64 edited = store.addVersion(1, 0, "user", "What is the capital of France?");
    QCOMPARE(store.messages(1).size(), 1);
    store.addMessage(1, "assistant", "Paris.");
    QCOMPARE(store.messages(1).size(), 2);
    store.selectVersion(first[0].id);
    now = store.messages(1);
    QCOMPARE(now.size(), 4);  // back on the old branch, with its reply chosen last
    QCOMPARE(now[3].id, again);
    QCOMPARE(store.siblings(edited).size(), 2);
  }
  // Reopened: the choice is kept.
  ChatStore reopened(path);
  QVERIFY(reopened.ok());
  QCOMPARE(int(reopened.migration().status), int(ChatMigrationResult::UpToDate));
  QCOMPARE(reopened.messages(1).size(), 4);
  QCOMPARE(reopened.messages(1).last().content, QString("Ottawa, Canada."));
}

QTEST_GUILESS_MAIN(TestChatStoreMigration)
#include "test_chat_store_migration.moc"
