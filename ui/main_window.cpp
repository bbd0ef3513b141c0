#include "ui/main_window.h"

#include <QEvent>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QScreen>
#include <QShortcut>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "app/services/engine_service.h"
#include "ui/chat_page.h"
#include "ui/dashboard_page.h"
#include "ui/discover_page.h"
#include "ui/downloads_page.h"
#include "ui/models_page.h"
#include "ui/server_page.h"
#include "ui/settings_page.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
MainWindow::MainWindow(const Services& services, QWidget* parent)
    : QMainWindow(parent), services_(services) {
  setWindowTitle(tr("Pagoda"));
  setWindowIcon(icon("pagoda"));
  // 1280x800, or the screen's free area when it is smaller (a 1024x700 laptop).
  const QScreen* screen = QGuiApplication::primaryScreen();
  resize(screen ? QSize(1280, 800).boundedTo(screen->availableGeometry().size())
                : QSize(1280, 800));
  // Every page lays out whole down to this size (tests/ui/test_ui_layout.cpp), which leaves
  // room for a title bar and a panel on a 1024x700 screen.
  setMinimumSize(kMinimumSize);
  build();
  // Ctrl+1 ... Ctrl+7: the pages in the order of the sidebar.
  for (int p = 0; p < PageCount; ++p)
    connect(new QShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + p)), this),
            &QShortcut::activated, this, [this, p] { showPage(Page(p)); });
  connect(services_.engine, &app::EngineService::loaded, this, &MainWindow::updateStatus);
  connect(services_.engine, &app::EngineService::unloaded, this, &MainWindow::updateStatus);
  connect(services_.engine, &app::EngineService::loadStarted, this, &MainWindow::updateStatus);
  connect(services_.engine, &app::EngineService::loadFailed, this, &MainWindow::updateStatus);
}

void MainWindow::build() {
  const int current = nav_ ? nav_->currentRow() : Chat;
  auto* central = new QWidget;
  central->setObjectName("Content");
  auto* row = new QHBoxLayout(central);
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(0);

  auto* sidebar = new QFrame;
  sidebar->setObjectName("Sidebar");
  sidebar->setFixedWidth(216);
  auto* side = new QVBoxLayout(sidebar);
  side->setContentsMargins(14, 18, 14, 14);
  auto* brand = new QHBoxLayout;
  auto* logo = new QLabel;
  logo->setPixmap(icon("pagoda").pixmap(30, 30));
  auto* title = new QLabel(tr("Pagoda"));
  title->setObjectName("SidebarTitle");
  brand->addWidget(logo);
  brand->addWidget(title);
  brand->addStretch();
  side->addLayout(brand);
  side->addSpacing(16);

  nav_ = new QListWidget;
  nav_->setObjectName("Nav");
  nav_->setIconSize(QSize(20, 20));
  nav_->setFrameShape(QFrame::NoFrame);
  const struct {
    const char* icon_name;
    QString label;
  } items[] = {{"discover", tr("Discover")},   {"downloads", tr("Downloads")},
               {"models", tr("Models")},       {"chat", tr("Chat")},
               {"dashboard", tr("Dashboard")}, {"server", tr("Server")},
               {"settings", tr("Settings")}};
  for (const auto& item : items) {
    auto* entry = new QListWidgetItem(icon(QString::fromLatin1(item.icon_name)), item.label, nav_);
    entry->setToolTip(tr("%1 (Ctrl+%2)").arg(item.label).arg(nav_->count()));
  }
  side->addWidget(nav_, 1);
  status_ = new QLabel;
  status_->setObjectName("SidebarStatus");
  status_->setWordWrap(true);
  side->addWidget(status_);

  stack_ = new QStackedWidget;
  auto* discover = new DiscoverPage(services_);
  auto* downloads = new DownloadsPage(services_);
  connect(discover, &DiscoverPage::downloadsRequested, this, [this] { showPage(Downloads); });
  connect(downloads, &DownloadsPage::modelsRequested, this, [this] { showPage(Models); });
  stack_->addWidget(discover);
  stack_->addWidget(downloads);
  models_page_ = new ModelsPage(services_);
  stack_->addWidget(models_page_);
  chat_page_ = new ChatPage(services_);
  stack_->addWidget(chat_page_);
  stack_->addWidget(new DashboardPage(services_));
  stack_->addWidget(new ServerPage(services_));
  settings_page_ = new SettingsPage(services_);
  stack_->addWidget(settings_page_);

  row->addWidget(sidebar);
  row->addWidget(stack_, 1);
  connect(nav_, &QListWidget::currentRowChanged, stack_, &QStackedWidget::setCurrentIndex);
  connect(models_page_, &ModelsPage::chatRequested, this, [this] { showPage(Chat); });
  QWidget* old = takeCentralWidget();
  setCentralWidget(central);
  if (old) old->deleteLater();
  nav_->setCurrentRow(current);
  updateStatus();
}

void MainWindow::showPage(Page page) {
  nav_->setCurrentRow(page);
}

MainWindow::Page MainWindow::currentPage() const {
  return static_cast<Page>(nav_->currentRow());
}

QWidget* MainWindow::page(Page page) const {
  return stack_->widget(page);
}

void MainWindow::changeEvent(QEvent* event) {
  // A new translator was installed: rebuild every page in the new language (after this event,
  // since the settings page that caused it is still on the stack).
  if (event->type() == QEvent::LanguageChange && nav_)
    QTimer::singleShot(0, this, [this] {
      setWindowTitle(tr("Pagoda"));
      build();
    });
  QMainWindow::changeEvent(event);
}

void MainWindow::updateStatus() {
  if (!status_) return;
  const app::EngineService* engine = services_.engine;
  if (engine->isLoading())
    status_->setText(tr("Loading a model…"));
  else if (engine->isLoaded())
    status_->setText(tr("%1\non %2").arg(engine->info().name, engine->info().backend.toUpper()));
  else
    status_->setText(tr("No model loaded"));
}

}  // namespace pagoda::ui
