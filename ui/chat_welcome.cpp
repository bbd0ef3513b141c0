#include "ui/chat_welcome.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>
#include <cmath>

#include "app/services/app_settings.h"
#include "app/services/engine_service.h"
#include "app/services/model_library.h"
#include "app/services/telemetry_service.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

// "~18B", "~7.5B", "~800M": as precise as an estimate deserves.
QString approximateParameters(qint64 count) {
  if (count >= 10'000'000'000) return QStringLiteral("~%1B").arg(count / 1'000'000'000);
  if (count >= 1'000'000'000) return QStringLiteral("~%1B").arg(count / 1e9, 0, 'f', 1);
  return QStringLiteral("~%1M").arg(count / 1'000'000);
}

}  // namespace

ModelOffer offeredModel(const Services& services) {
  const QString last = services.settings->lastModelPath();
  ModelOffer bundled;
  for (const app::ModelEntry& e : services.library->models()) {
    if (!e.loadable) continue;
    if (!last.isEmpty() && e.path == last) return {e.path, e.name, true};
    if (e.source == QLatin1String("bundled") && bundled.path.isEmpty()) bundled = {e.path, e.name};
  }
  return bundled;
}

void loadOffered(const Services& services, const ModelOffer& offer) {
  if (offer.path.isEmpty() || services.engine->isLoading()) return;
  services.engine->load(offer.path, services.settings->device(),
                        services.settings->contextLength());
}

QStringList ChatWelcome::examplePrompts() {
  // Questions of the kinds demo-chat was trained on (resources/models/demo-chat/README.md), in
  // the UI's language where it knows them (its Chinese is capitals and greetings); the GUI test
  // checks its reply to each English one.
  if (QLocale().language() == QLocale::Chinese)
    return {QString::fromUtf8("中国的首都是哪里?"), QString::fromUtf8("你是谁?"),
            QString::fromUtf8("你好")};
  return {QStringLiteral("What is the capital of China?"), QStringLiteral("What is 7 + 5?"),
          QStringLiteral("What is 8 times 9?"), QStringLiteral("Count from 1 to 9."),
          QString::fromUtf8("你是谁?")};
}

QString ChatWelcome::describeHardware(const app::TelemetryTick& tick, bool sampled,
                                      int context_length) {
  if (!sampled) return tr("Looking for a GPU…");
  if (!tick.nvml_available || tick.gpus.empty())
    return tr("No NVIDIA GPU found — Pagoda runs on the CPU, slowly");
  const telemetry::GpuSample& gpu = tick.gpus.front();
  const qint64 memory = static_cast<qint64>(gpu.memory_total_bytes);
  QString text =
      tr("%1, %2 — models up to %3 in 4-bit fit")
          .arg(QString::fromStdString(gpu.name),
               QLocale().formattedDataSize(memory, 0, QLocale::DataSizeTraditionalFormat),
               approximateParameters(app::ModelLibrary::largestFitting4Bit(memory, context_length)));
  if (tick.gpus.size() > 1)
    text += QStringLiteral(" ") + tr("(%n more GPU(s) found)", nullptr, int(tick.gpus.size()) - 1);
  return text;
}

ChatWelcome::ChatWelcome(const Services& services, QWidget* parent)
    : QFrame(parent), services_(services) {
  setObjectName("Welcome");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 24, 8, 8);
  layout->setSpacing(10);
  auto* title = new QLabel(tr("Welcome to Pagoda"));
  title->setObjectName("PageTitle");
  hardware_ = new QLabel;
  hardware_->setObjectName("WelcomeHardware");
  hardware_->setWordWrap(true);
  status_ = new QLabel;
  status_->setObjectName("Muted");
  status_->setWordWrap(true);
  load_ = new QPushButton;
  load_->setObjectName("Primary");
  load_->setProperty("role", "loadOffered");
  auto* load_row = new QHBoxLayout;
  load_row->addWidget(load_);
  load_row->addStretch();
  auto* try_label = new QLabel(tr("Try one of these:"));
  try_label->setObjectName("Role");
  auto* chips = new QHBoxLayout;
  chips->setSpacing(6);
  auto* chips2 = new QHBoxLayout;
  chips2->setSpacing(6);
  const QStringList prompts = examplePrompts();
  for (int i = 0; i < prompts.size(); ++i) {
    auto* chip = new QPushButton(prompts[i]);
    chip->setObjectName("ExampleChip");
    chip->setToolTip(tr("Send this to the loaded model"));
    connect(chip, &QPushButton::clicked, this, [this, p = prompts[i]] { emit promptChosen(p); });
    (i < 3 ? chips : chips2)->addWidget(chip);
    chips_ << chip;
  }
  chips->addStretch();
  chips2->addStretch();
  layout->addWidget(title);
  layout->addWidget(hardware_);
  layout->addWidget(status_);
  layout->addLayout(load_row);
  layout->addSpacing(6);
  layout->addWidget(try_label);
  layout->addLayout(chips);
  layout->addLayout(chips2);
  layout->addStretch();

  connect(load_, &QPushButton::clicked, this,
          [this] { loadOffered(services_, offeredModel(services_)); });
  connect(services_.engine, &app::EngineService::loadStarted, this, &ChatWelcome::refresh);
  connect(services_.engine, &app::EngineService::unloaded, this, &ChatWelcome::refresh);
  connect(services_.engine, &app::EngineService::loaded, this, &ChatWelcome::refresh);
  connect(services_.engine, &app::EngineService::loadFailed, this, &ChatWelcome::refresh);
  connect(services_.library, &app::ModelLibrary::modelsChanged, this, &ChatWelcome::refresh);
  if (services_.telemetry)
    connect(services_.telemetry, &app::TelemetryService::sampled, this, &ChatWelcome::refresh);
  refresh();
}

QString ChatWelcome::loadText(const ModelOffer& offer) {
  return offer.last_used ? tr("Load %1").arg(offer.name) : tr("Load demo-chat");
}

QString ChatWelcome::hardwareText() const {
  return hardware_->text();
}

void ChatWelcome::refresh() {
  const bool sampled = services_.telemetry && services_.telemetry->samples() > 0;
  hardware_->setText(describeHardware(sampled ? services_.telemetry->latest() : app::TelemetryTick{},
                                      sampled, services_.settings->contextLength()));
  const app::EngineService* engine = services_.engine;
  const ModelOffer offer = offeredModel(services_);
  if (engine->isLoaded()) {
    status_->setText(tr("%1 is loaded and ready.").arg(engine->info().name));
  } else if (engine->isLoading()) {
    status_->setText(tr("Loading %1…").arg(engine->loadingPath()));
  } else if (offer.path.isEmpty()) {
    status_->setText(tr("No model yet: find one on the Discover page."));
  } else {
    status_->setText(offer.last_used
                         ? tr("Pick up where you left off, or load another model on the Models "
                              "page.")
                         : tr("demo-chat is a tiny model bundled with Pagoda: it answers the "
                              "questions below (capitals, small sums, counting) and nothing "
                              "more."));
  }
  load_->setText(loadText(offer));
  load_->setVisible(!engine->isLoaded() && !offer.path.isEmpty());
  load_->setEnabled(!engine->isLoading());
  for (QPushButton* chip : chips_) chip->setEnabled(!engine->isLoading());
}

}  // namespace pagoda::ui
