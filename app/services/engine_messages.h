#pragma once
// The engine and the hub client (Qt-free) report in English: which backend the engine chose and
// why, why a load or a download failed. This maps the kinds of message the UI shows to text in
// the UI language, keeping the detail (a device name, a library error) verbatim. Any thread; translated with the
// translators installed when called.
#include <QString>

namespace pagoda::app {

QString engineMessageText(const QString& engine_message);

// The hub client's (app/hub, Qt-free) download errors and status lines: a sentence in the UI
// language for the kinds it reports (HTTP 404, 401/403, network, checksum, disk full, retrying);
// empty when the kind is unknown. The caller shows the raw message as the detail.
QString hubMessageText(const QString& hub_message);

}  // namespace pagoda::app
