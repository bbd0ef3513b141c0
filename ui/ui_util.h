#pragma once
// Small shared pieces of the widgets: formatting and the common building blocks of a page.
#include <QColor>
#include <QIcon>
#include <QLabel>
#include <QString>
#include <QVBoxLayout>

class QBoxLayout;
class QLayout;
class QToolButton;
class QWidget;

namespace pagoda::ui {

// A one-line label that elides its text ("…", by default in the middle, as for paths) when it
// is narrower than the text, and then shows the whole text as its tooltip. Its minimum width
// is small, so a long path never widens a card or a window.
class ElidedLabel : public QLabel {
 public:
  explicit ElidedLabel(const QString& text = {}, Qt::TextElideMode mode = Qt::ElideMiddle,
                       QWidget* parent = nullptr);
  void setFullText(const QString& text);
  QString fullText() const { return full_text_; }
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void resizeEvent(QResizeEvent* event) override;
  void changeEvent(QEvent* event) override;

 private:
  void updateShown();
  QString full_text_;
  Qt::TextElideMode mode_;
};

// A widget property: true when the widget shows data the app did not write (a model card, hub
// tags, a server's error message) and so is not translated.
inline constexpr char kDataText[] = "pagodaDataText";

QString formatBytes(qint64 bytes);       // "10.5 MB"
QString formatParameters(qint64 count);  // "5.2M", "7.6B"
QIcon icon(const QString& name);         // :/icons/<name>.svg
// An icon-only tool button ("Small" style): `name` is its accessible name and, when the icon
// cannot be drawn (no SVG image plugin), its text; `tip` its tooltip.
QToolButton* makeIconButton(const QString& icon_name, const QString& name, const QString& tip,
                            QWidget* parent = nullptr);
// kind: "" (neutral), "good", "bad", "accent"
QLabel* makeBadge(const QString& text, const QString& kind = {}, QWidget* parent = nullptr);
// The title and one-line description at the top of a page.
void addPageHeader(QBoxLayout* layout, const QString& title, const QString& subtitle);
// Makes `page` a scrolling page with the standard margins; returns the layout to fill.
QVBoxLayout* makeScrollingPage(QWidget* page);
// Makes `page` a page that fills the window (its lists scroll themselves) with the standard
// margins and its header (addPageHeader); returns the layout to fill.
QVBoxLayout* makeFixedPage(QWidget* page, const QString& title, const QString& subtitle);
// A card of a page's list (models, downloads): a "Card" frame as tall as its content, tagged
// with `property` = `value` so that the page and its tests find it again.
QFrame* makeListCard(const char* property, const QVariant& value);
// Adds a scrolling list of cards to `layout` (stretching); returns the list's layout.
QVBoxLayout* addCardList(QBoxLayout* layout);
// Asks before a destructive action: `action` names the button that does it (Cancel is the
// default). The box's objectName is `name`, so tests can find and answer it.
bool confirmDestructive(QWidget* parent, const QString& name, const QString& title,
                        const QString& text, const QString& action);
// A file name made from a title: no / \ : * ? " < > | or control characters, trimmed,
// at most 80 characters; `fallback` when nothing is left.
QString safeFileName(const QString& title, const QString& fallback);
// Where a save dialog first proposes to write `title` + `extension` (".md"): the user's
// Documents folder (or home when there is none), under a safe file name.
QString proposedSavePath(const QString& title, const QString& extension);
// Empties a layout, nested layouts included. Widgets leave the widget tree at once and are
// deleted later (one of them may be running the slot that called this).
void clearLayout(QLayout* layout);

}  // namespace pagoda::ui

namespace pagoda::ui {
// Installs the translators for "en" or "zh_CN" (the app's and Qt's own, replacing the previous
// ones) and makes that language's QLocale the default (dates, numbers, sizes).
void applyLanguage(const QString& language);
// The app's style in a theme: "light", "dark", or "system" (dark when the desktop is).
void applyStyle(const QString& theme = QStringLiteral("light"));
bool systemPrefersDark();
bool isDarkTheme();  // the theme applyStyle() chose
// A style sheet (or "#rrggbb") of the light theme in the current one.
QString themed(const QString& style_sheet);
QColor themedColor(const char* light);
}  // namespace pagoda::ui
