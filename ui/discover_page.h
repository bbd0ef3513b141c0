#pragma once
// Discover: search a model hub (ModelScope by default, Hugging Face, or a mirror), read a
// model's card, files and revisions, see whether it fits this computer, and download it whole
// or file by file. Every hub call runs in HubService, off the GUI thread.
#include <QStringList>
#include <QWidget>

#include "app/services/hub_service.h"
#include "ui/services.h"

class QComboBox;
class QFrame;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTextBrowser;
class QTreeWidget;
class QVBoxLayout;

namespace pagoda::ui {

class QuantVariantsView;

class DiscoverPage : public QWidget {
  Q_OBJECT
 public:
  explicit DiscoverPage(const Services& services, QWidget* parent = nullptr);

  // What the search box and the result list do (also used by tests and screenshots).
  void search(const QString& text);
  void openModel(const QString& model_id, const QString& revision = {});
  QString openModelId() const { return detail_.summary.id; }

 signals:
  void downloadsRequested();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  // The construction, in parts (discover_page_parts.cpp), in the order the constructor calls them.
  void buildHubRow(QVBoxLayout* layout);
  QPushButton* buildSearchRow(QVBoxLayout* layout);
  void buildResultsColumn(QHBoxLayout* body);
  void buildDetailColumn(QHBoxLayout* body);
  QFrame* buildModelCard();
  void wireControls(QPushButton* go);
  void connectServices();

  void runSearch();
  void showResults(const app::HubSearchResult& result);
  void showDetail(const app::HubModelDetail& detail);
  void showFit();
  void syncHubControls();
  void applyHubChoice();
  void startDownload(bool selected_only);

  Services services_;
  QComboBox* hub_ = nullptr;
  QLineEdit* custom_url_ = nullptr;
  QPushButton* token_ = nullptr;
  QLineEdit* query_ = nullptr;
  QComboBox* sort_ = nullptr;
  QComboBox* task_ = nullptr;
  QComboBox* library_filter_ = nullptr;
  QLabel* hub_problem_ = nullptr;
  QListWidget* results_ = nullptr;
  QLabel* results_status_ = nullptr;
  QPushButton* prev_ = nullptr;
  QPushButton* next_ = nullptr;
  QLabel* page_label_ = nullptr;

  QWidget* detail_panel_ = nullptr;
  QLabel* detail_placeholder_ = nullptr;
  QLabel* title_ = nullptr;
  QLabel* description_;
  QLabel* subtitle_ = nullptr;
  QVBoxLayout* badges_box_ = nullptr;
  QLabel* fit_ = nullptr;
  QuantVariantsView* variants_ = nullptr;
  QComboBox* revision_ = nullptr;
  QPushButton* download_all_ = nullptr;
  QPushButton* download_selected_ = nullptr;
  QLabel* download_note_ = nullptr;
  QTreeWidget* files_ = nullptr;
  QTextBrowser* readme_ = nullptr;

  QStringList page_tokens_{QString()};  // token of each page visited; the last is the current
  QString next_token_;
  int search_request_ = 0;
  int detail_request_ = 0;
  int fit_request_ = 0;
  QString requested_revision_;
  QString default_revision_;  // the hub's default branch of the open model
  app::HubModelDetail detail_;
  app::ModelEntry fit_entry_;
  QString fit_error_;
  bool fit_known_ = false;
  bool update_offered_ = false;  // the library copy's commit differs from the hub's
  bool searched_ = false;  // the first search waits until the page is shown
};

}  // namespace pagoda::ui
