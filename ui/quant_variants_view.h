#pragma once
// Discover: the open model's published precisions side by side (bf16, AWQ, GPTQ Int4/Int8, FP8),
// each with its format, weight size and whether it fits this computer at the chosen context.
// Asks HubService for one fit estimate per candidate repo (off the GUI thread); repos the hub does
// not have are left out. GUI thread only.
#include <QHash>
#include <QWidget>

#include "app/services/hub_service.h"
#include "app/services/model_library.h"
#include "ui/main_window.h"

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace pagoda::ui {

class QuantVariantsView : public QWidget {
  Q_OBJECT
 public:
  explicit QuantVariantsView(const Services& services, QWidget* parent = nullptr);
  // Starts the estimates for model_id's variants (replacing any in flight).
  void showFor(const QString& model_id);

 signals:
  void variantActivated(const QString& model_id);

 private:
  void addResult(QTreeWidgetItem* item, const app::ModelEntry& entry);

  Services services_;
  QLabel* title_ = nullptr;
  QTreeWidget* table_ = nullptr;
  QString model_id_;
  QHash<int, QTreeWidgetItem*> pending_;  // fit request -> its row
  int found_ = 0;
};

}  // namespace pagoda::ui
