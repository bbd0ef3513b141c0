#include "ui/discover_page.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "app/services/app_settings.h"
#include "app/services/download_service.h"
#include "app/services/model_library.h"
#include "ui/quant_variants_view.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

// The result list and the file list are plain item views: give them the card look.
constexpr auto kListStyle =
    "QListWidget#HubResults { background: #ffffff; border: 1px solid #e2e8f0;"
    " border-radius: 10px; outline: none; }"
    "QListWidget#HubResults::item { border-bottom: 1px solid #f1f5f9; }"
    "QListWidget#HubResults::item:selected { background: #eef2ff; }"
    "QListWidget#HubResults::item:hover:!selected { background: #f8fafc; }";
constexpr auto kFilesStyle =
    "QTreeWidget#HubFiles { background: #ffffff; border: 1px solid #e2e8f0;"
    " border-radius: 8px; outline: none; }"
    "QTreeWidget#HubFiles::item { padding: 2px 0; }"
    "QHeaderView::section { background: #f8fafc; border: none;"
    " border-bottom: 1px solid #e2e8f0; padding: 4px 6px; color: #475569; }";
constexpr auto kReadmeStyle =
    "QTextBrowser#HubReadme { background: #ffffff; border: 1px solid #e2e8f0;"
    " border-radius: 8px; padding: 8px; }";

QString formatCount(qint64 n) {
  if (n >= 1'000'000) return QString::number(n / 1e6, 'f', 1) + "M";
  if (n >= 10'000) return QString::number(n / 1e3, 'f', 0) + "K";
  return QLocale().toString(n);
}

QString shortDate(const QString& iso) {
  const QDateTime when = QDateTime::fromString(iso, Qt::ISODate);
  return when.isValid() ? QLocale().toString(when.date(), QLocale::ShortFormat) : iso;
}

}  // namespace

DiscoverPage::DiscoverPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(32, 28, 32, 20);
  addPageHeader(layout, tr("Discover"),
                tr("Search ModelScope or Hugging Face for open models and check that one fits "
                   "this computer before you download it."));

  // Hub choice.
  auto* hub_row = new QHBoxLayout;
  auto* hub_label = new QLabel(tr("Hub"));
  hub_ = new QComboBox;
  hub_->setObjectName("HubChoice");
  hub_->addItem(tr("ModelScope"), "modelscope");
  hub_->addItem(tr("Hugging Face"), "huggingface");
  hub_->addItem(tr("Custom mirror…"), "custom");
  custom_url_ = new QLineEdit;
  custom_url_->setObjectName("HubUrl");
  custom_url_->setPlaceholderText(tr("https://hf-mirror.com  or  ms+http://127.0.0.1:8765"));
  token_ = new QPushButton;
  token_->setToolTip(
      tr("An access token for private or gated models, kept in the system "
         "keychain"));
  hub_problem_ = new QLabel;
  hub_problem_->setObjectName("Problem");
  hub_row->addWidget(hub_label);
  hub_row->addWidget(hub_);
  hub_row->addWidget(custom_url_, 1);
  hub_row->addWidget(hub_problem_);
  hub_row->addStretch();
  hub_row->addWidget(token_);
  layout->addLayout(hub_row);

  // Search and filters.
  auto* search_row = new QHBoxLayout;
  query_ = new QLineEdit;
  query_->setObjectName("HubSearch");
  query_->setPlaceholderText(tr("Search models, e.g. Qwen3"));
  query_->addAction(icon("search"), QLineEdit::LeadingPosition);
  query_->setClearButtonEnabled(true);
  sort_ = new QComboBox;
  sort_->addItem(tr("Most downloads"), "downloads");
  sort_->addItem(tr("Most likes"), "likes");
  sort_->addItem(tr("Recently updated"), "updated");
  task_ = new QComboBox;
  task_->addItem(tr("Any task"), "");
  task_->addItem(tr("Text generation"), "text-generation");
  library_filter_ = new QComboBox;
  library_filter_->addItem(tr("Any library"), "");
  library_filter_->addItem(QStringLiteral("Transformers"), "transformers");
  library_filter_->addItem(QStringLiteral("safetensors"), "safetensors");
  // The filters give up width before the search field does (1024 px windows).
  for (QComboBox* filter : {task_, library_filter_}) {
    filter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    filter->setMinimumContentsLength(7);
  }
  query_->setMinimumWidth(160);
  auto* go = new QPushButton(tr("Search"));
  go->setObjectName("Primary");
  search_row->addWidget(query_, 1);
  search_row->addWidget(sort_);
  search_row->addWidget(task_);
  search_row->addWidget(library_filter_);
  search_row->addWidget(go);
  layout->addLayout(search_row);
  layout->addSpacing(6);

  // Results on the left, the open model on the right.
  auto* body = new QHBoxLayout;
  body->setSpacing(16);
  auto* left = new QVBoxLayout;
  results_ = new QListWidget;
  results_->setObjectName("HubResults");
  results_->setStyleSheet(themed(QString::fromUtf8(kListStyle)));
  results_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
  results_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  results_status_ = new QLabel;
  results_status_->setObjectName("Muted");
  results_status_->setWordWrap(true);
  auto* paging = new QHBoxLayout;
  prev_ = new QPushButton(tr("Previous"));
  next_ = new QPushButton(tr("Next"));
  page_label_ = new QLabel;
  page_label_->setObjectName("Muted");
  paging->addWidget(prev_);
  paging->addStretch();
  paging->addWidget(page_label_);
  paging->addStretch();
  paging->addWidget(next_);
  left->addWidget(results_, 1);
  left->addWidget(results_status_);
  left->addLayout(paging);
  auto* left_widget = new QWidget;
  left_widget->setLayout(left);
  left->setContentsMargins(0, 0, 0, 0);
  // The results share the width with the open model (2 : 3), within bounds that keep both
  // readable from the smallest window (1024 px) up.
  left_widget->setMinimumWidth(250);
  left_widget->setMaximumWidth(380);
  body->addWidget(left_widget, 2);

  auto* right = new QVBoxLayout;
  right->setContentsMargins(0, 0, 0, 0);
  detail_placeholder_ =
      new QLabel(tr("Choose a model to see its card, files and whether it "
                    "fits."));
  detail_placeholder_->setObjectName("Muted");
  detail_placeholder_->setAlignment(Qt::AlignCenter);
  detail_placeholder_->setWordWrap(true);
  right->addWidget(detail_placeholder_, 1);

  detail_panel_ = new QWidget;
  auto* detail = new QVBoxLayout(detail_panel_);
  detail->setContentsMargins(0, 0, 0, 0);
  auto* card = new QFrame;
  card->setObjectName("Card");
  auto* card_layout = new QVBoxLayout(card);
  card_layout->setContentsMargins(18, 14, 18, 14);
  card_layout->setSpacing(6);
  title_ = new QLabel;
  title_->setObjectName("CardTitle");
  title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  subtitle_ = new QLabel;
  subtitle_->setObjectName("Muted");
  subtitle_->setWordWrap(true);
  description_ = new QLabel;  // the hub's words
  description_->setObjectName("Muted");
  description_->setWordWrap(true);
  description_->setProperty(kDataText, true);
  badges_box_ = new QVBoxLayout;
  fit_ = new QLabel;
  fit_->setObjectName("HubFit");
  fit_->setWordWrap(true);
  // Margins rather than style-sheet padding: QLabel's height-for-width counts only these, so
  // padding would cut the last wrapped line.
  fit_->setContentsMargins(8, 4, 8, 4);
  auto* actions = new QHBoxLayout;
  revision_ = new QComboBox;
  revision_->setObjectName("HubRevision");
  revision_->setProperty(kDataText, true);  // branch and tag names
  revision_->setToolTip(tr("Branch or tag to download"));
  download_all_ = new QPushButton(tr("Download"));
  download_all_->setObjectName("Primary");
  download_all_->setProperty("role", "download-all");
  download_selected_ = new QPushButton(tr("Download selected files"));
  download_selected_->setProperty("role", "download-selected");
  // Revision on one row, the download buttons on the next: side by side they need more room
  // than the detail column has in a narrow window (and in Chinese).
  auto* revision_row = new QHBoxLayout;
  revision_row->addWidget(new QLabel(tr("Revision")));
  revision_row->addWidget(revision_, 1);
  revision_->setMinimumContentsLength(12);
  revision_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  actions->addStretch();
  actions->addWidget(download_selected_);
  actions->addWidget(download_all_);
  download_note_ = new QLabel;
  download_note_->setWordWrap(true);
  download_note_->setTextFormat(Qt::RichText);
  card_layout->addWidget(title_);
  card_layout->addWidget(subtitle_);
  card_layout->addWidget(description_);
  card_layout->addLayout(badges_box_);
  card_layout->addWidget(fit_);
  variants_ = new QuantVariantsView(services_);
  connect(variants_, &QuantVariantsView::variantActivated, this,
          [this](const QString& id) { openModel(id); });
  card_layout->addWidget(variants_);
  card_layout->addLayout(revision_row);
  card_layout->addLayout(actions);
  card_layout->addWidget(download_note_);
  detail->addWidget(card);

  files_ = new QTreeWidget;
  files_->setObjectName("HubFiles");
  files_->setStyleSheet(themed(QString::fromUtf8(kFilesStyle)));
  files_->setRootIsDecorated(false);
  files_->setColumnCount(2);
  files_->setHeaderLabels({tr("File"), tr("Size")});
  files_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  files_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  files_->header()->setStretchLastSection(false);
  files_->setMaximumHeight(170);
  detail->addWidget(files_);
  readme_ = new QTextBrowser;
  readme_->setObjectName("HubReadme");
  readme_->setStyleSheet(themed(QString::fromUtf8(kReadmeStyle)));
  readme_->setOpenExternalLinks(true);
  readme_->document()->setDefaultStyleSheet(
      themed("th, td { padding: 3px 10px; } th { background: #f1f5f9; } "
             "pre, code { background: #f1f5f9; }"));
  detail->addWidget(readme_, 1);
  detail_panel_->hide();
  right->addWidget(detail_panel_, 1);
  body->addLayout(right, 1);
  layout->addLayout(body, 1);

  if (!services_.hub) return;
  app::HubService* hub = services_.hub;
  syncHubControls();
  connect(hub_, &QComboBox::activated, this, [this] {
    custom_url_->setVisible(hub_->currentData() == "custom");
    if (hub_->currentData() == "custom")
      custom_url_->setFocus();
    else
      applyHubChoice();
  });
  connect(custom_url_, &QLineEdit::editingFinished, this, &DiscoverPage::applyHubChoice);
  connect(token_, &QPushButton::clicked, this, [this] {
    bool ok = false;
    const QString token = QInputDialog::getText(
        this, tr("Hub access token"),
        tr("Token for %1 (leave empty to remove it):").arg(services_.hub->endpointText()),
        QLineEdit::Password, {}, &ok);
    if (ok) services_.hub->setToken(token.trimmed());
    syncHubControls();
  });
  connect(hub, &app::HubService::endpointChanged, this, [this] {
    syncHubControls();
    runSearch();
  });
  connect(query_, &QLineEdit::returnPressed, this, [this] { search(query_->text()); });
  connect(go, &QPushButton::clicked, this, [this] { search(query_->text()); });
  for (QComboBox* box : {sort_, task_, library_filter_})
    connect(box, &QComboBox::activated, this, [this] { search(query_->text()); });
  connect(prev_, &QPushButton::clicked, this, [this] {
    if (page_tokens_.size() > 1) page_tokens_.removeLast();
    runSearch();
  });
  connect(next_, &QPushButton::clicked, this, [this] {
    if (next_token_.isEmpty()) return;
    page_tokens_ << next_token_;
    runSearch();
  });
  connect(results_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) openModel(item->data(Qt::UserRole).toString());
  });
  connect(revision_, &QComboBox::activated, this,
          [this] { openModel(detail_.summary.id, revision_->currentText()); });
  connect(download_all_, &QPushButton::clicked, this, [this] { startDownload(false); });
  connect(download_selected_, &QPushButton::clicked, this, [this] { startDownload(true); });
  connect(files_, &QTreeWidget::itemChanged, this, [this] {
    int checked = 0;
    for (int i = 0; i < files_->topLevelItemCount(); ++i)
      checked += files_->topLevelItem(i)->checkState(0) == Qt::Checked;
    download_selected_->setEnabled(checked > 0);
  });
  connect(download_note_, &QLabel::linkActivated, this, &DiscoverPage::downloadsRequested);

  connect(hub, &app::HubService::searchFinished, this,
          [this](int request, const app::HubSearchResult& result) {
            if (request == search_request_) showResults(result);
          });
  connect(hub, &app::HubService::detailFinished, this,
          [this](int request, const app::HubModelDetail& detail) {
            if (request == detail_request_) showDetail(detail);
          });
  connect(hub, &app::HubService::fitFinished, this,
          [this](int request, const app::ModelEntry& entry) {
            if (request != fit_request_) return;
            fit_entry_ = entry;
            fit_known_ = true;
            showFit();
          });
  connect(hub, &app::HubService::requestFailed, this,
          [this](int request, const QString& what, const QString& error) {
            if (request == search_request_ && what == "search") {
              results_->clear();
              results_status_->setObjectName("Problem");
              results_status_->setStyleSheet({});  // re-polish for the new object name
              results_status_->setText(tr("Search failed: %1").arg(error));
              next_->setEnabled(false);
            } else if (request == detail_request_ && what == "detail") {
              detail_panel_->hide();
              detail_placeholder_->show();
              detail_placeholder_->setText(tr("Could not open the model: %1").arg(error));
            } else if (request == fit_request_ && what == "fit") {
              fit_error_ = error;
              fit_known_ = true;
              showFit();
            }
          });
  if (services_.library) {
    connect(services_.library, &app::ModelLibrary::deviceMemoryChanged, this,
            &DiscoverPage::showFit);
    // A download finished or a model was deleted: refresh the Installed badge.
    connect(services_.library, &app::ModelLibrary::modelsChanged, this, [this] {
      if (!detail_.summary.id.isEmpty() && detail_panel_->isVisible()) showDetail(detail_);
    });
  }
  if (services_.settings)
    connect(services_.settings, &app::AppSettings::engineDefaultsChanged, this,
            &DiscoverPage::showFit);
  if (services_.downloads) {
    connect(services_.downloads, &app::DownloadService::enqueued, this,
            [this](const QString&, const QString& model_id) {
              download_note_->setText(tr("%1 was added to <a href=\"downloads\">Downloads</a>.")
                                          .arg(model_id.toHtmlEscaped()));
            });
    connect(services_.downloads, &app::DownloadService::enqueueFailed, this,
            [this](const QString& model_id, const QString& error) {
              download_note_->setText(
                  QStringLiteral("<span style='color:#b91c1c'>%1</span>")
                      .arg(tr("Could not download %1: %2").arg(model_id, error).toHtmlEscaped()));
            });
  }
}

void DiscoverPage::showEvent(QShowEvent* event) {
  if (!searched_) runSearch();
  QWidget::showEvent(event);
}

void DiscoverPage::syncHubControls() {
  const QString text = services_.hub->endpointText();
  int index = hub_->findData(text);
  if (text == "ms") index = 0;
  if (text == "hf") index = 1;
  if (index < 0) {
    index = 2;
    custom_url_->setText(text);
  }
  hub_->setCurrentIndex(index);
  custom_url_->setVisible(index == 2);
  hub_problem_->clear();
  token_->setText(services_.hub->hasToken() ? tr("Token saved") : tr("Access token…"));
}

void DiscoverPage::applyHubChoice() {
  const QString choice = hub_->currentData().toString();
  const QString text = choice == "custom" ? custom_url_->text().trimmed() : choice;
  if (text.isEmpty()) return;
  if (!services_.hub->setEndpointText(text))
    hub_problem_->setText(tr("Not a hub URL: %1").arg(text));
  else
    hub_problem_->clear();
}

void DiscoverPage::search(const QString& text) {
  if (query_->text() != text) query_->setText(text);
  page_tokens_ = QStringList{QString()};
  runSearch();
}

void DiscoverPage::runSearch() {
  if (!services_.hub) return;
  searched_ = true;
  app::HubSearchQuery query;
  query.text = query_->text();
  query.sort = sort_->currentData().toString();
  query.task = task_->currentData().toString();
  query.library = library_filter_->currentData().toString();
  query.page_token = page_tokens_.last();
  search_request_ = services_.hub->search(query);
  results_status_->setObjectName("Muted");
  results_status_->setStyleSheet({});
  results_status_->setText(tr("Searching %1…").arg(services_.hub->endpointText()));
  prev_->setEnabled(false);
  next_->setEnabled(false);
}

void DiscoverPage::showResults(const app::HubSearchResult& result) {
  const QSignalBlocker block(results_);
  results_->clear();
  for (const app::HubModelSummary& m : result.models) {
    auto* item = new QListWidgetItem(results_);
    item->setData(Qt::UserRole, m.id);
    auto* row = new QWidget;
    auto* box = new QVBoxLayout(row);
    box->setContentsMargins(12, 8, 12, 8);
    box->setSpacing(2);
    auto* name = new QLabel(m.id);
    name->setStyleSheet("font-weight: 600; background: transparent;");
    QStringList facts;
    facts << tr("%1 downloads").arg(formatCount(m.downloads));
    facts << tr("%1 likes").arg(formatCount(m.likes));
    if (!m.last_modified.isEmpty()) facts << tr("updated %1").arg(shortDate(m.last_modified));
    auto* info = new QLabel(facts.join(QStringLiteral(" · ")));
    info->setObjectName("Muted");
    info->setStyleSheet("background: transparent; font-size: 9pt;");
    box->addWidget(name);
    box->addWidget(info);
    item->setSizeHint(row->sizeHint());
    results_->setItemWidget(item, row);
    if (m.id == detail_.summary.id) results_->setCurrentItem(item);
  }
  next_token_ = result.next_page_token;
  prev_->setEnabled(page_tokens_.size() > 1);
  next_->setEnabled(!next_token_.isEmpty());
  page_label_->setText(tr("Page %1").arg(page_tokens_.size()));
  QString status;
  if (result.models.isEmpty())
    status = tr("No models found.");
  else if (result.total_count >= 0)
    status = tr("Models found: %1").arg(QLocale().toString(result.total_count));
  if (!result.filtered_client_side.isEmpty())
    status += (status.isEmpty() ? "" : " ") +
              tr("The hub did not filter by %1; this page was filtered here.")
                  .arg(result.filtered_client_side.join(", "));
  results_status_->setText(status);
}

void DiscoverPage::openModel(const QString& model_id, const QString& revision) {
  if (!services_.hub || model_id.isEmpty()) return;
  detail_request_ = services_.hub->openModel(model_id, revision);
  requested_revision_ = revision;
  fit_request_ = services_.hub->estimateFit(model_id, revision);
  if (model_id != detail_.summary.id) variants_->showFor(model_id);
  fit_known_ = false;
  fit_error_.clear();
  if (detail_.summary.id != model_id) {
    detail_panel_->hide();
    detail_placeholder_->show();
    detail_placeholder_->setText(tr("Opening %1…").arg(model_id));
  }
}

void DiscoverPage::showDetail(const app::HubModelDetail& detail) {
  detail_ = detail;
  if (requested_revision_.isEmpty()) default_revision_ = detail.revision;
  const app::HubModelSummary& s = detail.summary;
  title_->setText(s.id);
  QStringList facts;
  facts << tr("%1 downloads").arg(formatCount(s.downloads))
        << tr("%1 likes").arg(formatCount(s.likes));
  if (!s.last_modified.isEmpty()) facts << tr("updated %1").arg(shortDate(s.last_modified));
  facts << tr("Files: %1 (%2)").arg(detail.files.size()).arg(formatBytes(detail.total_bytes));
  subtitle_->setText(facts.join(QStringLiteral(" · ")));
  description_->setText(detail.description);
  description_->setVisible(!detail.description.isEmpty());

  clearLayout(badges_box_);
  auto* badges = new QHBoxLayout;
  badges->setSpacing(6);
  if (!s.license.isEmpty())
    badges->addWidget(makeBadge(tr("License: %1").arg(s.license), "accent"));
  QStringList tags = s.tasks + s.libraries;
  for (const QString& tag : s.tags)
    if (!tags.contains(tag) && !tag.contains(':')) tags << tag;
  for (int i = 0; i < tags.size() && i < 8; ++i) {
    QLabel* badge = makeBadge(tags[i]);
    badge->setProperty(kDataText, true);  // the hub's tags
    badges->addWidget(badge);
  }
  // Already downloaded? An "Update" is offered when the hub's commit moved on.
  const app::ModelEntry installed =
      services_.library ? services_.library->installed(s.id) : app::ModelEntry{};
  update_offered_ = false;
  if (!installed.path.isEmpty()) {
    QLabel* badge = installed.partial ? makeBadge(tr("Partly downloaded"), "bad")
                                      : makeBadge(tr("Installed"), "good");
    badge->setObjectName("InstalledBadge");
    badge->setToolTip(installed.path);
    badges->insertWidget(0, badge);
    update_offered_ = !installed.partial && !installed.commit.isEmpty() &&
                      !detail.commit.isEmpty() && installed.commit != detail.commit;
  }
  badges->addStretch();
  badges_box_->addLayout(badges);

  {
    const QSignalBlocker block(revision_);
    revision_->clear();
    QStringList names = detail.branches + detail.tags;
    if (!names.contains(detail.revision)) names.prepend(detail.revision);
    revision_->addItems(names);
    revision_->setCurrentText(detail.revision);
  }
  {
    const QSignalBlocker block(files_);
    files_->clear();
    for (const app::HubFile& f : detail.files) {
      auto* item = new QTreeWidgetItem(files_, {f.path, f.size >= 0 ? formatBytes(f.size) : "?"});
      item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
      item->setCheckState(0, Qt::Unchecked);
      item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
      const QString hash = f.sha256.isEmpty() ? tr("no sha256 from the hub (checked by size)")
                                              : QStringLiteral("sha256 %1").arg(f.sha256);
      item->setToolTip(0, hash);
      item->setToolTip(1, hash);
    }
  }
  download_selected_->setEnabled(false);
  download_all_->setText(update_offered_ ? tr("Update (%1)").arg(formatBytes(detail.total_bytes))
                                         : tr("Download (%1)").arg(formatBytes(detail.total_bytes)));
  download_all_->setEnabled(services_.downloads != nullptr);
  download_note_->clear();
  if (detail.card_markdown.trimmed().isEmpty())
    readme_->setMarkdown(tr("*This model has no README.*"));
  else
    readme_->setMarkdown(detail.card_markdown);
  {
    const QSignalBlocker block(results_);
    for (int i = 0; i < results_->count(); ++i)
      if (results_->item(i)->data(Qt::UserRole).toString() == s.id) results_->setCurrentRow(i);
  }
  detail_placeholder_->hide();
  detail_panel_->show();
  showFit();
}

void DiscoverPage::showFit() {
  if (!fit_known_) {
    fit_->setText(tr("Estimating whether it fits…"));
    fit_->setStyleSheet(themed("color: #64748b;"));
    return;
  }
  if (!fit_error_.isEmpty()) {
    fit_->setText(tr("No fit estimate: %1").arg(fit_error_));
    fit_->setStyleSheet(themed("color: #64748b;"));
    return;
  }
  const app::ModelLibrary* library = services_.library;
  const int context = app::ModelLibrary::cappedContext(
      fit_entry_, services_.settings ? services_.settings->contextLength() : 4096);
  const qint64 need = app::ModelLibrary::estimateBytes(fit_entry_, context);
  const bool fits = !library || library->fits(fit_entry_, context);
  const QString where = library
                            ? QStringLiteral("%1 (%2)").arg(
                                  library->deviceLabel(), formatBytes(library->deviceMemoryBytes()))
                            : QString();
  QString text = fits ? tr("Fits %1: needs about %2 with a %3-token context.")
                      : tr("Too large for %1: needs about %2 with a %3-token context.");
  text = text.arg(where, formatBytes(need)).arg(context);
  QStringList facts;
  if (!fit_entry_.architecture.isEmpty()) facts << fit_entry_.architecture;
  if (fit_entry_.parameters > 0)
    facts << tr("%1 parameters").arg(formatParameters(fit_entry_.parameters));
  if (!fit_entry_.dtype.isEmpty()) facts << fit_entry_.dtype;
  if (!fit_entry_.quantization.isEmpty()) facts << fit_entry_.quantization;
  if (fit_entry_.context_length > 0) facts << tr("context %1").arg(fit_entry_.context_length);
  fit_->setText(text + (facts.isEmpty() ? QString() : "  " + facts.join(" · ")));
  fit_->setStyleSheet(
      themed(fits ? "color: #166534; background: #dcfce7; border-radius: 6px;"
                  : "color: #991b1b; background: #fee2e2; border-radius: 6px;"));
}

void DiscoverPage::startDownload(bool selected_only) {
  if (!services_.downloads || detail_.summary.id.isEmpty()) return;
  QStringList include;
  if (selected_only) {
    for (int i = 0; i < files_->topLevelItemCount(); ++i)
      if (files_->topLevelItem(i)->checkState(0) == Qt::Checked)
        include << files_->topLevelItem(i)->text(0);
    if (include.isEmpty()) return;
  }
  // The default branch downloads into <owner>--<name>; another revision gets its own folder.
  const QString revision =
      revision_->currentText() == default_revision_ ? QString() : revision_->currentText();
  services_.downloads->enqueue(detail_.summary.id, revision, include,
                               update_offered_ && !selected_only);
  download_note_->setText(tr("Adding %1 to Downloads…").arg(detail_.summary.id.toHtmlEscaped()));
}

}  // namespace pagoda::ui
