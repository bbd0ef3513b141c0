#pragma once
// The shell: a side navigation and one page per section. Services are made in main() and
// handed in; pages hold no state of their own that the services do not also keep, so switching
// language simply rebuilds them.
#include <QMainWindow>
#include <QPointer>

#include "ui/services.h"

class QListWidget;
class QStackedWidget;
class QLabel;

namespace pagoda::ui {

class ChatPage;
class ModelsPage;
class SettingsPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  enum Page { Discover, Downloads, Models, Chat, Dashboard, Server, Settings, PageCount };
  static constexpr QSize kMinimumSize{960, 640};
  explicit MainWindow(const Services& services, QWidget* parent = nullptr);

  void showPage(Page page);
  Page currentPage() const;
  QWidget* page(Page page) const;
  ChatPage* chatPage() const { return chat_page_; }
  ModelsPage* modelsPage() const { return models_page_; }
  SettingsPage* settingsPage() const { return settings_page_; }

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void build();
  void updateStatus();

  Services services_;
  QListWidget* nav_ = nullptr;
  QStackedWidget* stack_ = nullptr;
  QLabel* status_ = nullptr;
  ChatPage* chat_page_ = nullptr;
  ModelsPage* models_page_ = nullptr;
  SettingsPage* settings_page_ = nullptr;
};

}  // namespace pagoda::ui
