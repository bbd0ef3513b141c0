#include "ui/downloads_page.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "app/services/download_service.h"
#include "app/services/engine_messages.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

QString stateText(const QString& state) {
  if (state == "queued") return DownloadsPage::tr("Queued");
  if (state == "running") return DownloadsPage::tr("Downloading");
  if (state == "paused") return DownloadsPage::tr("Paused");
  if (state == "completed") return DownloadsPage::tr("Completed");
  if (state == "failed") return DownloadsPage::tr("Failed");
  if (state == "canceled") return DownloadsPage::tr("Canceled");
  return state;
}

QString stateKind(const QString& state) {
  if (state == "completed") return "good";
  if (state == "failed") return "bad";
  if (state == "running") return "accent";
  return {};
}

QString formatDuration(double seconds) {
  const qint64 s = static_cast<qint64>(seconds + 0.5);
  if (s >= 3600)
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg(s / 60 % 60, 2, 10, QChar('0'))
        .arg(s % 60, 2, 10, QChar('0'));
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

// "12.0 MB of 34.5 MB · 8.1 MB/s · 0:03 left · file 2 of 5: model.safetensors"
QString detailText(const app::DownloadItem& item) {
  QStringList parts;
  if (item.bytes_total >= 0)
    parts << DownloadsPage::tr("%1 of %2")
                 .arg(formatBytes(item.bytes_done), formatBytes(item.bytes_total));
  else if (item.state == "running")
    parts << DownloadsPage::tr("Listing files…");
  if (item.state == "running") {
    if (item.bytes_per_second > 0)
      parts << DownloadsPage::tr("%1/s").arg(
          formatBytes(static_cast<qint64>(item.bytes_per_second)));
    if (item.eta_seconds >= 0)
      parts << DownloadsPage::tr("%1 left").arg(formatDuration(item.eta_seconds));
    if (item.files_total > 0) {
      QString file =
          DownloadsPage::tr("file %1 of %2")
              .arg(item.files_done + 1 > item.files_total ? item.files_total : item.files_done + 1)
              .arg(item.files_total);
      if (!item.current_file.isEmpty()) file += ": " + item.current_file;
      parts << file;
    }
  } else if (item.files_total > 0) {
    parts << DownloadsPage::tr("%1 of %2 files").arg(item.files_done).arg(item.files_total);
  }
  if (item.state == "completed" && !item.model_dir.isEmpty()) parts << item.model_dir;
  return parts.join(QStringLiteral(" · "));
}

int permille(const app::DownloadItem& item) {
  if (item.state == "completed") return 1000;
  if (item.bytes_total <= 0) return 0;
  return static_cast<int>(1000.0 * item.bytes_done / item.bytes_total);
}

}  // namespace

DownloadsPage::DownloadsPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  QVBoxLayout* layout = makeFixedPage(
      this, tr("Downloads"),
      tr("Models being downloaded into your library. Downloads resume after a pause, a "
         "lost connection or a restart, and every file is checked against the hub's "
         "checksum."));
  auto* tools = new QHBoxLayout;
  folder_label_ = new QLabel;
  folder_label_->setObjectName("Muted");
  folder_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  concurrent_ = new QSpinBox;
  concurrent_->setRange(1, 8);
  concurrent_->setValue(2);
  concurrent_->setSuffix(tr(" at once"));
  concurrent_->setToolTip(tr("How many models download at the same time"));
  tools->addWidget(folder_label_, 1);
  tools->addWidget(concurrent_);
  layout->addLayout(tools);
  error_label_ = new QLabel;
  error_label_->setObjectName("Problem");
  error_label_->setWordWrap(true);
  error_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(error_label_);
  layout->addSpacing(4);

  list_ = addCardList(layout);

  if (!services_.downloads) return;
  concurrent_->setValue(services_.downloads->maxConcurrent());
  connect(concurrent_, &QSpinBox::valueChanged, services_.downloads,
          &app::DownloadService::setMaxConcurrent);
  connect(services_.downloads, &app::DownloadService::listChanged, this, &DownloadsPage::rebuild);
  connect(services_.downloads, &app::DownloadService::itemChanged, this, &DownloadsPage::updateRow);
  rebuild();
}

void DownloadsPage::rebuild() {
  app::DownloadService* downloads = services_.downloads;
  folder_label_->setText(tr("Saving to %1").arg(downloads->libraryFolder()));
  error_label_->setText(downloads->errorString());
  error_label_->setVisible(!downloads->errorString().isEmpty());
  clearLayout(list_);
  rows_.clear();
  const QList<app::DownloadItem> items = downloads->items();
  if (items.isEmpty()) {
    auto* empty = new QLabel(tr("Nothing is downloading. Find a model on the Discover page."));
    empty->setObjectName("Muted");
    list_->addWidget(empty);
  }
  for (int i = 0; i < items.size(); ++i) list_->addWidget(makeCard(items[i], i, items.size()));
  list_->addStretch();
}

QWidget* DownloadsPage::makeCard(const app::DownloadItem& item, int index, int count) {
  QFrame* card = makeListCard("downloadId", item.id);
  auto* layout = new QVBoxLayout(card);
  layout->setContentsMargins(18, 14, 18, 14);
  layout->setSpacing(6);

  auto* top = new QHBoxLayout;
  auto* title = new QLabel(item.model_id);
  title->setObjectName("CardTitle");
  top->addWidget(title);
  top->addWidget(makeBadge(stateText(item.state), stateKind(item.state)));
  top->addStretch();
  const QString id = item.id;
  app::DownloadService* downloads = services_.downloads;
  auto add_button = [&](const QString& text, const QString& role, auto slot, bool primary = false) {
    auto* button = new QPushButton(text);
    button->setProperty("role", role);
    if (primary) button->setObjectName("Primary");
    connect(button, &QPushButton::clicked, this, slot);
    top->addWidget(button);
    return button;
  };
  const QString& s = item.state;
  if (s == "running" || s == "queued")
    add_button(tr("Pause"), "pause", [downloads, id] { downloads->pause(id); });
  if (s == "paused") add_button(tr("Resume"), "resume", [downloads, id] { downloads->resume(id); });
  if (s == "failed" || s == "canceled")
    add_button(
        tr("Retry"), "retry", [downloads, id] { downloads->retry(id); }, true);
  if (s == "running" || s == "queued" || s == "paused")
    add_button(tr("Cancel"), "cancel", [this, downloads, id] {
      // Canceling deletes what was downloaded so far: ask, naming how much.
      const app::DownloadItem now = downloads->item(id);
      if (confirmDestructive(this, "CancelDownloadConfirm", tr("Cancel the download"),
                             tr("Cancel the download of %1? The %2 downloaded so far are deleted.")
                                 .arg(now.model_id, formatBytes(now.bytes_done)),
                             tr("Cancel download")))
        downloads->cancel(id);
    });
  if (s == "completed")
    add_button(
        tr("Show in Models"), "models", [this] { emit modelsRequested(); }, true);
  if (s == "completed" || s == "failed" || s == "canceled")
    add_button(tr("Remove"), "remove", [downloads, id] { downloads->remove(id); });
  auto add_move = [&](const char* icon_name, const QString& tip, const QString& role, int delta,
                      bool enabled) {
    QToolButton* button = makeIconButton(QString::fromLatin1(icon_name), tip, tip);
    button->setProperty("role", role);
    button->setEnabled(enabled);
    connect(button, &QToolButton::clicked, this,
            [downloads, id, delta] { downloads->moveBy(id, delta); });
    top->addWidget(button);
  };
  add_move("chevron-up", tr("Move up"), "up", -1, index > 0);
  add_move("chevron-down", tr("Move down"), "down", +1, index + 1 < count);
  layout->addLayout(top);

  QStringList origin{item.endpoint};
  if (!item.revision.isEmpty()) origin << tr("revision %1").arg(item.revision);
  if (!item.include.isEmpty()) origin << tr("only %1").arg(item.include.join(", "));
  auto* origin_label = new ElidedLabel(origin.join(QStringLiteral(" · ")), Qt::ElideRight);
  origin_label->setObjectName("Muted");
  layout->addWidget(origin_label);

  Row row;
  row.state = item.state;
  row.bar = new QProgressBar;
  row.bar->setRange(0, 1000);
  row.bar->setTextVisible(false);
  layout->addWidget(row.bar);
  row.detail = new QLabel;
  row.detail->setObjectName("Muted");
  row.detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(row.detail);
  row.status = new QLabel;
  row.status->setWordWrap(true);
  row.status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  row.status->setObjectName(s == "failed" ? "Problem" : "Muted");
  layout->addWidget(row.status);
  // The hub's own words (English, technical) under the translated sentence.
  row.status_detail = new QLabel;
  row.status_detail->setObjectName("Muted");
  row.status_detail->setWordWrap(true);
  row.status_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
  row.status_detail->setProperty(kDataText, true);
  layout->addWidget(row.status_detail);
  rows_.insert(item.id, row);
  updateRow(item);
  return card;
}

void DownloadsPage::updateRow(const app::DownloadItem& item) {
  auto it = rows_.find(item.id);
  if (it == rows_.end() || it->state != item.state) {
    rebuild();  // the buttons depend on the state
    return;
  }
  it->bar->setValue(permille(item));
  it->bar->setVisible(item.state != "canceled" &&
                      (item.bytes_total > 0 || item.state == "running"));
  it->detail->setText(detailText(item));
  it->detail->setVisible(!it->detail->text().isEmpty());
  const QString raw = item.state == "failed" ? item.error : item.status_message;
  QString status = app::hubMessageText(raw);
  if (status.isEmpty() && item.state == "failed") status = tr("The download failed.");
  it->status->setText(status);
  it->status->setVisible(!status.isEmpty());
  it->status_detail->setText(raw);
  it->status_detail->setVisible(!raw.isEmpty());
}

}  // namespace pagoda::ui
