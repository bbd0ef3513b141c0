#pragma once
// `pagoda --self-test`: checks, offscreen, what a missing runtime package breaks in an installed
// app (blank SVG icons, no SQLite driver, no platform plugin or fonts, the bundled model not
// found), on the window and services that main() built. Prints one line per check and returns
// the process exit code (0: all passed). GUI thread; it spins the event loop while it waits.
#include <QTemporaryDir>
#include <memory>

namespace pagoda::app {
class ChatStore;
class ModelLibrary;
}  // namespace pagoda::app

namespace pagoda::ui {

class MainWindow;

// Called before QApplication exists: points the XDG config, data, cache and state dirs at a
// temporary folder (the self-test touches no user data) and selects the offscreen platform
// unless QT_QPA_PLATFORM is set. Keep the returned folder alive until the app exits.
std::unique_ptr<QTemporaryDir> prepareSelfTest();

int runSelfTest(MainWindow& window, app::ModelLibrary& library, const app::ChatStore& store);

}  // namespace pagoda::ui
