#include "ui/server_page.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QClipboard>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QStyle>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "app/services/api_server_service.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"
#include "app/services/model_library.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

using app::ApiServerService;

// Re-applies the style sheet after an objectName change.
void setStyleName(QWidget* widget, const QString& name) {
  if (widget->objectName() == name) return;
  widget->setObjectName(name);
  widget->style()->unpolish(widget);
  widget->style()->polish(widget);
}

QPlainTextEdit* makeCodeBox() {
  auto* box = new QPlainTextEdit;
  box->setReadOnly(true);
  box->setLineWrapMode(QPlainTextEdit::NoWrap);
  box->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(9);
  box->setFont(mono);
  // The page's style sheet sets a size for every widget; this keeps the monospace one.
  box->setStyleSheet(themed(QStringLiteral("QPlainTextEdit { font-family: \"%1\"; "
                                           "font-size: 9pt; background: #f8fafc; }")
                                .arg(mono.family())));
  return box;
}

// Fits both boxes to the longer example, so that switching tabs does not move the page.
void fitCode(QPlainTextEdit* a, QPlainTextEdit* b) {
  a->ensurePolished();
  const int lines = std::max(a->blockCount(), b->blockCount());
  const int height = lines * a->fontMetrics().lineSpacing() +
                     2 * static_cast<int>(a->document()->documentMargin()) + 2 * a->frameWidth() +
                     8;
  a->setFixedHeight(height);
  b->setFixedHeight(height);
}

}  // namespace

ServerPage::ServerPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  QVBoxLayout* layout = makeScrollingPage(this);
  addPageHeader(layout, tr("Server"),
                tr("Serve the loaded model through an OpenAI-compatible API, for your own scripts, "
                   "editors and apps."));
  ApiServerService* server = services_.server;

  layout->addWidget(makeStateCard());
  layout->addWidget(makeLanWarning());

  columns_ = new QHBoxLayout;
  columns_->setSpacing(16);
  auto* left = new QVBoxLayout;
  auto* right = new QVBoxLayout;
  left_column_ = left;
  right_column_ = right;
  columns_->addLayout(left, 2);
  columns_->addLayout(right, 3);
  layout->addLayout(columns_);

  left->addWidget(makeConnectionBox());
  left->addWidget(makeKeyBox());
  left->addWidget(makeModelBox());
  left->addStretch();
  right->addWidget(makeUsageBox());
  right->addStretch();
  layout->addWidget(makeLogBox(), 1);

  wireControls();
  connectServices();

  for (const app::ServerLogEntry& entry : server->log()) addLogRow(entry);
  updateState();
  updateKey();
  updateExamples();
}

// The switch, the state badge and what the server is doing.
QWidget* ServerPage::makeStateCard() {
  auto* card = new QFrame;
  card->setObjectName("Card");
  auto* card_layout = new QVBoxLayout(card);
  card_layout->setContentsMargins(20, 16, 20, 16);
  auto* top = new QHBoxLayout;
  auto* title = new QLabel(tr("Local API"));
  title->setObjectName("CardTitle");
  badge_ = makeBadge({});
  switch_ = new QPushButton;
  switch_->setObjectName("ServerSwitch");
  switch_->setCheckable(true);
  switch_->setMinimumWidth(140);
  top->addWidget(title);
  top->addWidget(badge_);
  top->addStretch();
  top->addWidget(switch_);
  card_layout->addLayout(top);
  state_ = new QLabel;
  state_->setObjectName("ServerState");
  state_->setWordWrap(true);
  state_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  model_note_ = new QLabel;
  model_note_->setObjectName("Muted");
  model_note_->setWordWrap(true);
  card_layout->addWidget(state_);
  card_layout->addWidget(model_note_);
  return card;
}

// The warning shown while other devices may reach the API.
QWidget* ServerPage::makeLanWarning() {
  lan_warning_ = new QFrame;
  lan_warning_->setObjectName("ServerWarning");
  lan_warning_->setStyleSheet(themed(
      "#ServerWarning { background: #fef3c7; border: 1px solid #fcd34d; border-radius: 10px; }"
      "#ServerWarning QLabel { color: #92400e; }"));
  auto* warning_layout = new QVBoxLayout(lan_warning_);
  warning_layout->setContentsMargins(16, 10, 16, 10);
  lan_warning_text_ = new QLabel;
  lan_warning_text_->setWordWrap(true);
  lan_warning_text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  warning_layout->addWidget(lan_warning_text_);
  return lan_warning_;
}

// Port, network exposure, CORS origins and allowed host names.
QWidget* ServerPage::makeConnectionBox() {
  ApiServerService* server = services_.server;
  auto* connection = new QGroupBox(tr("Connection"));
  auto* connection_form = new QFormLayout(connection);
  // Labels above their fields when the column is narrow (1024 px windows), not clipped.
  connection_form->setRowWrapPolicy(QFormLayout::WrapLongRows);
  port_ = new QSpinBox;
  port_->setObjectName("ServerPort");
  port_->setRange(1, 65535);
  port_->setValue(server->port() > 0 ? server->port() : ApiServerService::kDefaultPort);
  lan_ = new QCheckBox(tr("Allow other devices on the network (0.0.0.0)"));
  lan_->setObjectName("ServerLan");
  lan_->setChecked(server->lanExposed());
  cors_ = new QLineEdit(server->corsOrigins().join(", "));
  cors_->setObjectName("ServerCors");
  cors_->setPlaceholderText(tr("e.g. http://localhost:3000, or * for any site"));
  cors_->setToolTip(tr("Web pages from these origins may call the API from a browser."));
  allowed_hosts_ = new QLineEdit(server->allowedHosts().join(", "));
  allowed_hosts_->setObjectName("ServerAllowedHosts");
  allowed_hosts_->setPlaceholderText(tr("e.g. mybox.lan, .example.com"));
  allowed_hosts_->setToolTip(
      tr("Host names clients may use to reach the API, besides 127.0.0.1 and localhost (and this "
         "computer's addresses when other devices are allowed). Requests naming any other host "
         "are refused, so a web page cannot reach the API through a name it controls."));
  connection_form->addRow(tr("Port"), port_);
  connection_form->addRow(tr("Network"), lan_);
  connection_form->addRow(tr("CORS origins"), cors_);
  connection_form->addRow(tr("Allowed hosts"), allowed_hosts_);
  return connection;
}

// The API key: generate, copy, show and remove it, and where it is kept.
QWidget* ServerPage::makeKeyBox() {
  auto* key_box = new QGroupBox(tr("API key"));
  auto* key_layout = new QVBoxLayout(key_box);
  key_ = new QLineEdit;
  key_->setObjectName("ServerKey");
  key_->setReadOnly(true);
  key_->setEchoMode(QLineEdit::Password);
  key_->setPlaceholderText(tr("No key: every client is accepted"));
  auto* key_buttons = new QHBoxLayout;
  auto* generate = new QPushButton(icon("regenerate"), tr("Generate"));
  generate->setObjectName("ServerGenerateKey");
  copy_key_ = new QPushButton(icon("copy"), tr("Copy"));
  copy_key_->setObjectName("ServerCopyKey");
  reveal_ = new QPushButton(tr("Show"));
  reveal_->setObjectName("ServerRevealKey");
  reveal_->setCheckable(true);
  remove_key_ = new QPushButton(tr("Remove"));
  remove_key_->setObjectName("ServerRemoveKey");
  key_buttons->addWidget(generate);
  key_buttons->addWidget(copy_key_);
  key_buttons->addWidget(reveal_);
  key_buttons->addStretch();
  key_buttons->addWidget(remove_key_);
  key_note_ = new QLabel(
      tr("Kept only in the system keychain. Clients send it as \"Authorization: Bearer <key>\"; "
         "the examples read it from the PAGODA_API_KEY environment variable."));
  key_note_->setObjectName("Muted");
  key_note_->setWordWrap(true);
  // Where the key is kept when that is not the keychain, or why it could not be read.
  key_storage_ = new QLabel;
  key_storage_->setObjectName("ServerKeyStorage");
  key_storage_->setWordWrap(true);
  key_storage_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  key_layout->addWidget(key_);
  key_layout->addLayout(key_buttons);
  key_layout->addWidget(key_storage_);
  key_layout->addWidget(key_note_);
  connect(generate, &QPushButton::clicked, this, [this] {
    // A working key is replaced only when the user says so: its clients stop working.
    if (!services_.server->apiKey().isEmpty() &&
        !confirmDestructive(this, "ReplaceKeyConfirm", tr("Replace the API key"),
                            tr("Generate a new API key? Clients that use the current key will be "
                               "refused until they get the new one."),
                            tr("Replace key")))
      return;
    services_.server->setApiKey(ApiServerService::generateApiKey());
  });
  return key_box;
}

// The base URL and the client examples (Python and curl) with their Copy buttons.
QWidget* ServerPage::makeUsageBox() {
  auto* usage = new QGroupBox(tr("Use it"));
  auto* usage_layout = new QVBoxLayout(usage);
  auto* url_row = new QHBoxLayout;
  auto* url_label = new QLabel(tr("Base URL"));
  url_label->setObjectName("Muted");
  base_url_ = new QLabel;
  base_url_->setObjectName("ServerBaseUrl");
  base_url_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* copy_url = new QPushButton(icon("copy"), tr("Copy"));
  url_row->addWidget(url_label);
  url_row->addWidget(base_url_, 1);
  url_row->addWidget(copy_url);
  usage_layout->addLayout(url_row);
  curl_ = makeCodeBox();
  curl_->setObjectName("ServerCurl");
  python_ = makeCodeBox();
  python_->setObjectName("ServerPython");
  auto* examples = new QTabWidget;
  examples->setObjectName("ServerExamples");
  examples->setDocumentMode(true);
  examples->addTab(python_, tr("Python (openai package)"));
  examples->addTab(curl_, QStringLiteral("curl"));
  examples->setStyleSheet(themed(
      "QTabBar::tab { padding: 6px 12px; border: none; color: #64748b; background: transparent; }"
      "QTabBar::tab:selected { color: #4338ca; border-bottom: 2px solid #4f46e5; "
      "font-weight: 600; }"
      "QTabWidget::pane { border: none; }"));
  auto* copy_example = new QPushButton(icon("copy"), tr("Copy"));
  copy_example->setObjectName("ServerCopyExample");
  examples->setCornerWidget(copy_example);
  connect(copy_example, &QPushButton::clicked, examples, [examples] {
    if (auto* box = qobject_cast<QPlainTextEdit*>(examples->currentWidget()))
      QApplication::clipboard()->setText(box->toPlainText());
  });
  usage_layout->addWidget(examples);
  connect(copy_url, &QPushButton::clicked, this,
          [this] { QApplication::clipboard()->setText(base_url_->text()); });
  return usage;
}

// The latest requests, with Clear.
QWidget* ServerPage::makeLogBox() {
  auto* log_box = new QGroupBox(tr("Requests"));
  auto* log_layout = new QVBoxLayout(log_box);
  requests_ = new QTableWidget(0, 5);
  requests_->setObjectName("ServerRequests");
  requests_->setHorizontalHeaderLabels(
      {tr("Time"), tr("Request"), tr("Status"), tr("Tokens (in / out)"), tr("Latency")});
  requests_->verticalHeader()->hide();
  requests_->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
  for (int numeric : {3, 4})
    requests_->horizontalHeaderItem(numeric)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  requests_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  requests_->setSelectionBehavior(QAbstractItemView::SelectRows);
  requests_->setShowGrid(false);
  requests_->setAlternatingRowColors(true);
  requests_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  requests_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
  requests_->setMinimumHeight(200);
  requests_->setStyleSheet(themed(
      "QTableWidget { background: #ffffff; alternate-background-color: #f8fafc;"
      " border: 1px solid #e2e8f0; border-radius: 8px; }"
      "QTableWidget::item { padding: 0 4px; }"
      "QHeaderView::section { background: #f1f5f9; border: none; padding: 5px 8px;"
      " color: #475569; font-weight: 600; }"));
  auto* log_note = new QLabel(tr("The latest %1 requests, newest first. Prompts and replies are "
                                 "not recorded.")
                                  .arg(ApiServerService::kMaxLogEntries));
  log_note->setObjectName("Muted");
  auto* clear = new QPushButton(tr("Clear"));
  auto* log_row = new QHBoxLayout;
  log_row->addWidget(log_note, 1);
  log_row->addWidget(clear);
  log_layout->addWidget(requests_);
  log_layout->addLayout(log_row);
  connect(clear, &QPushButton::clicked, services_.server, &ApiServerService::clearLog);
  return log_box;
}

// What the connection and key controls do.
void ServerPage::wireControls() {
  ApiServerService* server = services_.server;
  connect(switch_, &QPushButton::toggled, server, &ApiServerService::setEnabled);
  connect(port_, &QSpinBox::editingFinished, this,
          [this] { services_.server->setPort(port_->value()); });
  connect(lan_, &QCheckBox::toggled, server, &ApiServerService::setLanExposed);
  connect(cors_, &QLineEdit::editingFinished, this, [this] {
    services_.server->setCorsOrigins(
        cors_->text().split(QRegularExpression("[,\\s]+"), Qt::SkipEmptyParts));
  });
  connect(allowed_hosts_, &QLineEdit::editingFinished, this, [this] {
    services_.server->setAllowedHosts(
        allowed_hosts_->text().split(QRegularExpression("[,\\s]+"), Qt::SkipEmptyParts));
  });
  connect(copy_key_, &QPushButton::clicked, this,
          [this] { QApplication::clipboard()->setText(services_.server->apiKey()); });
  connect(reveal_, &QPushButton::toggled, this, [this](bool shown) {
    key_->setEchoMode(shown ? QLineEdit::Normal : QLineEdit::Password);
    reveal_->setText(shown ? tr("Hide") : tr("Show"));
  });
  connect(remove_key_, &QPushButton::clicked, this, [this] {
    if (confirmDestructive(this, "RemoveKeyConfirm", tr("Remove the API key"),
                           tr("Remove the API key? Any program on this computer can then use the "
                              "API without one."),
                           tr("Remove key")))
      services_.server->setApiKey({});
  });
}

// The server's, the key store's and the engine's signals that change what the page shows.
void ServerPage::connectServices() {
  ApiServerService* server = services_.server;
  connect(services_.keys, &app::KeyStore::keyStored, this, &ServerPage::updateKey);
  connect(server, &ApiServerService::stateChanged, this, [this] {
    updateState();
    updateExamples();
  });
  connect(server, &ApiServerService::settingsChanged, this, [this] {
    const ApiServerService* s = services_.server;
    const QSignalBlocker b1(port_), b2(lan_), b3(cors_), b4(allowed_hosts_);
    if (s->port() > 0) port_->setValue(s->port());
    lan_->setChecked(s->lanExposed());
    if (!cors_->hasFocus()) cors_->setText(s->corsOrigins().join(", "));
    if (!allowed_hosts_->hasFocus()) allowed_hosts_->setText(s->allowedHosts().join(", "));
    updateState();
    updateExamples();
  });
  connect(server, &ApiServerService::apiKeyChanged, this, [this] {
    updateKey();
    updateExamples();
  });
  connect(server, &ApiServerService::requestLogged, this, &ServerPage::addLogRow);
  connect(server, &ApiServerService::logCleared, this, [this] { requests_->setRowCount(0); });
  auto engine_changed = [this] {
    updateState();
    updateExamples();
  };
  connect(services_.engine, &app::EngineService::loaded, this, engine_changed);
  connect(services_.engine, &app::EngineService::unloaded, this, engine_changed);
  connect(services_.engine, &app::EngineService::loadStarted, this, &ServerPage::updateState);
}

QWidget* ServerPage::makeModelBox() {
  auto* box = new QGroupBox(tr("Served model"));
  auto* form = new QFormLayout(box);
  form->setRowWrapPolicy(QFormLayout::WrapLongRows);
  served_model_ = new QComboBox;
  served_model_->setObjectName("ServerModel");
  served_model_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  served_model_->setMinimumContentsLength(14);
  served_model_->setToolTip(tr("Pin a model to have it loaded whenever the API is on."));
  public_name_ = new QLineEdit(services_.server->publicModelName());
  public_name_->setObjectName("ServerPublicName");
  public_name_->setPlaceholderText(tr("The model's own name"));
  public_name_->setToolTip(tr("The name clients send as \"model\" and /v1/models lists."));
  form->addRow(tr("Model"), served_model_);
  form->addRow(tr("Public name"), public_name_);
  auto fill = [this] {
    const QSignalBlocker block(served_model_);
    served_model_->clear();
    served_model_->addItem(tr("The model loaded in Pagoda"), QString());
    for (const app::ModelEntry& e : services_.library->models())
      if (e.loadable) served_model_->addItem(e.name, e.path);
    const QString pinned = services_.server->pinnedModel();
    if (!pinned.isEmpty() && served_model_->findData(pinned) < 0)
      served_model_->addItem(QDir::toNativeSeparators(pinned), pinned);
    served_model_->setCurrentIndex(std::max(0, served_model_->findData(pinned)));
  };
  fill();
  connect(services_.library, &app::ModelLibrary::modelsChanged, this, fill);
  connect(served_model_, &QComboBox::activated, this, [this] {
    services_.server->setPinnedModel(served_model_->currentData().toString());
  });
  connect(public_name_, &QLineEdit::editingFinished, this,
          [this] { services_.server->setPublicModelName(public_name_->text()); });
  return box;
}

void ServerPage::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  // Side by side when both columns fit (with the page's margins and scroll bar), else stacked:
  // a 1024 px window has no room for both.
  const int need = left_column_->minimumSize().width() + right_column_->minimumSize().width() +
                   columns_->spacing() + 2 * 32 + 16;
  columns_->setDirection(width() >= need ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
}

void ServerPage::updateState() {
  const ApiServerService* server = services_.server;
  {
    const QSignalBlocker block(switch_);
    switch_->setChecked(server->isEnabled());
  }
  switch_->setText(server->isEnabled() ? tr("Turn off") : tr("Turn on"));
  setStyleName(switch_, server->isEnabled() ? "ServerSwitch" : "Primary");
  QString badge_kind;
  switch (server->state()) {
    case ApiServerService::State::Stopped:
      badge_->setText(tr("Off"));
      state_->setText(
          tr("The API is off. Turn it on to let other apps on this computer use the "
             "loaded model."));
      break;
    case ApiServerService::State::WaitingForKey:
      badge_->setText(tr("Starting"));
      state_->setText(tr("Reading the API key from the system keychain…"));
      break;
    case ApiServerService::State::Starting:
      badge_->setText(tr("Starting"));
      state_->setText(tr("Starting…"));
      break;
    case ApiServerService::State::Listening:
      badge_kind = "good";
      badge_->setText(tr("On"));
      state_->setText(tr("Listening on %1").arg(server->baseUrl()));
      break;
    case ApiServerService::State::Failed:
      badge_kind = "bad";
      badge_->setText(tr("Error"));
      state_->setText(tr("Could not start: %1").arg(server->errorString()));
      break;
  }
  setStyleName(badge_, badge_kind == "good"  ? "BadgeGood"
                       : badge_kind == "bad" ? "BadgeBad"
                                             : "Badge");
  setStyleName(state_,
               server->state() == ApiServerService::State::Failed ? "Problem" : "ServerState");
  const app::EngineService* engine = services_.engine;
  const QString public_name = server->publicModelName();
  if (engine->isLoaded() && !public_name.isEmpty())
    model_note_->setText(tr("Serving %1 (%2). Clients name it \"%3\".")
                             .arg(engine->info().name, engine->info().backend.toUpper(),
                                  public_name));
  else if (engine->isLoaded())
    model_note_->setText(tr("Serving %1 (%2). Clients name it \"%1\".")
                             .arg(engine->info().name, engine->info().backend.toUpper()));
  else if (engine->isLoading())
    model_note_->setText(tr("A model is loading; requests get 503 until it is ready."));
  else
    model_note_->setText(
        tr("No model is loaded: requests get 503 until you load one on the Models page."));

  const bool exposed = server->lanExposed() && server->isEnabled();
  lan_warning_->setVisible(exposed);
  if (exposed) {
    QString text =
        server->apiKey().isEmpty()
            ? tr("<b>Not listening on your network: there is no API key.</b> Any device that "
                 "can reach this computer could use the model; generate a key below.")
            : tr("<b>Exposed to your network.</b> Any device that can reach this computer and "
                 "has the API key can use the model.");
    const QStringList urls = server->lanBaseUrls();
    if (!urls.isEmpty()) text += " " + tr("Other devices connect to %1.").arg(urls.join(", "));
    lan_warning_text_->setText(text);
  }
}

void ServerPage::updateKey() {
  const QString key = services_.server->apiKey();
  key_->setText(key);
  const QString error = services_.server->keyError();
  key_->setPlaceholderText(error.isEmpty() ? tr("No key: every client is accepted")
                                           : tr("The saved key could not be read"));
  QString storage;
  if (!error.isEmpty())
    storage = tr("The saved key could not be read: %1. Generate a new key.").arg(error);
  else if (!key.isEmpty() && services_.keys->storage(QString::fromLatin1(
                                  ApiServerService::kKeyId)) == app::KeyStore::Storage::File)
    storage = tr("There is no system keychain on this desktop, so the key is kept in %1, a file "
                 "only you can read.")
                  .arg(QDir::toNativeSeparators(services_.keys->fallbackFile())) +
              " " + tr("Clients send it as \"Authorization: Bearer <key>\".");
  key_storage_->setText(storage);
  key_storage_->setVisible(!storage.isEmpty());
  key_note_->setVisible(storage.isEmpty());  // it says "only in the system keychain"
  copy_key_->setEnabled(!key.isEmpty());
  reveal_->setEnabled(!key.isEmpty());
  remove_key_->setEnabled(!key.isEmpty());
  updateState();  // the network warning depends on the key
}

void ServerPage::updateExamples() {
  const ApiServerService* server = services_.server;
  const QString url = server->state() == ApiServerService::State::Listening
                          ? server->baseUrl()
                          : QStringLiteral("http://127.0.0.1:%1/v1").arg(server->port());
  base_url_->setText(url);
  QString model =
      services_.engine->isLoaded() ? services_.engine->info().name : QStringLiteral("MODEL");
  if (!server->publicModelName().isEmpty()) model = server->publicModelName();
  const bool has_key = !server->apiKey().isEmpty();
  QString curl = QStringLiteral("curl %1/chat/completions \\\n").arg(url);
  curl += QStringLiteral("  -H \"Content-Type: application/json\" \\\n");
  if (has_key) curl += QStringLiteral("  -H \"Authorization: Bearer $PAGODA_API_KEY\" \\\n");
  curl += QStringLiteral(
              "  -d '{\"model\": \"%1\",\n"
              "       \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}]}'")
              .arg(model);
  curl_->setPlainText(curl);
  QString python = has_key ? QStringLiteral("import os\nfrom openai import OpenAI\n\n")
                           : QStringLiteral("from openai import OpenAI\n\n");
  python += QStringLiteral("client = OpenAI(\n    base_url=\"%1\",\n    api_key=%2,\n)\n")
                .arg(url, has_key ? QStringLiteral("os.environ[\"PAGODA_API_KEY\"]")
                                  : QStringLiteral("\"EMPTY\""));
  python += QStringLiteral(
                "reply = client.chat.completions.create(\n    model=\"%1\",\n"
                "    messages=[{\"role\": \"user\", \"content\": \"Hello!\"}],\n)\n"
                "print(reply.choices[0].message.content)")
                .arg(model);
  python_->setPlainText(python);
  fitCode(python_, curl_);
}

void ServerPage::addLogRow(const app::ServerLogEntry& entry) {
  requests_->insertRow(0);
  auto set = [this](int column, const QString& text, Qt::Alignment align = Qt::AlignLeft) {
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(align | Qt::AlignVCenter);
    requests_->setItem(0, column, item);
    return item;
  };
  set(0, entry.time.toLocalTime().toString("HH:mm:ss"));
  set(1, entry.method + " " + entry.route);
  QTableWidgetItem* status = set(2, QString::number(entry.status));
  if (entry.status >= 400) status->setForeground(themedColor("#b91c1c"));
  const bool has_tokens = entry.prompt_tokens > 0 || entry.completion_tokens > 0;
  set(3,
      has_tokens ? QStringLiteral("%1 / %2").arg(entry.prompt_tokens).arg(entry.completion_tokens)
                 : "–",
      Qt::AlignRight);
  set(4,
      entry.latency_s < 1 ? tr("%1 ms").arg(qRound(entry.latency_s * 1000))
                          : tr("%1 s").arg(entry.latency_s, 0, 'f', 2),
      Qt::AlignRight);
  while (requests_->rowCount() > ApiServerService::kMaxLogEntries)
    requests_->removeRow(requests_->rowCount() - 1);
}

}  // namespace pagoda::ui
