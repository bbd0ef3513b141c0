#pragma once
// Preferences: models folder, default device and context length, language, remote endpoints.
#include <QWidget>

#include "ui/services.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;

namespace pagoda::ui {

class SettingsPage : public QWidget {
  Q_OBJECT
 public:
  explicit SettingsPage(const Services& services, QWidget* parent = nullptr);

 private:
  void reloadEndpoints();
  void showEndpoint(const QString& id);

  Services services_;
  QLineEdit* models_folder_;
  QComboBox* device_;
  QSpinBox* context_;
  QComboBox* language_;
  QListWidget* endpoints_;
  QLineEdit* endpoint_name_;
  QLineEdit* endpoint_url_;
  QLineEdit* endpoint_model_;
  QLineEdit* endpoint_key_;
  QLabel* endpoint_status_;
  QString endpoint_id_;
};

}  // namespace pagoda::ui
