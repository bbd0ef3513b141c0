#pragma once
// The Server page: the switch of the local OpenAI-compatible API, its port, network exposure,
// API key (and where it is kept), the served model and its public name, CORS origins,
// ready-to-copy client examples, and the live request log.
#include <QWidget>

#include "ui/services.h"

class QBoxLayout;
class QCheckBox;
class QLayout;
class QComboBox;
class QFrame;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace pagoda::app {
struct ServerLogEntry;
}

namespace pagoda::ui {

class ServerPage : public QWidget {
  Q_OBJECT
 public:
  explicit ServerPage(const Services& services, QWidget* parent = nullptr);

  QTableWidget* requestTable() const { return requests_; }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  void updateState();
  void updateKey();
  void updateExamples();
  void addLogRow(const app::ServerLogEntry& entry);
  // The construction, in parts, in the order the constructor calls them.
  QWidget* makeStateCard();
  QWidget* makeLanWarning();
  QWidget* makeConnectionBox();
  QWidget* makeKeyBox();
  QWidget* makeModelBox();  // which model is served, under which name
  QWidget* makeUsageBox();
  QWidget* makeLogBox();
  void wireControls();
  void connectServices();

  Services services_;
  QBoxLayout* columns_;  // the settings and the examples: side by side, or stacked when narrow
  QLayout* left_column_;
  QLayout* right_column_;
  QPushButton* switch_;
  QLabel* badge_;
  QLabel* state_;
  QLabel* model_note_;
  QFrame* lan_warning_;
  QLabel* lan_warning_text_;
  QSpinBox* port_;
  QCheckBox* lan_;
  QLineEdit* cors_;
  QLineEdit* allowed_hosts_;
  QLineEdit* key_;
  QPushButton* reveal_;
  QPushButton* copy_key_;
  QPushButton* remove_key_;
  QLabel* key_storage_;
  QLabel* key_note_;
  QComboBox* served_model_;
  QLineEdit* public_name_;
  QLabel* base_url_;
  QPlainTextEdit* curl_;
  QPlainTextEdit* python_;
  QTableWidget* requests_;
};

}  // namespace pagoda::ui
