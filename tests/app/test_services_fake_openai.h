#pragma once
// A tiny OpenAI-compatible chat server for tests: answers every POST with the given chunks as
// server-sent events, one every interval_ms.
#include <QByteArray>
#include <QStringList>
#include <QTcpServer>

class FakeOpenAiServer : public QTcpServer {
  Q_OBJECT
 public:
  explicit FakeOpenAiServer(QObject* parent = nullptr);
  QString baseUrl() const;
  QStringList chunks;
  int interval_ms = 10;
  QByteArray last_request;  // headers and body of the last request
  int requests = 0;
};
