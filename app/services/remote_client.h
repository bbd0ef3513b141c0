#pragma once
// Chat completions against an OpenAI-compatible server, streamed with server-sent events
// (QNetworkAccessManager: asynchronous, nothing blocks the GUI thread).
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>

#include "app/services/app_settings.h"
#include "app/services/chat_types.h"

class QNetworkReply;

namespace pagoda::app {

class RemoteClient : public QObject {
  Q_OBJECT
 public:
  explicit RemoteClient(QObject* parent = nullptr);

  // messages: [{"role":..., "content":...}]. The key goes only into the Authorization header.
  void start(const QString& request_id, const RemoteEndpoint& endpoint, const QString& api_key,
             const QJsonArray& messages, const SamplingSettings& sampling);
  void abort(const QString& request_id);

 signals:
  void delta(const QString& request_id, const QString& text);
  // With each delta: tokens so far (chunks until the server's usage arrives) and the speed.
  void progress(const QString& request_id, const pagoda::app::GenerationStats& so_far);
  // reason: stop | length | abort | error (then error says why).
  void finished(const QString& request_id, const QString& reason,
                const pagoda::app::GenerationStats& stats, const QString& error);

 private:
  struct Stream {
    QPointer<QNetworkReply> reply;
    QByteArray buffer;
    QElapsedTimer clock;
    double ttft_s = -1;
    int chunks = 0;
    QString finish_reason;
    bool done = false;
    GenerationStats usage;
  };
  void onReadyRead(const QString& request_id);
  void onFinished(const QString& request_id);
  void handleEvent(const QString& request_id, Stream& s, const QByteArray& data);

  QNetworkAccessManager network_;
  QHash<QString, Stream> streams_;
};

}  // namespace pagoda::app
