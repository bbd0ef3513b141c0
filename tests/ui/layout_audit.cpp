#include "tests/ui/layout_audit.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractScrollArea>
#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QStyle>
#include <QStyleOptionButton>
#include <QTabBar>
#include <QTextDocument>
#include <QTextEdit>
#include <QPlainTextEdit>
#include <QToolButton>

namespace pagoda::test {
namespace {

constexpr int kSlack = 1;  // rounding of fractional font metrics

QString describe(const QWidget* w) {
  QString name = QString::fromLatin1(w->metaObject()->className());
  if (!w->objectName().isEmpty()) name += '#' + w->objectName();
  return name;
}

QString shownText(const QWidget* w) {
  if (auto* label = qobject_cast<const QLabel*>(w)) return label->text();
  if (auto* button = qobject_cast<const QAbstractButton*>(w)) return button->text();
  return {};
}

QString rectText(const QRect& r) {
  return QStringLiteral("(%1,%2 %3x%4)").arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height());
}

// Qt's composite widgets lay out their own insides: audited as one piece.
bool isLeaf(const QWidget* w) {
  return qobject_cast<const QAbstractSpinBox*>(w) || qobject_cast<const QComboBox*>(w) ||
         qobject_cast<const QAbstractItemView*>(w) || qobject_cast<const QTextEdit*>(w) ||
         qobject_cast<const QPlainTextEdit*>(w) || qobject_cast<const QTabBar*>(w) ||
         qobject_cast<const QAbstractSlider*>(w) || qobject_cast<const QLineEdit*>(w) ||
         qobject_cast<const QAbstractButton*>(w) || qobject_cast<const QLabel*>(w) ||
         qobject_cast<const QProgressBar*>(w);
}

// The scrolled content of a scroll area: larger than its parent (the viewport) on purpose.
bool isScrolledContent(const QWidget* w) {
  const QWidget* parent = w->parentWidget();
  if (!parent) return false;
  auto* area = qobject_cast<const QAbstractScrollArea*>(parent->parentWidget());
  return area && area->viewport() == parent;
}

// Ends in "…" with the whole text in the tooltip: the widget elides on purpose.
bool elides(const QWidget* w, const QString& text) {
  return text.contains(QChar(0x2026)) && !w->toolTip().isEmpty();
}

void checkLabel(const QLabel* label, const QWidget* root, QStringList& out) {
  const QString text = label->text();
  if (text.isEmpty() || !label->pixmap().isNull() || elides(label, text)) return;
  const QRect contents = label->contentsRect();
  if (label->wordWrap()) {
    // Word wrap: the height the text needs at this width must fit (a cut last line).
    const int need = label->heightForWidth(label->width());
    if (need > label->height() + kSlack)
      out << QStringLiteral("clipped text: %1 needs height %2 at width %3, has %4")
                 .arg(widgetPath(label, root))
                 .arg(need)
                 .arg(label->width())
                 .arg(label->height());
    return;
  }
  const int need = label->minimumSizeHint().width();
  if (need > label->width() + kSlack || contents.width() <= 0)
    out << QStringLiteral("clipped text: %1 needs width %2, has %3")
               .arg(widgetPath(label, root))
               .arg(need)
               .arg(label->width());
}

void checkButton(const QAbstractButton* button, const QWidget* root, QStringList& out) {
  QString text = button->text();
  if (text.isEmpty() || elides(button, text)) return;
  text.remove(QLatin1Char('&'));
  const QFontMetrics metrics = button->fontMetrics();
  int need = metrics.horizontalAdvance(text);
  int room = button->width();
  if (auto* push = qobject_cast<const QPushButton*>(button)) {
    QStyleOptionButton option;
    option.initFrom(push);
    option.text = push->text();
    option.icon = push->icon();
    option.iconSize = push->iconSize();
    room = push->style()->subElementRect(QStyle::SE_PushButtonContents, &option, push).width();
    if (!push->icon().isNull()) need += push->iconSize().width() + 4;
  } else if (qobject_cast<const QCheckBox*>(button) || qobject_cast<const QRadioButton*>(button)) {
    QStyleOptionButton option;
    option.initFrom(button);
    option.text = button->text();
    const bool check = qobject_cast<const QCheckBox*>(button) != nullptr;
    room = button->style()
               ->subElementRect(check ? QStyle::SE_CheckBoxContents : QStyle::SE_RadioButtonContents,
                                &option, button)
               .width();
  } else {
    need = button->minimumSizeHint().width();
  }
  if (need > room + kSlack)
    out << QStringLiteral("clipped text: %1 needs width %2, has %3")
               .arg(widgetPath(button, root))
               .arg(need)
               .arg(room);
}

// Widgets a layout places (through nested layouts), visible ones only.
void layoutWidgets(const QLayout* layout, QList<const QWidget*>& out) {
  for (int i = 0; i < layout->count(); ++i) {
    QLayoutItem* item = layout->itemAt(i);
    if (QWidget* w = item->widget()) {
      if (w->isVisible()) out << w;
    } else if (QLayout* child = item->layout()) {
      layoutWidgets(child, out);
    }
  }
}

void checkOverlaps(const QWidget* w, const QWidget* root, QStringList& out) {
  const QLayout* layout = w->layout();
  if (!layout || layout->inherits("QStackedLayout")) return;
  QList<const QWidget*> placed;
  layoutWidgets(layout, placed);
  for (int i = 0; i < placed.size(); ++i)
    for (int j = i + 1; j < placed.size(); ++j) {
      const QRect overlap = placed[i]->geometry() & placed[j]->geometry();
      if (overlap.width() > kSlack && overlap.height() > kSlack)
        out << QStringLiteral("overlap: %1 %2 and %3 %4")
                   .arg(widgetPath(placed[i], root), rectText(placed[i]->geometry()),
                        describe(placed[j]), rectText(placed[j]->geometry()));
    }
}

void audit(const QWidget* w, const QWidget* root, QStringList& out) {
  if (w != root && !isScrolledContent(w)) {
    const QRect inside = w->parentWidget()->rect().adjusted(-kSlack, -kSlack, kSlack, kSlack);
    if (!inside.contains(w->geometry()))
      out << QStringLiteral("outside its parent: %1 %2 in %3 %4")
                 .arg(widgetPath(w, root), rectText(w->geometry()), describe(w->parentWidget()),
                      rectText(w->parentWidget()->rect()));
  }
  if (auto* label = qobject_cast<const QLabel*>(w)) checkLabel(label, root, out);
  if (auto* button = qobject_cast<const QAbstractButton*>(w)) checkButton(button, root, out);
  if (auto* area = qobject_cast<const QScrollArea*>(w)) {
    if (area->horizontalScrollBar()->isVisible() && !area->property("scrollsSideways").toBool())
      out << QStringLiteral("scrolls sideways: %1 content width %2 in a view of %3")
                 .arg(widgetPath(area, root))
                 .arg(area->widget() ? area->widget()->width() : 0)
                 .arg(area->viewport()->width());
  }
  if (auto* view = qobject_cast<const QAbstractItemView*>(w)) {
    // The widgets a view shows in its rows (setItemWidget / setIndexWidget) are laid out too.
    for (const QObject* child : view->viewport()->children()) {
      auto* cw = qobject_cast<const QWidget*>(child);
      if (cw && cw->isVisible() && !cw->isWindow()) audit(cw, root, out);
    }
    return;
  }
  if (isLeaf(w)) return;
  checkOverlaps(w, root, out);
  for (const QObject* child : w->children()) {
    auto* cw = qobject_cast<const QWidget*>(child);
    if (cw && cw->isVisible() && !cw->isWindow()) audit(cw, root, out);
  }
}

}  // namespace

QString widgetPath(const QWidget* widget, const QWidget* root) {
  QStringList parts;
  for (const QWidget* w = widget; w; w = w->parentWidget()) {
    parts.prepend(describe(w));
    if (w == root) break;
  }
  QString path = parts.join('/');
  const QString text = shownText(widget);
  if (!text.isEmpty()) path += QStringLiteral(" '%1'").arg(text.left(60));
  return path;
}

QStringList auditLayout(const QWidget* root) {
  QStringList out;
  if (root && root->isVisible()) audit(root, root, out);
  return out;
}

}  // namespace pagoda::test
