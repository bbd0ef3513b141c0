// Child process of test_services: streams a reply into a ChatStore through ChatService (from a
// fake remote endpoint), prints the ids once a partial save happened, and waits to be killed.
#include <QCoreApplication>
#include <QTimer>
#include <cstdio>

#include "app/services/app_settings.h"
#include "app/services/chat_service.h"
#include "app/services/chat_store.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"
#include "app/services/remote_client.h"
#include "tests/app/test_services_fake_openai.h"

using namespace pagoda::app;

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  if (argc < 3) return 2;
  ChatStore store(QString::fromLocal8Bit(argv[1]));
  AppSettings settings(QString::fromLocal8Bit(argv[2]));
  FakeOpenAiServer server;
  for (int i = 0; i < 100000; ++i) server.chunks << QStringLiteral("word%1 ").arg(i);
  server.interval_ms = 5;
  const QString endpoint = settings.saveRemoteEndpoint({{}, "fake", server.baseUrl(), "fake"});
  KeyStore keys(false);
  RemoteClient remote;
  EngineService engine;
  ChatService chat(&store, &engine, &remote, &keys, &settings);
  const qint64 conversation = store.createConversation("Crash test", {}, "remote:" + endpoint);
  store.addMessage(conversation, "user", "first question");
  store.addMessage(conversation, "assistant", "first answer");
  chat.send(conversation, "second question");
  // Report once the reply has been saved at least once (every second) and has grown since.
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, [&] {
    const ChatMessage m = store.message(chat.streamingMessageId());
    if (m.content.size() > 20) {
      std::printf("STREAMING %lld %lld\n", conversation, m.id);
      std::fflush(stdout);
      poll.stop();
    }
  });
  poll.start(50);
  return app.exec();
}
