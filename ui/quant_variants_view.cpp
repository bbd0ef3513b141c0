#include "ui/quant_variants_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "app/services/model_library.h"
#include "app/services/app_settings.h"
#include "ui/ui_util.h"

namespace pagoda::ui {

QuantVariantsView::QuantVariantsView(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  title_ = new QLabel(tr("Precisions of this model"));
  title_->setObjectName("Muted");
  layout->addWidget(title_);
  table_ = new QTreeWidget;
  table_->setRootIsDecorated(false);
  table_->setHeaderLabels({tr("Repository"), tr("Format"), tr("Weights"), tr("Fit")});
  table_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  table_->setMaximumHeight(150);
  layout->addWidget(table_);
  hide();
  connect(table_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
    if (item && item->text(0) != model_id_) emit variantActivated(item->text(0));
  });
  if (!services_.hub) return;
  connect(services_.hub, &app::HubService::fitFinished, this,
          [this](int request, const app::ModelEntry& entry) {
            if (QTreeWidgetItem* item = pending_.take(request)) addResult(item, entry);
          });
  connect(services_.hub, &app::HubService::requestFailed, this,
          [this](int request, const QString& what, const QString&) {
            // Most candidates do not exist on a given hub: drop their rows quietly.
            if (what == "fit")
              if (QTreeWidgetItem* item = pending_.take(request)) delete item;
          });
}

void QuantVariantsView::showFor(const QString& model_id) {
  model_id_ = model_id;
  pending_.clear();
  table_->clear();
  found_ = 0;
  hide();
  if (!services_.hub) return;
  for (const QString& id : app::HubService::quantizedVariants(model_id)) {
    auto* item = new QTreeWidgetItem(table_, {id, tr("checking…"), QString(), QString()});
    pending_.insert(services_.hub->estimateFit(id), item);
  }
}

void QuantVariantsView::addResult(QTreeWidgetItem* item, const app::ModelEntry& entry) {
  const int context = services_.settings ? services_.settings->contextLength() : 4096;
  item->setText(1, entry.quantization.isEmpty() ? entry.dtype : entry.quantization);
  item->setText(2, formatBytes(entry.weights_bytes));
  const qint64 need = app::ModelLibrary::estimateBytes(entry, context);
  const bool fits = !services_.library || services_.library->fits(entry, context);
  item->setText(3, fits ? tr("fits (~%1)").arg(formatBytes(need))
                        : tr("too large (~%1)").arg(formatBytes(need)));
  item->setForeground(3, fits ? QColor("#166534") : QColor("#991b1b"));
  if (item->text(0) == model_id_) {
    QFont bold = item->font(0);
    bold.setBold(true);
    item->setFont(0, bold);
  }
  // Worth showing once the model has at least one sibling on this hub.
  if (++found_ >= 2) show();
}

}  // namespace pagoda::ui
