#include "app/services/engine_messages.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace pagoda::app {

QString engineMessageText(const QString& message) {
  // One pattern per message kind of engine/device/backend_factory.cpp and engine_load.cpp;
  // the first capture is the detail.
  static const struct {
    const char* pattern;
    const char* text;
  } kinds[] = {
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
  for (const auto& kind : kinds) {
    const QRegularExpressionMatch m =
        QRegularExpression(QString::fromLatin1(kind.pattern)).match(message);
    if (!m.hasMatch()) continue;
    const QString text = QCoreApplication::translate("EngineMessages", kind.text);
    return m.lastCapturedIndex() >= 1 ? text.arg(m.captured(1)) : text;
  }
  return message;
}

}  // namespace pagoda::app
