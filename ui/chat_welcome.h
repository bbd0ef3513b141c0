#pragma once
// What an empty chat shows (the first run especially): the hardware found, in plain words
// ("NVIDIA RTX 3080, 10 GB — models up to ~18B in 4-bit fit", "No NVIDIA GPU found — Pagoda runs
// on the CPU, slowly"; never a driver's error text), one click to load the bundled demo-chat or
// the model loaded last time, and example prompts that demo-chat really answers, as chips.
// The GPU comes from the Dashboard's telemetry (NVML) and the "~18B" from the library's fit
// estimate. GUI thread only.
#include <QFrame>
#include <QString>
#include <QStringList>

#include "ui/services.h"

class QLabel;
class QPushButton;

namespace pagoda::app {
struct TelemetryTick;
}

namespace pagoda::ui {

// A model the chat offers to load: the one loaded last time when it is still in the library,
// else the bundled demo-chat. Empty path when there is neither.
struct ModelOffer {
  QString path;
  QString name;
  bool last_used = false;
};
ModelOffer offeredModel(const Services& services);
// Loads it with the device and context length of Settings.
void loadOffered(const Services& services, const ModelOffer& offer);

class ChatWelcome : public QFrame {
  Q_OBJECT
 public:
  explicit ChatWelcome(const Services& services, QWidget* parent = nullptr);

  QString hardwareText() const;
  // "Load demo-chat", or "Load <the last model>".
  static QString loadText(const ModelOffer& offer);
  // The prompts shown as chips (demo-chat answers each; see its README).
  static QStringList examplePrompts();
  // The hardware line for a telemetry sample (sampled: whether any sample arrived yet).
  static QString describeHardware(const app::TelemetryTick& tick, bool sampled,
                                  int context_length);

 signals:
  void promptChosen(const QString& prompt);

 private:
  void refresh();

  Services services_;
  QLabel* hardware_;
  QLabel* status_;
  QPushButton* load_;
  QList<QPushButton*> chips_;
};

}  // namespace pagoda::ui
