#pragma once
// One reusable layout check for the GUI tests: walks every visible widget under a root (a page
// of the main window at some window size) and reports what a user would see as broken:
//  - a widget that reaches outside its parent's rect (cut off by the parent),
//  - two visible widgets of one layout that overlap,
//  - a label or button whose text needs more width than it has (clipped), unless it elides
//    (shows "…" and the whole text in its tooltip) or wraps,
//  - a word-wrapped label shorter than its text's height at its width (last lines cut),
//  - a scroll area that scrolls sideways (its content is wider than the view).
// GUI thread only; the widgets must be laid out (shown, events processed).
#include <QString>
#include <QStringList>

class QWidget;

namespace pagoda::test {

// One line per problem: "<kind>: <widget path> <details>"; empty when the layout is clean.
QStringList auditLayout(const QWidget* root);

// "QMainWindow/QStackedWidget/ModelsPage/QFrame#Card/QLabel#CardTitle 'demo-chat'".
QString widgetPath(const QWidget* widget, const QWidget* root = nullptr);

}  // namespace pagoda::test
