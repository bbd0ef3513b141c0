#include "ui/ui_util.h"

#include <QBoxLayout>
#include <QLocale>
#include <QScrollArea>
#include <QToolButton>

namespace pagoda::ui {

QString formatBytes(qint64 bytes) {
  return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

QString formatParameters(qint64 count) {
  if (count >= 1'000'000'000) return QString::number(count / 1e9, 'f', 1) + "B";
  if (count >= 1'000'000) return QString::number(count / 1e6, 'f', 1) + "M";
  if (count >= 1'000) return QString::number(count / 1e3, 'f', 1) + "K";
  return QString::number(count);
}

QIcon icon(const QString& name) {
  return QIcon(QStringLiteral(":/icons/%1.svg").arg(name));
}

QToolButton* makeIconButton(const QString& icon_name, const QString& name, const QString& tip,
                            QWidget* parent) {
  auto* b = new QToolButton(parent);
  b->setObjectName("Small");
  const QIcon image = icon(icon_name);
  b->setIcon(image);
  b->setIconSize(QSize(15, 15));
  b->setText(name);
  b->setAccessibleName(name);
  b->setToolTip(tip);
  b->setAutoRaise(true);
  b->setToolButtonStyle(image.pixmap(15, 15).isNull() ? Qt::ToolButtonTextOnly
                                                      : Qt::ToolButtonIconOnly);
  return b;
}

QLabel* makeBadge(const QString& text, const QString& kind, QWidget* parent) {
  auto* label = new QLabel(text, parent);
  label->setObjectName(kind == "good"     ? "BadgeGood"
                       : kind == "bad"    ? "BadgeBad"
                       : kind == "accent" ? "BadgeAccent"
                                          : "Badge");
  label->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Fixed);
  return label;
}

void clearLayout(QLayout* layout) {
  while (QLayoutItem* item = layout->takeAt(0)) {
    if (QWidget* widget = item->widget()) {
      widget->hide();
      widget->setParent(nullptr);
      widget->deleteLater();
    }
    if (QLayout* child = item->layout()) clearLayout(child);
    delete item;
  }
}

void addPageHeader(QBoxLayout* layout, const QString& title, const QString& subtitle) {
  auto* title_label = new QLabel(title);
  title_label->setObjectName("PageTitle");
  auto* subtitle_label = new QLabel(subtitle);
  subtitle_label->setObjectName("PageSubtitle");
  subtitle_label->setWordWrap(true);
  layout->addWidget(title_label);
  layout->addWidget(subtitle_label);
  layout->addSpacing(8);
}

}  // namespace pagoda::ui

#include <QApplication>
#include <QFile>
#include <QStyleFactory>
#include <QTranslator>

namespace pagoda::ui {

void applyLanguage(const QString& language) {
  // The translator is a child of the application, so it lives exactly as long as the app.
  auto* old = qApp->findChild<QTranslator*>("PagodaTranslator");
  if (old) {
    QCoreApplication::removeTranslator(old);
    delete old;
  }
  if (language.isEmpty() || language == "en") return;
  auto* translator = new QTranslator(qApp);
  translator->setObjectName("PagodaTranslator");
  if (translator->load(QStringLiteral(":/i18n/pagoda_%1.qm").arg(language)))
    QCoreApplication::installTranslator(translator);
  else
    delete translator;
}

void applyStyle() {
  QApplication::setStyle(QStyleFactory::create("Fusion"));
  QPalette palette = QApplication::palette();
  palette.setColor(QPalette::Window, QColor("#f8fafc"));
  palette.setColor(QPalette::Base, QColor("#ffffff"));
  palette.setColor(QPalette::Text, QColor("#1e293b"));
  palette.setColor(QPalette::WindowText, QColor("#1e293b"));
  palette.setColor(QPalette::Highlight, QColor("#4f46e5"));
  palette.setColor(QPalette::Link, QColor("#4f46e5"));
  QApplication::setPalette(palette);
  QFile qss(":/style.qss");
  if (qss.open(QIODevice::ReadOnly)) qApp->setStyleSheet(QString::fromUtf8(qss.readAll()));
}

QVBoxLayout* makeScrollingPage(QWidget* page) {
  auto* outer = new QVBoxLayout(page);
  outer->setContentsMargins(0, 0, 0, 0);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  auto* content = new QWidget;
  content->setObjectName("Content");
  auto* layout = new QVBoxLayout(content);
  layout->setContentsMargins(32, 28, 32, 28);
  layout->setSpacing(12);
  scroll->setWidget(content);
  outer->addWidget(scroll);
  return layout;
}

QVBoxLayout* addCardList(QBoxLayout* layout) {
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  auto* list_widget = new QWidget;
  list_widget->setObjectName("Content");
  auto* list = new QVBoxLayout(list_widget);
  list->setContentsMargins(0, 0, 8, 0);
  list->setSpacing(10);
  scroll->setWidget(list_widget);
  layout->addWidget(scroll, 1);
  return list;
}

}  // namespace pagoda::ui
