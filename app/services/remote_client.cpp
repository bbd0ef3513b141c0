#include "app/services/remote_client.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>

namespace pagoda::app {

RemoteClient::RemoteClient(QObject* parent) : QObject(parent) {}

void RemoteClient::start(const QString& request_id, const RemoteEndpoint& endpoint,
                         const QString& api_key, const QJsonArray& messages,
                         const SamplingSettings& sampling) {
  QString base = endpoint.base_url.trimmed();
  while (base.endsWith('/')) base.chop(1);
  const QUrl url(base + QStringLiteral("/chat/completions"));
  if (!url.isValid() || url.scheme().isEmpty()) {
    QMetaObject::invokeMethod(
        this,
        [this, request_id, base] {
          emit finished(request_id, "error", {}, tr("Invalid endpoint URL: %1").arg(base));
        },
        Qt::QueuedConnection);
    return;
  }
  QNetworkRequest request(url);
  request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  request.setRawHeader("Accept", "text/event-stream");
  if (!api_key.isEmpty()) request.setRawHeader("Authorization", "Bearer " + api_key.toUtf8());
  QJsonObject body{{"model", endpoint.model},
                   {"messages", messages},
                   {"stream", true},
                   {"stream_options", QJsonObject{{"include_usage", true}}},
                   {"temperature", sampling.temperature},
                   {"top_p", sampling.top_p},
                   {"max_tokens", sampling.max_tokens}};
  if (sampling.top_k > 0) body.insert("top_k", sampling.top_k);
  if (sampling.repetition_penalty != 1.0)
    body.insert("repetition_penalty", sampling.repetition_penalty);
  if (sampling.seed >= 0) body.insert("seed", sampling.seed);

  Stream& s = streams_[request_id];
  s = Stream{};
  s.clock.start();
  QNetworkReply* reply = network_.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
  s.reply = reply;
  connect(reply, &QNetworkReply::readyRead, this, [this, request_id] { onReadyRead(request_id); });
  connect(reply, &QNetworkReply::finished, this, [this, request_id] { onFinished(request_id); });
}

void RemoteClient::abort(const QString& request_id) {
  auto it = streams_.find(request_id);
  if (it == streams_.end()) return;
  it->finish_reason = "abort";
  if (it->reply) it->reply->abort();  // finished() follows
}

void RemoteClient::onReadyRead(const QString& request_id) {
  auto it = streams_.find(request_id);
  if (it == streams_.end() || !it->reply) return;
  Stream& s = *it;
  s.buffer += s.reply->readAll();
  // Events are separated by a blank line; each "data:" line carries one JSON chunk.
  for (;;) {
    qsizetype end = s.buffer.indexOf("\n\n");
    qsizetype sep = 2;
    const qsizetype crlf = s.buffer.indexOf("\r\n\r\n");
    if (crlf >= 0 && (end < 0 || crlf < end)) {
      end = crlf;
      sep = 4;
    }
    if (end < 0) break;
    const QByteArray event = s.buffer.left(end);
    s.buffer.remove(0, end + sep);
    for (QByteArray line : event.split('\n')) {
      line = line.trimmed();
      if (line.startsWith("data:")) handleEvent(request_id, s, line.mid(5).trimmed());
    }
  }
}

void RemoteClient::handleEvent(const QString& request_id, Stream& s, const QByteArray& data) {
  if (data == "[DONE]") {
    s.done = true;
    return;
  }
  const QJsonObject chunk = QJsonDocument::fromJson(data).object();
  if (chunk.contains("error")) {
    s.finish_reason = "error";
    return;
  }
  const QJsonObject usage = chunk.value("usage").toObject();
  if (!usage.isEmpty()) {
    s.usage.prompt_tokens = usage.value("prompt_tokens").toInt();
    s.usage.completion_tokens = usage.value("completion_tokens").toInt();
    s.usage.cached_tokens =
        usage.value("prompt_tokens_details").toObject().value("cached_tokens").toInt();
  }
  const QJsonArray choices = chunk.value("choices").toArray();
  if (choices.isEmpty()) return;
  const QJsonObject choice = choices.first().toObject();
  const QJsonObject d = choice.value("delta").toObject();
  // Servers that split reasoning out (reasoning_content) get it back inside <think> tags.
  QString text;
  const QString reasoning = d.value("reasoning_content").toString();
  if (!reasoning.isEmpty())
    text += QStringLiteral("<think>") + reasoning + QStringLiteral("</think>");
  text += d.value("content").toString();
  if (!text.isEmpty()) {
    const double now_s = s.clock.elapsed() / 1000.0;
    if (s.ttft_s < 0) s.ttft_s = now_s;
    ++s.chunks;
    GenerationStats live = s.usage;
    live.completion_tokens = std::max(live.completion_tokens, s.chunks);
    live.ttft_s = s.ttft_s;
    live.tokens_per_s = now_s > s.ttft_s ? (live.completion_tokens - 1) / (now_s - s.ttft_s) : 0;
    emit progress(request_id, live);
    emit delta(request_id, text);
  }
  const QString reason = choice.value("finish_reason").toString();
  if (!reason.isEmpty() && s.finish_reason != "abort") s.finish_reason = reason;
}

void RemoteClient::onFinished(const QString& request_id) {
  auto it = streams_.find(request_id);
  if (it == streams_.end()) return;
  Stream s = *it;
  streams_.erase(it);
  QNetworkReply* reply = s.reply;
  if (!reply) return;
  reply->deleteLater();
  const double elapsed = s.clock.elapsed() / 1000.0;
  GenerationStats stats = s.usage;
  if (stats.completion_tokens == 0) stats.completion_tokens = s.chunks;
  stats.ttft_s = std::max(0.0, s.ttft_s);
  const double decode = elapsed - stats.ttft_s;
  stats.tokens_per_s = decode > 0 ? stats.completion_tokens / decode : 0;
  if (s.finish_reason == "abort") {
    emit finished(request_id, "abort", stats, {});
    return;
  }
  if (reply->error() != QNetworkReply::NoError) {
    const QByteArray body = reply->readAll();
    QString detail = QJsonDocument::fromJson(body)
                         .object()
                         .value("error")
                         .toObject()
                         .value("message")
                         .toString();
    if (detail.isEmpty()) detail = reply->errorString();
    emit finished(request_id, "error", stats, tr("The server answered: %1").arg(detail));
    return;
  }
  if (s.finish_reason == "error") {
    emit finished(request_id, "error", stats, tr("The server reported an error while streaming"));
    return;
  }
  emit finished(request_id, s.finish_reason == "length" ? "length" : "stop", stats, {});
}

}  // namespace pagoda::app
