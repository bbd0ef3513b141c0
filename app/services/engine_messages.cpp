#include "app/services/engine_messages.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace pagoda::app {
namespace {

// A kind of message: a pattern on the English text, and the translated sentence, into which
// the first capture (the detail) goes as %1.
struct MessageKind {
  const char* pattern;
  const char* text;
};

template <size_t N>
QString translateKind(const MessageKind (&kinds)[N], const QString& message) {
  for (const MessageKind& kind : kinds) {
    const QRegularExpressionMatch m =
        QRegularExpression(QString::fromLatin1(kind.pattern)).match(message);
    if (!m.hasMatch()) continue;
    const QString text = QCoreApplication::translate("EngineMessages", kind.text);
    return m.lastCapturedIndex() >= 1 ? text.arg(m.captured(1)) : text;
  }
  return {};
}

}  // namespace

QString engineMessageText(const QString& message) {
  // One pattern per message kind of engine/device/backend_factory.cpp and engine_load.cpp.
  static const MessageKind kinds[] = {
      {"^Using the CPU backend, as requested\\.$",
       QT_TRANSLATE_NOOP("EngineMessages", "Running on the CPU, as chosen in Settings.")},
      {"^Using the CUDA backend on (.+)\\.$",
       QT_TRANSLATE_NOOP("EngineMessages", "Running on the NVIDIA GPU %1 (CUDA).")},
      {"^Using the CPU backend because (.+)\\.$",
       QT_TRANSLATE_NOOP("EngineMessages",
                         "Running on the CPU (slower): the NVIDIA GPU cannot be used, because %1.")},
      {"^CUDA backend unavailable: (.+)$",
       QT_TRANSLATE_NOOP("EngineMessages", "The NVIDIA GPU (CUDA) cannot be used: %1")},
      {"^no backend available for device '(.+)'$",
       QT_TRANSLATE_NOOP("EngineMessages", "No engine can run on the device \"%1\".")},
      {"^unknown device '(.+)'; expected cpu, cuda or auto$",
       QT_TRANSLATE_NOOP("EngineMessages", "Unknown device \"%1\": choose CPU, CUDA or automatic.")},
  };
  const QString text = translateKind(kinds, message);
  return text.isEmpty() ? message : text;
}

QString hubMessageText(const QString& message) {
  // The messages of app/hub (http.cpp, download_job.cpp) and curl's network errors.
  static const MessageKind kinds[] = {
      {"^retrying in (\\d+) s: ",
       QT_TRANSLATE_NOOP("EngineMessages", "Connection trouble: retrying in %1 s.")},
      {"; downloading it again$",
       QT_TRANSLATE_NOOP("EngineMessages", "A file arrived damaged: downloading it again.")},
      {"HTTP 404\\b",
       QT_TRANSLATE_NOOP("EngineMessages", "The hub has no such model, revision or file.")},
      {"HTTP 40[13]\\b",
       QT_TRANSLATE_NOOP("EngineMessages",
                         "The hub refused access: this model needs an access token (Discover).")},
      {"HTTP 5\\d\\d\\b",
       QT_TRANSLATE_NOOP("EngineMessages", "The hub had a server error; retry later.")},
      {"sha256 mismatch",
       QT_TRANSLATE_NOOP("EngineMessages", "A downloaded file was damaged (checksum mismatch).")},
      {"No space left|disk full",
       QT_TRANSLATE_NOOP("EngineMessages", "The disk is full.")},
      {"resolve host|Could not connect|Couldn't connect|timed out|Timeout|Connection refused",
       QT_TRANSLATE_NOOP("EngineMessages", "Cannot reach the hub: check the network connection.")},
  };
  return translateKind(kinds, message);
}

}  // namespace pagoda::app
