#pragma once
// The engine (Qt-free) reports in English: which backend it chose and why, and why a load
// failed. This maps the kinds of message the UI shows to text in the UI language, keeping the
// engine's detail (a device name, a library error) verbatim. Any thread; translated with the
// translators installed when called.
#include <QString>

namespace pagoda::app {

QString engineMessageText(const QString& engine_message);

}  // namespace pagoda::app
