#pragma once
// Schema versions of the chat database and the steps between them. The version lives in the
// file (PRAGMA user_version); a store opened by a newer Pagoda runs the missing steps, in order,
// in one transaction, after copying the database to a backup file (VACUUM INTO, so the copy is
// consistent even with a WAL file beside it). Called by ChatStore on the thread that owns its
// connection, before any other query.
//
// Adding a schema change: append a step to chatMigrationSteps() with the next version number;
// never edit a step that has shipped.
#include <QString>
#include <QStringList>
#include <vector>

class QSqlDatabase;

namespace pagoda::app {

struct ChatMigrationStep {
  int version;          // user_version once this step has run (1, 2, ...; consecutive)
  QString description;  // what changes, for logs and the backup's name
  QStringList statements;
};

// Every step since the first release, oldest first. The last step's version is the schema
// version this build writes.
const std::vector<ChatMigrationStep>& chatMigrationSteps();
int currentChatSchemaVersion();

struct ChatMigrationResult {
  enum Status { UpToDate, Migrated, NewerThanApp, Failed };
  Status status = Failed;
  int from_version = 0;
  int to_version = 0;
  QString backup_path;  // empty when nothing needed a backup (a new or current database)
  QString error;        // SQLite's message when status is Failed
};

// Brings `db` (open, on `database_path`) up to the last version of `steps`. A database that
// already holds tables gets a backup next to it first: <path>.v<from>-<yyyyMMdd-hhmmss>.bak.
// On failure nothing is changed (the transaction is rolled back) and the backup stays.
ChatMigrationResult migrateChatDatabase(QSqlDatabase& db, const QString& database_path,
                                        const std::vector<ChatMigrationStep>& steps =
                                            chatMigrationSteps());

}  // namespace pagoda::app
