// The desktop app's non-visual services: ChatStore (SQLite, crash recovery, export),
// AppSettings (no secrets on disk), ModelLibrary (scan, reasons, fit), RemoteClient (SSE).
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "app/services/app_settings.h"
#include "app/services/chat_service.h"
#include "app/services/chat_store.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"
#include "app/services/model_library.h"
#include "app/services/remote_client.h"
#include "tests/app/test_services_fake_openai.h"

using namespace pagoda::app;

namespace {

QJsonObject readJson(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

// Copies a fixture model folder so that the test can damage it.
QString copyModel(const QString& name, const QString& to) {
  const QDir from(QStringLiteral(PAGODA_TEST_DATA "/models/") + name);
  QDir().mkpath(to);
  for (const QString& file : from.entryList(QDir::Files))
    QFile::copy(from.filePath(file), to + "/" + file);
  return to;
}

}  // namespace

class TestServices : public QObject {
  Q_OBJECT
 private slots:
  void chatStoreRoundTrip();
  void chatStoreStreamingBecomesInterrupted();
  void chatStoreSurvivesSigkill();
  void chatStoreExport();
  void splitThinkAndHistory();
  void settingsKeepNoKeys();
  void libraryFindsCompleteAndBrokenModels();
  void libraryFitEstimate();
  void remoteClientStreamsAndStops();
  void engineServiceLoadsStreamsAndFails();
};

void TestServices::chatStoreRoundTrip() {
  QTemporaryDir dir;
  const QString db = dir.filePath("chats.sqlite3");
  qint64 a = 0, b = 0;
  {
    ChatStore store(db);
    QVERIFY2(store.ok(), qPrintable(store.errorString()));
    a = store.createConversation("Capitals", "Be brief.");
    b = store.createConversation("Arithmetic");
    store.addMessage(a, "user", "What is the capital of China?");
    store.addMessage(a, "assistant", "Beijing.");
    store.addMessage(b, "user", "What is 7 + 5?");
    store.renameConversation(b, "Sums");
    SamplingSettings s = SamplingSettings::preset("creative");
    s.seed = 42;
    store.setSampling(a, s);
    QCOMPARE(store.conversations().size(), 2);
    QCOMPARE(store.conversations("capital of").size(), 1);  // message text
    QCOMPARE(store.conversations("SUMS").first().id, b);    // title, any case
    QCOMPARE(store.conversations("nothing like this").size(), 0);
  }
  ChatStore reopened(db);
  QVERIFY(reopened.ok());
  QCOMPARE(reopened.conversations().size(), 2);
  QCOMPARE(reopened.conversation(a).system_prompt, QString("Be brief."));
  QCOMPARE(reopened.conversation(a).sampling.seed, 42);
  QCOMPARE(reopened.conversation(a).sampling.temperature,
           SamplingSettings::preset("creative").temperature);
  const QList<ChatMessage> messages = reopened.messages(a);
  QCOMPARE(messages.size(), 2);
  QCOMPARE(messages[1].content, QString("Beijing."));
  reopened.deleteMessagesFrom(a, messages[1].id);
  QCOMPARE(reopened.messages(a).size(), 1);
  reopened.deleteConversation(b);
  QCOMPARE(reopened.conversations().size(), 1);
  QCOMPARE(reopened.messages(b).size(), 0);
}

void TestServices::chatStoreStreamingBecomesInterrupted() {
  QTemporaryDir dir;
  const QString db = dir.filePath("chats.sqlite3");
  qint64 streaming = 0;
  {
    ChatStore store(db);
    const qint64 c = store.createConversation("t");
    store.addMessage(c, "user", "hi");
    streaming = store.addMessage(c, "assistant", "partial", kStateStreaming);
  }
  ChatStore reopened(db);
  QCOMPARE(reopened.recoveredInterrupted(), 1);
  QCOMPARE(reopened.message(streaming).state, QString(kStateInterrupted));
  QCOMPARE(reopened.message(streaming).content, QString("partial"));
}

void TestServices::chatStoreSurvivesSigkill() {
  QTemporaryDir dir;
  const QString db = dir.filePath("chats.sqlite3");
  QProcess child;
  child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
  child.start(CRASH_HELPER, {db, dir.filePath("settings.conf")});
  QVERIFY(child.waitForStarted());
  QByteArray line;
  QElapsedTimer clock;
  clock.start();
  while (!line.contains('\n') && clock.elapsed() < 20000) {
    child.waitForReadyRead(200);
    line += child.readAllStandardOutput();
  }
  QVERIFY2(line.startsWith("STREAMING"), line.constData());
  const QList<QByteArray> parts = line.trimmed().split(' ');
  const qint64 conversation = parts[1].toLongLong();
  const qint64 streaming_id = parts[2].toLongLong();
  child.kill();  // SIGKILL: no destructor, no flush
  QVERIFY(child.waitForFinished());
  QCOMPARE(child.exitStatus(), QProcess::CrashExit);

  ChatStore store(db);
  QVERIFY(store.ok());
  const QList<ChatMessage> messages = store.messages(conversation);
  QCOMPARE(messages.size(), 4);
  QCOMPARE(messages[0].content, QString("first question"));
  QCOMPARE(messages[1].content, QString("first answer"));
  QCOMPARE(messages[2].content, QString("second question"));
  for (int i = 0; i < 3; ++i) QCOMPARE(messages[i].state, QString(kStateComplete));
  QCOMPARE(messages[3].id, streaming_id);
  QCOMPARE(messages[3].state, QString(kStateInterrupted));
  QVERIFY(messages[3].content.startsWith("word0 word1 "));
  qInfo() << "interrupted reply kept" << messages[3].content.size() << "characters";
}

void TestServices::chatStoreExport() {
  QTemporaryDir dir;
  ChatStore store(dir.filePath("chats.sqlite3"));
  const qint64 c = store.createConversation("Export me", "System words");
  store.addMessage(c, "user", "Question *one*");
  store.addMessage(c, "assistant", "```python\nprint(1)\n```");
  const QString md = store.exportMarkdown(c);
  QVERIFY(md.startsWith("# Export me"));
  QVERIFY(md.contains("System words"));
  QVERIFY(md.contains("## User\n\nQuestion *one*"));
  QVERIFY(md.contains("```python\nprint(1)\n```"));
  const QJsonObject json = QJsonDocument::fromJson(store.exportJson(c)).object();
  QCOMPARE(json.value("title").toString(), QString("Export me"));
  const QJsonArray messages = json.value("messages").toArray();
  QCOMPARE(messages.size(), 2);
  QCOMPARE(messages[1].toObject().value("role").toString(), QString("assistant"));
}

void TestServices::splitThinkAndHistory() {
  ThinkSplit s = splitThink("<think>Let me see.</think>The answer is 4.");
  QCOMPARE(s.reasoning, QString("Let me see."));
  QCOMPARE(s.answer, QString("The answer is 4."));
  s = splitThink("<think>still going");
  QVERIFY(s.reasoning_open);
  QVERIFY(s.answer.isEmpty());
  s = splitThink("only closes</think>Answer");  // the template opened <think> itself
  QCOMPARE(s.answer, QString("Answer"));
  QCOMPARE(codeBlocks("a\n```cpp\nint x;\n```\nb\n```\ny\n```"), QStringList({"int x;", "y"}));

  QTemporaryDir dir;
  ChatStore store(dir.filePath("chats.sqlite3"));
  AppSettings settings(dir.filePath("s.conf"));
  KeyStore keys(false);
  RemoteClient remote;
  EngineService engine;
  ChatService chat(&store, &engine, &remote, &keys, &settings);
  const qint64 c = store.createConversation("t", "You are terse.");
  store.addMessage(c, "user", "2+2?");
  store.addMessage(c, "assistant", "<think>add them</think>4");
  store.addMessage(c, "assistant", "boom", kStateError);
  const QJsonArray h = chat.history(c);
  QCOMPARE(h.size(), 3);
  QCOMPARE(h[0].toObject().value("role").toString(), QString("system"));
  QCOMPARE(h[2].toObject().value("content").toString(), QString("4"));
}

void TestServices::settingsKeepNoKeys() {
  QTemporaryDir dir;
  const QString file = dir.filePath("pagoda.conf");
  const QString secret = "sk-test-secret-value-123";
  {
    AppSettings settings(file);
    KeyStore keys(false);
    QSignalSpy changed(&settings, &AppSettings::remoteEndpointsChanged);
    const QString id = settings.saveRemoteEndpoint({{}, "Office", "http://gpu:8000/v1", "qwen"});
    keys.storeKey(id, secret);
    settings.setModelsFolder(dir.filePath("models"));
    settings.addImportedFolder(dir.filePath("elsewhere"));
    settings.setLanguage("zh_CN");
    settings.setDevice("cpu");
    settings.setContextLength(8192);
    QCOMPARE(changed.count(), 1);
    QString read;
    keys.readKey(id, [&](const QString& k) { read = k; });
    QTRY_COMPARE(read, secret);
  }
  AppSettings settings(file);
  QCOMPARE(settings.remoteEndpoints().size(), 1);
  QCOMPARE(settings.remoteEndpoints().first().base_url, QString("http://gpu:8000/v1"));
  QCOMPARE(settings.importedFolders(), QStringList{dir.filePath("elsewhere")});
  QCOMPARE(settings.language(), QString("zh_CN"));
  QCOMPARE(settings.device(), QString("cpu"));
  QCOMPARE(settings.contextLength(), 8192);
  QFile f(file);
  QVERIFY(f.open(QIODevice::ReadOnly));
  QVERIFY(!f.readAll().contains(secret.toUtf8()));
  settings.removeRemoteEndpoint(settings.remoteEndpoints().first().id);
  QCOMPARE(settings.remoteEndpoints().size(), 0);
}

void TestServices::libraryFindsCompleteAndBrokenModels() {
  QTemporaryDir dir;
  const QString models = dir.filePath("models");
  copyModel("tiny-qwen2", models + "/tiny-qwen2");
  copyModel("tiny-llama3", models + "/org/tiny-llama3");  // hub-style org/name
  const QString missing = copyModel("tiny-qwen2", models + "/missing-shard");
  const QString shard = QDir(missing).entryList({"*-00002-of-*.safetensors"}).value(0);
  QVERIFY2(!shard.isEmpty(), "tiny-qwen2 has two shards");
  QFile::remove(missing + "/" + shard);
  const QString partial = copyModel("tiny-mistral", models + "/partial");
  QFile(partial + "/.incomplete").open(QIODevice::WriteOnly);
  const QString unknown = copyModel("tiny-qwen3", models + "/unknown-arch");
  {
    QFile config(unknown + "/config.json");
    QVERIFY(config.open(QIODevice::ReadOnly));
    QJsonObject json = QJsonDocument::fromJson(config.readAll()).object();
    config.close();
    json["architectures"] = QJsonArray{"FancyNewForCausalLM"};
    json["model_type"] = "fancy";
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(QJsonDocument(json).toJson());
  }
  const QString imported = copyModel("tiny-yi-spm", dir.filePath("elsewhere/yi"));

  AppSettings settings(dir.filePath("s.conf"));
  settings.setModelsFolder(models);
  settings.addImportedFolder(imported);
  ModelLibrary library(
      &settings, {dir.filePath("nowhere"), QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat")});
  QSignalSpy changed(&library, &ModelLibrary::modelsChanged);
  library.rescan();
  QVERIFY(changed.wait(20000));
  const QList<ModelEntry> entries = library.models();
  QCOMPARE(entries.size(), 7);
  auto find = [&](const QString& name) {
    for (const ModelEntry& e : entries)
      if (e.name == name) return e;
    return ModelEntry{};
  };
  const ModelEntry demo = find("demo-chat");
  QCOMPARE(demo.source, QString("bundled"));
  QVERIFY2(demo.loadable, qPrintable(demo.problem));
  const QJsonObject demo_config =
      readJson(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat/config.json"));
  QCOMPARE(demo.architecture, demo_config.value("architectures").toArray().first().toString());
  QCOMPARE(demo.context_length, demo_config.value("max_position_embeddings").toInt());
  QVERIFY(demo.parameters > 0);
  QVERIFY(demo.kv_bytes_per_token > 0);
  QCOMPARE(demo.dtype, QString("BF16"));
  QVERIFY(find("tiny-qwen2").loadable);
  QVERIFY2(find("tiny-llama3").loadable, qPrintable(find("tiny-llama3").problem));
  QCOMPARE(find("yi").source, QString("imported"));
  QVERIFY(find("yi").loadable);
  QVERIFY(!find("missing-shard").loadable);
  QVERIFY2(find("missing-shard").problem.contains(shard),
           qPrintable(find("missing-shard").problem));
  QVERIFY(!find("partial").loadable);
  QVERIFY(find("partial").problem.contains("incomplete"));
  QVERIFY(!find("unknown-arch").loadable);
  QVERIFY2(find("unknown-arch").problem.contains("FancyNewForCausalLM"),
           qPrintable(find("unknown-arch").problem));
}

void TestServices::libraryFitEstimate() {
  QTemporaryDir dir;
  AppSettings settings(dir.filePath("s.conf"));
  ModelLibrary library(&settings, {});
  const ModelEntry demo =
      ModelLibrary::inspect(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "bundled");
  QVERIFY(demo.loadable);
  const qint64 small = ModelLibrary::estimateBytes(demo, 1024);
  const qint64 large = ModelLibrary::estimateBytes(demo, 4096);
  QCOMPARE(large - small, demo.kv_bytes_per_token * 3072);
  QVERIFY(small > demo.weights_bytes);
  QVERIFY(library.deviceMemoryBytes() == ModelLibrary::totalRamBytes());
  QVERIFY(library.fits(demo, 4096));
  library.setDeviceMemory(small - 1, "Tiny GPU");
  QVERIFY(!library.fits(demo, 1024));
  QCOMPARE(library.deviceLabel(), QString("Tiny GPU"));
}

void TestServices::remoteClientStreamsAndStops() {
  FakeOpenAiServer server;
  server.chunks = {"The ", "capital ", "is ", "Beijing."};
  RemoteClient client;
  QSignalSpy deltas(&client, &RemoteClient::delta);
  QSignalSpy finished(&client, &RemoteClient::finished);
  const RemoteEndpoint endpoint{"id", "fake", server.baseUrl(), "m"};
  client.start("r1", endpoint, "sk-secret",
               QJsonArray{QJsonObject{{"role", "user"}, {"content", "hi"}}},
               SamplingSettings::preset("precise"));
  QVERIFY(finished.wait(10000));
  QCOMPARE(finished.first().at(1).toString(), QString("stop"));
  QString text;
  for (const auto& d : deltas) text += d.at(1).toString();
  QCOMPARE(text, server.chunks.join(""));
  QVERIFY(server.last_request.contains("Authorization: Bearer sk-secret"));
  QVERIFY(server.last_request.contains("\"stream\":true"));

  server.chunks.clear();
  for (int i = 0; i < 1000; ++i) server.chunks << "x";
  deltas.clear();
  finished.clear();
  client.start("r2", endpoint, {}, {}, {});
  QTRY_VERIFY(deltas.count() >= 3);
  client.abort("r2");
  QTRY_COMPARE(finished.count(), 1);
  QCOMPARE(finished.first().at(1).toString(), QString("abort"));
  QVERIFY(deltas.count() < 1000);

  RemoteEndpoint bad = endpoint;
  bad.base_url = "http://127.0.0.1:1/v1";  // nothing listens there
  finished.clear();
  client.start("r3", bad, {}, {}, {});
  QVERIFY(finished.wait(10000));
  QCOMPARE(finished.first().at(1).toString(), QString("error"));
  QVERIFY(!finished.first().at(3).toString().isEmpty());
}

void TestServices::engineServiceLoadsStreamsAndFails() {
  EngineService engine;
  QCOMPARE(engine.workerThread()->objectName(), QString("pagoda-engine-worker"));
  QVERIFY(engine.workerThread()->isRunning());

  // A broken folder: the reason comes back, nothing is loaded.
  QTemporaryDir dir;
  const QString broken = copyModel("tiny-qwen2", dir.filePath("broken"));
  for (const QString& shard : QDir(broken).entryList({"*-00002-of-*.safetensors"}))
    QFile::remove(broken + "/" + shard);
  QSignalSpy failed(&engine, &EngineService::loadFailed);
  engine.load(broken, "cpu", 512);
  QVERIFY(engine.isLoading());
  QVERIFY(failed.wait(30000));
  QVERIFY(!engine.isLoaded());
  QVERIFY(!failed.first().at(1).toString().isEmpty());
  qInfo() << "load failure reason:" << failed.first().at(1).toString();

  QSignalSpy loaded(&engine, &EngineService::loaded);
  QSignalSpy stats(&engine, &EngineService::statsUpdated);
  engine.load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 1024);
  QVERIFY(loaded.wait(60000));
  QVERIFY(engine.isLoaded());
  QCOMPARE(engine.info().backend, QString("cpu"));
  QCOMPARE(engine.info().max_model_len, 1024);
  const QJsonObject generation =
      readJson(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat/generation_config.json"));
  QVERIFY(engine.info().has_defaults);
  QCOMPARE(engine.info().defaults.top_k, generation.value("top_k").toInt());
  QVERIFY(stats.wait(3000));  // polled on the worker at ~2 Hz
  QCOMPARE(stats.last().at(0).value<EngineStatsSnapshot>().backend, QString("cpu"));

  // A request streams deltas on the GUI thread and finishes with stats.
  QSignalSpy deltas(&engine, &EngineService::delta);
  QSignalSpy finished(&engine, &EngineService::finished);
  SamplingSettings greedy = SamplingSettings::preset("precise");
  greedy.max_tokens = 64;
  engine.chat("r1", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Count from 1 to 12."}}},
              greedy);
  QVERIFY(finished.wait(60000));
  QCOMPARE(finished.first().at(0).toString(), QString("r1"));
  QVERIFY(deltas.count() >= 2);
  const GenerationStats gen = finished.first().at(2).value<GenerationStats>();
  QVERIFY(gen.completion_tokens > 0);
  QVERIFY(gen.prompt_tokens > 0);

  // Switching models while a request runs aborts it cleanly.
  finished.clear();
  greedy.max_tokens = 100000;
  engine.chat("r2", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Hello!"}}}, greedy);
  engine.unload();
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
  QTRY_VERIFY(!engine.isLoaded());
}

QTEST_GUILESS_MAIN(TestServices)
#include "test_services.moc"
