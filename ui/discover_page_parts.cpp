// DiscoverPage, continued: the construction of its parts (the hub row, the search row, the results
// column, the detail column with the model card) and their wiring to the controls and services.
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "app/services/app_settings.h"
#include "app/services/download_service.h"
#include "app/services/model_library.h"
#include "ui/discover_page.h"
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

}  // namespace

// The hub choice, a custom mirror's address and the access token.
void DiscoverPage::buildHubRow(QVBoxLayout* layout) {
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
}

// The search field and its filters; returns the Search button.
QPushButton* DiscoverPage::buildSearchRow(QVBoxLayout* layout) {
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
  return go;
}

// On the left: the results, their status and the paging.
void DiscoverPage::buildResultsColumn(QHBoxLayout* body) {
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
}

// On the right: the open model (its card, files and README), or a placeholder.
void DiscoverPage::buildDetailColumn(QHBoxLayout* body) {
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
  detail->addWidget(buildModelCard());

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
}

// The open model's card: title, description, badges, fit, variants, revision and downloads.
QFrame* DiscoverPage::buildModelCard() {
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
  return card;
}

// What the page's own controls do.
void DiscoverPage::wireControls(QPushButton* go) {
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
}

// The hub's answers, and the library, settings and downloads that change what the page shows.
void DiscoverPage::connectServices() {
  app::HubService* hub = services_.hub;
  connect(hub, &app::HubService::endpointChanged, this, [this] {
    syncHubControls();
    runSearch();
  });
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

}  // namespace pagoda::ui
