#pragma once
// Preferences: models folder, default device, language and theme, remote endpoints. (The
// context length is set on the Models page, where its memory estimate is shown.)
#include <QWidget>

#include "ui/services.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QVBoxLayout;

namespace pagoda::ui {

class SettingsPage : public QWidget {
  Q_OBJECT
 public:
  explicit SettingsPage(const Services& services, QWidget* parent = nullptr);

 private:
  // The construction, one group box each, in the order of the page.
  void buildModelsBox(QVBoxLayout* layout);
  void buildEngineBox(QVBoxLayout* layout);
  void buildAppearanceBox(QVBoxLayout* layout);
  void buildRemoteBox(QVBoxLayout* layout);

  void reloadEndpoints();
  void showEndpoint(const QString& id);

  Services services_;
  QLineEdit* models_folder_;
  QComboBox* device_;
  QComboBox* language_;
  QComboBox* theme_;
  QListWidget* endpoints_;
  QLineEdit* endpoint_name_;
  QLineEdit* endpoint_url_;
  QLineEdit* endpoint_model_;
  QLineEdit* endpoint_key_;
  QLabel* endpoint_status_;
  QString endpoint_id_;
};

}  // namespace pagoda::ui
