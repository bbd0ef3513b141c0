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
  QVBoxLayout* layout = makeFixedPage(
      this, tr("Discover"),
      tr("Search ModelScope or Hugging Face for open models and check that one fits "
         "this computer before you download it."));

  buildHubRow(layout);
  QPushButton* go = buildSearchRow(layout);

  // Results on the left, the open model on the right.
  auto* body = new QHBoxLayout;
  body->setSpacing(16);
  buildResultsColumn(body);
  buildDetailColumn(body);
  layout->addLayout(body, 1);

  if (!services_.hub) return;
  syncHubControls();
  wireControls(go);
  connectServices();
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
