#include "ui/ui_util.h"

#include <QBoxLayout>
#include <QFrame>
#include <QRegularExpression>
#include <QEvent>
#include <QDir>
#include <QStandardPaths>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QToolButton>

namespace pagoda::ui {

ElidedLabel::ElidedLabel(const QString& text, Qt::TextElideMode mode, QWidget* parent)
    : QLabel(parent), mode_(mode) {
  setTextFormat(Qt::PlainText);
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
  setFullText(text);
}

void ElidedLabel::setFullText(const QString& text) {
  full_text_ = text;
  updateGeometry();
  updateShown();
}

QSize ElidedLabel::sizeHint() const {
  const QMargins m = contentsMargins();
  return {fontMetrics().horizontalAdvance(full_text_) + m.left() + m.right() + 2 * margin(),
          QLabel::sizeHint().height()};
}

QSize ElidedLabel::minimumSizeHint() const {
  return {std::min(sizeHint().width(), fontMetrics().horizontalAdvance(QStringLiteral("xxxxxx…"))),
          QLabel::minimumSizeHint().height()};
}

void ElidedLabel::resizeEvent(QResizeEvent* event) {
  QLabel::resizeEvent(event);
  updateShown();
}

void ElidedLabel::changeEvent(QEvent* event) {
  QLabel::changeEvent(event);
  // A style sheet's font arrives after construction: the size hint changes with it.
  if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
    updateGeometry();
    updateShown();
  }
}

void ElidedLabel::updateShown() {
  const QString shown =
      fontMetrics().elidedText(full_text_, mode_, std::max(0, contentsRect().width() - 2 * margin()));
  if (shown != text()) QLabel::setText(shown);
  setToolTip(shown == full_text_ ? QString() : full_text_);
}

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

bool confirmDestructive(QWidget* parent, const QString& name, const QString& title,
                        const QString& text, const QString& action) {
  QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Cancel, parent);
  box.setObjectName(name);
  QPushButton* yes = box.addButton(action, QMessageBox::DestructiveRole);
  box.setDefaultButton(QMessageBox::Cancel);
  box.exec();
  return box.clickedButton() == yes;
}

QString safeFileName(const QString& title, const QString& fallback) {
  QString name;
  for (const QChar c : title)
    name += (c.category() == QChar::Other_Control || QStringLiteral("/\\:*?\"<>|").contains(c))
                ? QChar(' ')
                : c;
  // No hidden files and no "..": leading dots go, and a name of dots alone is no name.
  name = name.simplified().remove(QRegularExpression(QStringLiteral("^[.\\s]+")));
  name = name.left(80).trimmed();
  return name.isEmpty() ? fallback : name;
}

QString proposedSavePath(const QString& title, const QString& extension) {
  QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
  if (folder.isEmpty()) folder = QDir::homePath();
  return QDir(folder).filePath(safeFileName(title, QStringLiteral("chat")) + extension);
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
#include <QHash>
#include <QLibraryInfo>
#include <QPalette>
#include <QRegularExpression>
#include <QStyle>
#include <QStyleFactory>
#include <QTranslator>

namespace pagoda::ui {

namespace {
// Replaces the translator named `name` (a child of the app) with `file` from `folder`.
void installTranslator(const QString& name, const QString& file, const QString& folder) {
  if (auto* old = qApp->findChild<QTranslator*>(name)) {
    QCoreApplication::removeTranslator(old);
    delete old;
  }
  if (file.isEmpty()) return;
  auto* translator = new QTranslator(qApp);
  translator->setObjectName(name);
  if (translator->load(file, folder))
    QCoreApplication::installTranslator(translator);
  else
    delete translator;
}

// The light theme's colours (style.qss, the palette, the pages' own sheets) and their dark
// counterparts: the dark theme is the light one with each colour swapped.
QString darkColor(const QString& light) {
  static const QHash<QString, QString> dark = {
      {"#f8fafc", "#0f172a"}, {"#ffffff", "#1e293b"}, {"#1e293b", "#e2e8f0"},
      {"#0f172a", "#f8fafc"}, {"#e2e8f0", "#334155"}, {"#cbd5e1", "#475569"},
      {"#f1f5f9", "#273449"}, {"#64748b", "#94a3b8"}, {"#94a3b8", "#64748b"},
      {"#334155", "#cbd5e1"}, {"#475569", "#cbd5e1"}, {"#eef2ff", "#312e81"},
      {"#4338ca", "#c7d2fe"}, {"#3730a3", "#e0e7ff"}, {"#c7d2fe", "#3730a3"},
      {"#dcfce7", "#14532d"}, {"#166534", "#bbf7d0"}, {"#fee2e2", "#7f1d1d"},
      {"#991b1b", "#fecaca"}, {"#b91c1c", "#f87171"}, {"#fef3c7", "#78350f"},
      {"#fcd34d", "#b45309"}, {"#92400e", "#fde68a"}, {"#a5b4fc", "#6366f1"}};
  return dark.value(light.toLower(), light);
}

bool dark_theme = false;

// The desktop's palette as the platform theme gave it, before applyStyle() replaced it.
const QPalette& systemPalette() {
  static const QPalette palette = QGuiApplication::palette();
  return palette;
}
}  // namespace

void applyLanguage(const QString& language) {
  const bool english = language.isEmpty() || language == "en";
  // Dates, numbers and sizes (formatBytes) follow the chosen language too.
  QLocale::setDefault(english ? QLocale(QLocale::English, QLocale::UnitedStates)
                              : QLocale(language));
  installTranslator(QStringLiteral("PagodaTranslator"),
                    english ? QString() : QStringLiteral("pagoda_%1").arg(language),
                    QStringLiteral(":/i18n"));
  // Qt's own strings: context menus, dialog buttons, file dialogs (qt6-translations-l10n).
  installTranslator(QStringLiteral("QtBaseTranslator"),
                    english ? QString() : QStringLiteral("qtbase_%1").arg(language),
                    QLibraryInfo::path(QLibraryInfo::TranslationsPath));
}

bool systemPrefersDark() {
  // Qt 6.4 has no colour-scheme hint: the platform theme's window colour tells (GNOME and KDE
  // hand their dark palettes to Qt), and GTK_THEME=<name>:dark asks for it explicitly.
  if (qEnvironmentVariable("GTK_THEME").endsWith(QStringLiteral(":dark"))) return true;
  return systemPalette().color(QPalette::Window).lightness() < 128;
}

bool isDarkTheme() {
  return dark_theme;
}

QString themed(const QString& style_sheet) {
  if (!dark_theme) return style_sheet;
  static const QRegularExpression hex(QStringLiteral("#[0-9a-fA-F]{6}\\b"));
  QString out;
  qsizetype last = 0;
  for (auto it = hex.globalMatch(style_sheet); it.hasNext();) {
    const QRegularExpressionMatch m = it.next();
    out += style_sheet.mid(last, m.capturedStart() - last) + darkColor(m.captured());
    last = m.capturedEnd();
  }
  return out + style_sheet.mid(last);
}

QColor themedColor(const char* light) {
  return QColor(themed(QString::fromLatin1(light)));
}

void applyStyle(const QString& theme) {
  systemPalette();  // remembered before the first change
  dark_theme = theme == "dark" || (theme != "light" && systemPrefersDark());
  QApplication::setStyle(QStyleFactory::create("Fusion"));
  QPalette palette = QApplication::style()->standardPalette();
  const struct {
    QPalette::ColorRole role;
    const char* color;
  } roles[] = {{QPalette::Window, "#f8fafc"},     {QPalette::Base, "#ffffff"},
               {QPalette::AlternateBase, "#f8fafc"}, {QPalette::Text, "#1e293b"},
               {QPalette::WindowText, "#1e293b"}, {QPalette::ButtonText, "#1e293b"},
               {QPalette::Button, "#ffffff"},     {QPalette::Highlight, "#4f46e5"},
               {QPalette::HighlightedText, "#ffffff"}, {QPalette::Link, "#4f46e5"},
               {QPalette::ToolTipBase, "#ffffff"}, {QPalette::ToolTipText, "#1e293b"},
               {QPalette::PlaceholderText, "#94a3b8"}};
  for (const auto& r : roles) palette.setColor(r.role, themedColor(r.color));
  if (dark_theme) palette.setColor(QPalette::HighlightedText, QColor("#ffffff"));
  QApplication::setPalette(palette);
  QFile qss(":/style.qss");
  if (qss.open(QIODevice::ReadOnly)) qApp->setStyleSheet(themed(QString::fromUtf8(qss.readAll())));
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

QVBoxLayout* makeFixedPage(QWidget* page, const QString& title, const QString& subtitle) {
  auto* layout = new QVBoxLayout(page);
  layout->setContentsMargins(32, 28, 32, 20);
  addPageHeader(layout, title, subtitle);
  return layout;
}

QFrame* makeListCard(const char* property, const QVariant& value) {
  auto* card = new QFrame;
  card->setObjectName("Card");
  card->setProperty(property, value);
  card->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
  return card;
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
