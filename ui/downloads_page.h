#pragma once
// Downloads: the queue of model downloads into the library, with progress, speed and time left
// per model, and pause / resume / cancel / retry / reorder. The work happens in DownloadService.
#include <QHash>
#include <QWidget>

#include "app/services/download_service.h"
#include "ui/services.h"

class QLabel;
class QProgressBar;
class QSpinBox;
class QVBoxLayout;

namespace pagoda::ui {

class DownloadsPage : public QWidget {
  Q_OBJECT
 public:
  explicit DownloadsPage(const Services& services, QWidget* parent = nullptr);

 signals:
  void modelsRequested();

 private:
  struct Row {
    QProgressBar* bar = nullptr;
    QLabel* detail = nullptr;
    QLabel* status = nullptr;         // translated (app::hubMessageText)
    QLabel* status_detail = nullptr;  // the hub's message as it came
    QString state;
  };
  void rebuild();
  QWidget* makeCard(const app::DownloadItem& item, int index, int count);
  void updateRow(const app::DownloadItem& item);

  Services services_;
  QLabel* folder_label_ = nullptr;
  QLabel* error_label_ = nullptr;
  QSpinBox* concurrent_ = nullptr;
  QVBoxLayout* list_ = nullptr;
  QHash<QString, Row> rows_;
};

}  // namespace pagoda::ui
