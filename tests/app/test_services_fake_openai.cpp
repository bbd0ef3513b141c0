#include "tests/app/test_services_fake_openai.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

FakeOpenAiServer::FakeOpenAiServer(QObject* parent) : QTcpServer(parent) {
  listen(QHostAddress::LocalHost, 0);
  connect(this, &QTcpServer::newConnection, this, [this] {
    QTcpSocket* socket = nextPendingConnection();
    auto* received = new QByteArray;
    connect(socket, &QObject::destroyed, [received] { delete received; });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket, received] {
      *received += socket->readAll();
      const qsizetype header_end = received->indexOf("\r\n\r\n");
      if (header_end < 0) return;
      qsizetype length = 0;
      for (const QByteArray& line : received->left(header_end).split('\n'))
        if (line.toLower().startsWith("content-length:"))
          length = line.mid(15).trimmed().toLongLong();
      if (received->size() < header_end + 4 + length) return;
      if (socket->property("answered").toBool()) return;
      socket->setProperty("answered", true);
      last_request = *received;
      ++requests;
      socket->write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      auto* timer = new QTimer(socket);
      timer->setInterval(interval_ms);
      auto index = std::make_shared<int>(0);
      const QStringList to_send = chunks;
      connect(timer, &QTimer::timeout, socket, [socket, timer, index, to_send] {
        if (*index < to_send.size()) {
          const QJsonObject chunk{
              {"choices",
               QJsonArray{QJsonObject{{"index", 0},
                                      {"delta", QJsonObject{{"content", to_send[*index]}}}}}}};
          socket->write("data: " + QJsonDocument(chunk).toJson(QJsonDocument::Compact) + "\n\n");
          ++*index;
          return;
        }
        const QJsonObject last{
            {"choices", QJsonArray{QJsonObject{
                            {"index", 0}, {"delta", QJsonObject{}}, {"finish_reason", "stop"}}}}};
        socket->write("data: " + QJsonDocument(last).toJson(QJsonDocument::Compact) + "\n\n");
        socket->write("data: [DONE]\n\n");
        timer->stop();
        socket->disconnectFromHost();
      });
      timer->start();
    });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
  });
}

QString FakeOpenAiServer::baseUrl() const {
  return QStringLiteral("http://127.0.0.1:%1/v1").arg(serverPort());
}
