#pragma once
// Small shared pieces of the widgets: formatting and the common building blocks of a page.
#include <QIcon>
#include <QLabel>
#include <QString>
#include <QVBoxLayout>

class QBoxLayout;
class QLayout;
class QToolButton;
class QWidget;

namespace pagoda::ui {

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
// Adds a scrolling list of cards to `layout` (stretching); returns the list's layout.
QVBoxLayout* addCardList(QBoxLayout* layout);
// Empties a layout, nested layouts included. Widgets leave the widget tree at once and are
// deleted later (one of them may be running the slot that called this).
void clearLayout(QLayout* layout);

}  // namespace pagoda::ui

namespace pagoda::ui {
// Installs the translator for "en" or "zh_CN" (replacing the previous one) and the app's style.
void applyLanguage(const QString& language);
void applyStyle();
}  // namespace pagoda::ui
