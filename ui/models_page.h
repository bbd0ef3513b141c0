#pragma once
// The local model library: every model folder found, what it is, whether it fits the detected
// memory at a chosen context length, and Load / Unload.
#include <QWidget>

#include "app/services/model_library.h"
#include "ui/services.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QVBoxLayout;

namespace pagoda::ui {

class ElidedLabel;

class ModelsPage : public QWidget {
  Q_OBJECT
 public:
  explicit ModelsPage(const Services& services, QWidget* parent = nullptr);
  // Loads with the device and context length from Settings.
  void loadModel(const QString& path);
  // Adds a model folder to the library, or says on the page why it is not one.
  bool importFolder(const QString& dir);

 signals:
  void chatRequested();

 private:
  void rebuildList();
  void updateEngineBar();
  QWidget* makeCard(const struct ModelCardData& data);
  // Asks (with the size freed), then deletes through the model library.
  void confirmDelete(const app::ModelEntry& entry);

  Services services_;
  ElidedLabel* folder_label_;
  QLabel* memory_label_;
  QSpinBox* context_;
  QLabel* engine_label_;
  QLabel* error_label_;
  QLabel* notice_label_;
  QProgressBar* progress_;
  QPushButton* unload_;
  QPushButton* chat_;
  QVBoxLayout* list_;
  QString last_error_;
};

}  // namespace pagoda::ui
