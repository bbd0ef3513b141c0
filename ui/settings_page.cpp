#include "ui/settings_page.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "app/services/app_settings.h"
#include "app/services/key_store.h"
#include "ui/ui_util.h"

namespace pagoda::ui {

SettingsPage::SettingsPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  QVBoxLayout* layout = makeScrollingPage(this);
  addPageHeader(layout, tr("Settings"),
                tr("Where models live, how they run, and how Pagoda looks."));

  buildModelsBox(layout);
  buildEngineBox(layout);
  buildAppearanceBox(layout);
  buildRemoteBox(layout);
  layout->addStretch();

  auto endpoints_changed = [this] {
    reloadEndpoints();
    if (endpoint_id_.isEmpty() && endpoints_->count() > 0) endpoints_->setCurrentRow(0);
  };
  connect(services_.settings, &app::AppSettings::remoteEndpointsChanged, this, endpoints_changed);
  endpoints_changed();
}

// Where models live.
void SettingsPage::buildModelsBox(QVBoxLayout* layout) {
  app::AppSettings* settings = services_.settings;
  auto* models = new QGroupBox(tr("Models"));
  auto* models_form = new QFormLayout(models);
  auto* folder_row = new QHBoxLayout;
  models_folder_ = new QLineEdit(settings->modelsFolder());
  models_folder_->setObjectName("ModelsFolder");
  auto* browse = new QPushButton(icon("folder"), tr("Browse…"));
  folder_row->addWidget(models_folder_, 1);
  folder_row->addWidget(browse);
  models_form->addRow(tr("Models folder"), folder_row);
  layout->addWidget(models);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Models folder"), models_folder_->text());
    if (!dir.isEmpty()) {
      models_folder_->setText(dir);
      services_.settings->setModelsFolder(dir);
    }
  });
  connect(models_folder_, &QLineEdit::editingFinished, this, [this] {
    if (!models_folder_->text().trimmed().isEmpty())
      services_.settings->setModelsFolder(models_folder_->text().trimmed());
  });
}

// How models run: the default device.
void SettingsPage::buildEngineBox(QVBoxLayout* layout) {
  app::AppSettings* settings = services_.settings;
  auto* engine = new QGroupBox(tr("Engine"));
  auto* engine_form = new QFormLayout(engine);
  device_ = new QComboBox;
  device_->setObjectName("Device");
  device_->addItem(tr("Automatic (GPU when available)"), "auto");
  device_->addItem(tr("CPU"), "cpu");
  device_->addItem(tr("NVIDIA GPU (CUDA)"), "cuda");
  device_->setCurrentIndex(std::max(0, device_->findData(settings->device())));
  // The context length has one control, on the Models page, beside the fit estimate it drives.
  auto* context_note = new QLabel(tr("Set on the Models page (capped at each model's maximum)."));
  context_note->setObjectName("Muted");
  context_note->setWordWrap(true);
  engine_form->addRow(tr("Default device"), device_);
  engine_form->addRow(tr("Context length"), context_note);
  layout->addWidget(engine);
  connect(device_, &QComboBox::activated, this,
          [this] { services_.settings->setDevice(device_->currentData().toString()); });
}

// Language and theme.
void SettingsPage::buildAppearanceBox(QVBoxLayout* layout) {
  app::AppSettings* settings = services_.settings;
  auto* appearance = new QGroupBox(tr("Appearance"));
  auto* appearance_form = new QFormLayout(appearance);
  language_ = new QComboBox;
  language_->setObjectName("Language");
  language_->addItem("English", "en");
  language_->addItem(QString::fromUtf8("简体中文"), "zh_CN");
  language_->setCurrentIndex(std::max(0, language_->findData(settings->language())));
  appearance_form->addRow(tr("Language"), language_);
  theme_ = new QComboBox;
  theme_->setObjectName("Theme");
  theme_->addItem(tr("Same as the system"), "system");
  theme_->addItem(tr("Light"), "light");
  theme_->addItem(tr("Dark"), "dark");
  theme_->setCurrentIndex(std::max(0, theme_->findData(settings->theme())));
  appearance_form->addRow(tr("Theme"), theme_);
  layout->addWidget(appearance);
  connect(language_, &QComboBox::activated, this,
          [this] { services_.settings->setLanguage(language_->currentData().toString()); });
  connect(theme_, &QComboBox::activated, this,
          [this] { services_.settings->setTheme(theme_->currentData().toString()); });
}

// Remote OpenAI-compatible endpoints: the list, the form, Save and Remove.
void SettingsPage::buildRemoteBox(QVBoxLayout* layout) {
  auto* remote = new QGroupBox(tr("Remote endpoints"));
  auto* remote_layout = new QHBoxLayout(remote);
  auto* list_column = new QVBoxLayout;
  endpoints_ = new QListWidget;
  endpoints_->setObjectName("Endpoints");
  endpoints_->setMaximumWidth(240);
  auto* add = new QPushButton(icon("plus"), tr("Add endpoint"));
  list_column->addWidget(endpoints_);
  list_column->addWidget(add);
  remote_layout->addLayout(list_column);
  auto* form = new QFormLayout;
  endpoint_name_ = new QLineEdit;
  endpoint_name_->setPlaceholderText(tr("e.g. Office GPU server"));
  endpoint_url_ = new QLineEdit;
  endpoint_url_->setPlaceholderText("http://localhost:8000/v1");
  endpoint_model_ = new QLineEdit;
  endpoint_model_->setPlaceholderText("Qwen/Qwen3-8B");
  endpoint_key_ = new QLineEdit;
  endpoint_key_->setEchoMode(QLineEdit::Password);
  endpoint_key_->setPlaceholderText(tr("Stored in the system keychain"));
  auto* endpoint_buttons = new QHBoxLayout;
  auto* save = new QPushButton(tr("Save"));
  save->setObjectName("Primary");
  auto* remove = new QPushButton(tr("Remove"));
  endpoint_buttons->addStretch();
  endpoint_buttons->addWidget(remove);
  endpoint_buttons->addWidget(save);
  endpoint_status_ =
      new QLabel(tr("Any OpenAI-compatible server: Pagoda's own, vLLM, or a "
                    "hosted API. Chats pick their target in the Chat page."));
  endpoint_status_->setObjectName("Muted");
  endpoint_status_->setWordWrap(true);
  form->addRow(tr("Name"), endpoint_name_);
  form->addRow(tr("Base URL"), endpoint_url_);
  form->addRow(tr("Model"), endpoint_model_);
  form->addRow(tr("API key"), endpoint_key_);
  form->addRow(endpoint_buttons);
  form->addRow(endpoint_status_);
  remote_layout->addLayout(form, 1);
  layout->addWidget(remote);

  connect(add, &QPushButton::clicked, this, [this] {
    endpoints_->clearSelection();
    showEndpoint({});
    endpoint_name_->setFocus();
  });
  connect(endpoints_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) showEndpoint(item->data(Qt::UserRole).toString());
  });
  connect(save, &QPushButton::clicked, this, [this] {
    if (endpoint_url_->text().trimmed().isEmpty()) {
      endpoint_status_->setText(tr("Enter the base URL of the server."));
      return;
    }
    app::RemoteEndpoint e{endpoint_id_, endpoint_name_->text().trimmed(),
                          endpoint_url_->text().trimmed(), endpoint_model_->text().trimmed()};
    if (e.name.isEmpty()) e.name = e.base_url;
    endpoint_id_ = services_.settings->saveRemoteEndpoint(e);
    if (!endpoint_key_->text().isEmpty())
      services_.keys->storeKey(endpoint_id_, endpoint_key_->text());
    endpoint_key_->clear();
    endpoint_key_->setPlaceholderText(tr("Saved (enter a new key to replace it)"));
    endpoint_status_->setText(tr("Saved."));
    reloadEndpoints();
  });
  connect(remove, &QPushButton::clicked, this, [this] {
    if (endpoint_id_.isEmpty()) return;
    services_.keys->removeKey(endpoint_id_);
    services_.settings->removeRemoteEndpoint(endpoint_id_);
    showEndpoint({});
    reloadEndpoints();
  });
}

void SettingsPage::reloadEndpoints() {
  const QSignalBlocker block(endpoints_);
  endpoints_->clear();
  for (const app::RemoteEndpoint& e : services_.settings->remoteEndpoints()) {
    auto* item = new QListWidgetItem(icon("server"), e.name, endpoints_);
    item->setData(Qt::UserRole, e.id);
    if (e.id == endpoint_id_) endpoints_->setCurrentItem(item);
  }
}

void SettingsPage::showEndpoint(const QString& id) {
  const app::RemoteEndpoint e = services_.settings->remoteEndpoint(id);
  endpoint_id_ = e.id;
  endpoint_name_->setText(e.name);
  endpoint_url_->setText(e.base_url);
  endpoint_model_->setText(e.model);
  endpoint_key_->clear();
  endpoint_key_->setPlaceholderText(e.id.isEmpty() ? tr("Stored in the system keychain")
                                                   : tr("Saved (enter a new key to replace it)"));
}

}  // namespace pagoda::ui
