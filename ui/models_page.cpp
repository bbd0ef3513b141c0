#include "ui/models_page.h"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include "app/services/app_settings.h"
#include "app/services/engine_messages.h"
#include "app/services/engine_service.h"
#include "app/services/model_library.h"
#include "ui/ui_util.h"

namespace pagoda::ui {

struct ModelCardData {
  app::ModelEntry entry;
};

ModelsPage::ModelsPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  QVBoxLayout* layout = makeFixedPage(
      this, tr("Models"),
      tr("Models on this computer. Load one, then chat with it on the Chat page."));

  auto* tools = new QHBoxLayout;
  folder_label_ = new ElidedLabel;
  folder_label_->setObjectName("Muted");
  folder_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* import_button = new QPushButton(icon("folder"), tr("Import folder…"));
  import_button->setObjectName("ImportButton");
  auto* rescan = new QPushButton(tr("Rescan"));
  tools->addWidget(folder_label_, 1);
  tools->addWidget(import_button);
  tools->addWidget(rescan);
  layout->addLayout(tools);
  notice_label_ = new QLabel;
  notice_label_->setObjectName("ModelsNotice");
  notice_label_->setWordWrap(true);
  notice_label_->hide();  // until there is something to say
  layout->addWidget(notice_label_);

  auto* fit_row = new QHBoxLayout;
  // The one context control of the app: models load with it (capped at each model's maximum)
  // and the fit estimates below use it.
  auto* fit_label = new QLabel(tr("Context length"));
  context_ = new QSpinBox;
  context_->setObjectName("ContextLength");
  context_->setRange(256, 1 << 20);
  context_->setSingleStep(1024);
  context_->setSuffix(tr(" tokens"));
  context_->setToolTip(tr("How many tokens of conversation a loaded model keeps; each model is "
                          "capped at its own maximum."));
  context_->setValue(services_.settings->contextLength());
  fit_label->setBuddy(context_);
  memory_label_ = new QLabel;
  memory_label_->setObjectName("Muted");
  fit_row->addWidget(fit_label);
  fit_row->addWidget(context_);
  fit_row->addSpacing(12);
  fit_row->addWidget(memory_label_, 1);
  layout->addLayout(fit_row);

  // The engine bar: what is loaded, loading progress, the last failure.
  auto* engine_card = new QFrame;
  engine_card->setObjectName("Card");
  auto* engine_layout = new QVBoxLayout(engine_card);
  engine_layout->setContentsMargins(16, 12, 16, 12);
  auto* engine_row = new QHBoxLayout;
  engine_label_ = new QLabel;
  engine_label_->setObjectName("EngineLabel");
  engine_label_->setWordWrap(true);
  chat_ = new QPushButton(tr("Chat"));
  chat_->setObjectName("Primary");
  unload_ = new QPushButton(tr("Unload"));
  engine_row->addWidget(engine_label_, 1);
  engine_row->addWidget(chat_);
  engine_row->addWidget(unload_);
  engine_layout->addLayout(engine_row);
  progress_ = new QProgressBar;
  progress_->setRange(0, 0);  // the engine reports no fraction: a busy indicator
  progress_->setTextVisible(false);
  engine_layout->addWidget(progress_);
  error_label_ = new QLabel;
  error_label_->setObjectName("Problem");
  error_label_->setWordWrap(true);
  error_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  engine_layout->addWidget(error_label_);
  layout->addWidget(engine_card);
  layout->addSpacing(6);

  list_ = addCardList(layout);

  connect(import_button, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Import a model folder"));
    if (!dir.isEmpty()) importFolder(dir);
  });
  connect(rescan, &QPushButton::clicked, services_.library, &app::ModelLibrary::rescan);
  connect(context_, &QSpinBox::valueChanged, services_.settings,
          &app::AppSettings::setContextLength);
  connect(services_.settings, &app::AppSettings::engineDefaultsChanged, this, [this] {
    const QSignalBlocker block(context_);
    context_->setValue(services_.settings->contextLength());
    rebuildList();
  });
  connect(services_.library, &app::ModelLibrary::modelsChanged, this, &ModelsPage::rebuildList);
  connect(services_.library, &app::ModelLibrary::deviceMemoryChanged, this,
          &ModelsPage::rebuildList);
  connect(unload_, &QPushButton::clicked, services_.engine, &app::EngineService::unload);
  connect(services_.library, &app::ModelLibrary::removed, this,
          [this](const QString& path, qint64 freed) {
            notice_label_->setText(tr("Deleted %1 (%2 freed).").arg(path, formatBytes(freed)));
            notice_label_->show();
          });
  connect(services_.library, &app::ModelLibrary::removeFailed, this,
          [this](const QString& path, const QString& error) {
            notice_label_->setText(tr("Could not delete %1: %2").arg(path, error));
            notice_label_->show();
          });
  connect(chat_, &QPushButton::clicked, this, &ModelsPage::chatRequested);
  auto engine_changed = [this] {
    last_error_.clear();
    updateEngineBar();
    rebuildList();
  };
  connect(services_.engine, &app::EngineService::loadStarted, this, engine_changed);
  connect(services_.engine, &app::EngineService::loaded, this, engine_changed);
  connect(services_.engine, &app::EngineService::unloaded, this, engine_changed);
  connect(services_.engine, &app::EngineService::loadFailed, this,
          [this](const QString& path, const QString& reason) {
            last_error_ = tr("Could not load %1: %2").arg(path, reason);
            updateEngineBar();
            rebuildList();
          });
  updateEngineBar();
  rebuildList();
}

void ModelsPage::confirmDelete(const app::ModelEntry& e) {
  QMessageBox box(QMessageBox::Warning, tr("Delete from disk"),
                  tr("Delete %1 from disk? This frees %2.").arg(e.name, formatBytes(e.disk_bytes)),
                  QMessageBox::Cancel, this);
  box.setObjectName("DeleteConfirm");
  box.setInformativeText(e.path);
  QPushButton* yes = box.addButton(tr("Delete"), QMessageBox::DestructiveRole);
  box.setDefaultButton(QMessageBox::Cancel);
  box.exec();
  if (box.clickedButton() == yes) services_.library->removeFromDisk(e.path);
}

bool ModelsPage::importFolder(const QString& dir) {
  const QString refusal = app::ModelLibrary::importRefusal(dir);
  notice_label_->setText(refusal);
  notice_label_->setVisible(!refusal.isEmpty());
  notice_label_->setStyleSheet(refusal.isEmpty() ? QString() : themed("color: #b91c1c;"));
  if (!refusal.isEmpty()) return false;
  services_.settings->addImportedFolder(dir);
  return true;
}

void ModelsPage::loadModel(const QString& path) {
  services_.engine->load(
      path, services_.settings->device(),
      app::ModelLibrary::cappedContext(services_.library->model(path), context_->value()));
}

void ModelsPage::updateEngineBar() {
  const app::EngineService* engine = services_.engine;
  progress_->setVisible(engine->isLoading());
  unload_->setVisible(engine->isLoaded());
  chat_->setVisible(engine->isLoaded());
  error_label_->setVisible(!last_error_.isEmpty());
  error_label_->setText(last_error_);
  if (engine->isLoading()) {
    engine_label_->setText(tr("Loading %1…").arg(engine->loadingPath()));
  } else if (engine->isLoaded()) {
    const app::LoadedModelInfo& info = engine->info();
    QString text =
        tr("<b>%1</b> is loaded on %2 (%3), context %4 tokens.")
            .arg(info.name.toHtmlEscaped(), info.backend.toUpper(), info.device.toHtmlEscaped())
            .arg(info.max_model_len);
    if (!info.note.isEmpty())
      text += "<br><span style='color:#64748b'>" +
              app::engineMessageText(info.note).toHtmlEscaped() + "</span>";
    engine_label_->setText(text);
  } else {
    engine_label_->setText(tr("No model is loaded."));
  }
}

void ModelsPage::rebuildList() {
  const app::ModelLibrary* library = services_.library;
  folder_label_->setFullText(tr("Models folder: %1")
                                 .arg(QDir::toNativeSeparators(services_.settings->modelsFolder())));
  memory_label_->setText(
      tr("checked against %1: %2")
          .arg(library->deviceLabel(), formatBytes(library->deviceMemoryBytes())));
  clearLayout(list_);
  const QList<app::ModelEntry> models = library->models();
  if (models.isEmpty()) {
    auto* empty = new QLabel(library->isScanning() ? tr("Scanning…")
                                                   : tr("No models found. Download one from "
                                                        "Discover or import a folder."));
    empty->setObjectName("Muted");
    list_->addWidget(empty);
  }
  for (const app::ModelEntry& entry : models) list_->addWidget(makeCard({entry}));
  list_->addStretch();
}

QWidget* ModelsPage::makeCard(const ModelCardData& data) {
  const app::ModelEntry& e = data.entry;
  const app::EngineService* engine = services_.engine;
  QFrame* card = makeListCard("modelPath", e.path);
  auto* layout = new QHBoxLayout(card);
  layout->setContentsMargins(18, 14, 18, 14);
  auto* text = new QVBoxLayout;
  text->setSpacing(6);
  auto* title_row = new QHBoxLayout;
  auto* title = new ElidedLabel(e.name, Qt::ElideRight);
  title->setObjectName("CardTitle");
  title_row->addWidget(title);
  if (e.source == "bundled") title_row->addWidget(makeBadge(tr("Bundled demo"), "accent"));
  if (e.source == "imported") title_row->addWidget(makeBadge(tr("Imported"), "accent"));
  title_row->addStretch();
  text->addLayout(title_row);

  auto* badges = new QHBoxLayout;
  badges->setSpacing(6);
  if (!e.architecture.isEmpty()) badges->addWidget(makeBadge(e.architecture));
  if (e.parameters > 0)
    badges->addWidget(makeBadge(tr("%1 parameters").arg(formatParameters(e.parameters))));
  if (!e.dtype.isEmpty()) badges->addWidget(makeBadge(e.dtype));
  if (!e.quantization.isEmpty()) badges->addWidget(makeBadge(e.quantization, "accent"));
  if (e.context_length > 0) badges->addWidget(makeBadge(tr("context %1").arg(e.context_length)));
  const int context = app::ModelLibrary::cappedContext(e, context_->value());
  if (context < context_->value())
    badges->addWidget(makeBadge(tr("runs with %1 tokens (its maximum)").arg(context)));
  // What it needs on a second row: one row of every badge is wider than a card at 1024 px.
  badges->addStretch();
  text->addLayout(badges);
  badges = new QHBoxLayout;
  badges->setSpacing(6);
  badges->addWidget(makeBadge(tr("%1 on disk").arg(formatBytes(e.disk_bytes))));
  if (e.loadable) {
    const qint64 need = app::ModelLibrary::estimateBytes(e, context);
    const bool fits = services_.library->fits(e, context);
    badges->addWidget(makeBadge(fits ? tr("Fits: ~%1").arg(formatBytes(need))
                                     : tr("Needs ~%1: too large").arg(formatBytes(need)),
                                fits ? "good" : "bad"));
  }
  badges->addStretch();
  text->addLayout(badges);
  auto* path = new ElidedLabel(QDir::toNativeSeparators(e.path));
  path->setObjectName("Muted");
  path->setTextInteractionFlags(Qt::TextSelectableByMouse);
  text->addWidget(path);
  if (!e.loadable) {
    auto* problem = new QLabel(tr("Cannot be loaded: %1").arg(e.problem));
    problem->setObjectName("Problem");
    problem->setWordWrap(true);
    text->addWidget(problem);
  }
  layout->addLayout(text, 1);

  auto* buttons = new QVBoxLayout;
  const bool is_loaded = engine->isLoaded() && engine->info().path == e.path;
  const bool is_loading = engine->isLoading() && engine->loadingPath() == e.path;
  auto* load = new QPushButton(is_loaded ? tr("Unload") : is_loading ? tr("Loading…") : tr("Load"));
  load->setObjectName(is_loaded ? "" : "Primary");
  load->setProperty("role", "load");
  load->setEnabled(e.loadable && !engine->isLoading());
  connect(load, &QPushButton::clicked, this, [this, path = e.path, is_loaded] {
    if (is_loaded)
      services_.engine->unload();
    else
      loadModel(path);
  });
  buttons->addWidget(load);
  if (e.source == "imported") {
    auto* remove = new QPushButton(tr("Forget"));
    remove->setToolTip(tr("Remove from the library (the folder stays on disk)"));
    connect(remove, &QPushButton::clicked, this,
            [this, path = e.path] { services_.settings->removeImportedFolder(path); });
    buttons->addWidget(remove);
  }
  if (e.source == "library") {
    auto* remove = new QPushButton(tr("Delete from disk…"));
    remove->setProperty("role", "delete");
    remove->setEnabled(!is_loaded && !is_loading);
    remove->setToolTip(is_loaded ? tr("Unload it first") : e.path);
    connect(remove, &QPushButton::clicked, this, [this, e] { confirmDelete(e); });
    buttons->addWidget(remove);
  }
  buttons->addStretch();
  layout->addLayout(buttons);
  return card;
}

}  // namespace pagoda::ui
