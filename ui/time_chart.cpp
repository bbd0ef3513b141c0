#include "ui/time_chart.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QGraphicsLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <cmath>

namespace pagoda::ui {
namespace {

// 1, 2, 5 x 10^n at or above v: axis ends that read well.
double niceCeiling(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

constexpr int kPointsPerWindow = 360;

double bucketMs(int minutes) {
  return minutes * 60.0 * 1000 / kPointsPerWindow;
}

}  // namespace

void TimeChart::addThinned(QList<QPointF>& points, int& merged, const QPointF& p, int minutes) {
  const qsizetype n = points.size();
  if (n >= 2 && p.x() - points[n - 2].x() < bucketMs(minutes)) {
    const double y = (points.last().y() * merged + p.y()) / (merged + 1);
    points.last() = QPointF(p.x(), y);
    ++merged;
  } else {
    points.append(p);
    merged = 1;
  }
}

TimeChart::TimeChart(double fixed_max, QWidget* parent)
    : QChartView(parent), fixed_max_(fixed_max) {
  auto* chart = new QChart;
  chart->setBackgroundVisible(false);
  chart->setMargins(QMargins(0, 0, 0, 0));
  chart->layout()->setContentsMargins(0, 0, 0, 0);
  chart->setAnimationOptions(QChart::NoAnimation);  // appends must not replay an animation
  QFont small = font();
  small.setPointSizeF(small.pointSizeF() * 0.8);
  chart->legend()->setAlignment(Qt::AlignTop);
  chart->legend()->setFont(small);
  chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
  x_ = new QDateTimeAxis;
  x_->setLabelsFont(small);
  x_->setTickCount(4);
  x_->setGridLineColor(QColor("#eef2f6"));
  x_->setLabelsColor(QColor("#64748b"));
  y_ = new QValueAxis;
  y_->setLabelsFont(small);
  y_->setTickCount(3);
  y_->setLabelFormat(QStringLiteral("%g"));
  y_->setGridLineColor(QColor("#eef2f6"));
  y_->setLabelsColor(QColor("#64748b"));
  y_->setRange(0, fixed_max_ > 0 ? fixed_max_ : 1);
  chart->addAxis(x_, Qt::AlignBottom);
  chart->addAxis(y_, Qt::AlignLeft);
  setChart(chart);
  setRenderHint(QPainter::Antialiasing);
  setFrameShape(QFrame::NoFrame);
  setMinimumHeight(120);
  setStyleSheet(QStringLiteral("background: transparent;"));
}

int TimeChart::addSeries(const QString& name, const QColor& color, bool dashed, bool in_legend) {
  auto* s = new QLineSeries;
  s->setName(name);
  QPen pen(color, 2);
  if (dashed) pen.setStyle(Qt::DashLine);
  s->setPen(pen);
  chart()->addSeries(s);
  s->attachAxis(x_);
  s->attachAxis(y_);
  if (!in_legend)
    for (QLegendMarker* m : chart()->legend()->markers(s)) m->setVisible(false);
  series_ << s;
  merged_ << 1;
  return series_.size() - 1;
}

void TimeChart::append(int index, qint64 time_ms, double value) {
  if (!std::isfinite(value)) return;
  QLineSeries* s = series_[index];
  const int n = s->count();
  const QPointF p(static_cast<qreal>(time_ms), value);
  int& merged = merged_[index];
  if (n >= 2 && p.x() - s->at(n - 2).x() < bucketMs(minutes_)) {
    s->replace(n - 1, QPointF(p.x(), (s->at(n - 1).y() * merged + value) / (merged + 1)));
    ++merged;
  } else {
    s->append(p);
    merged = 1;
  }
}

void TimeChart::appendMany(int index, const QList<QPointF>& points) {
  if (points.size() == 1) {
    append(index, qint64(points[0].x()), points[0].y());
    return;
  }
  QList<QPointF> all = series_[index]->points();
  for (const QPointF& p : points)
    if (std::isfinite(p.y())) addThinned(all, merged_[index], p, minutes_);
  series_[index]->replace(all);
}

void TimeChart::setPoints(int index, const QList<QPointF>& points, int merged_in_last) {
  series_[index]->replace(points);
  merged_[index] = merged_in_last;
}

void TimeChart::setWindow(qint64 end_ms, int minutes) {
  minutes_ = minutes;
  const qint64 start_ms = end_ms - qint64(minutes) * 60 * 1000;
  for (QLineSeries* s : std::as_const(series_)) {
    int drop = 0;
    // Keep one point left of the window so that the line enters it from the edge.
    while (drop + 1 < s->count() && s->at(drop + 1).x() < start_ms) ++drop;
    if (drop) s->removePoints(0, drop);
  }
  x_->setFormat(minutes >= 15 ? QStringLiteral("HH:mm") : QStringLiteral("HH:mm:ss"));
  x_->setRange(QDateTime::fromMSecsSinceEpoch(start_ms), QDateTime::fromMSecsSinceEpoch(end_ms));
  fitY();
}

double TimeChart::yMax() const {
  return y_->max();
}

void TimeChart::fitY() {
  if (fixed_max_ > 0) return;
  double top = 0;
  for (QLineSeries* s : std::as_const(series_))
    for (int i = 0; i < s->count(); ++i) top = std::max(top, s->at(i).y());
  const double wanted = niceCeiling(top * 1.1);
  if (wanted != y_->max()) y_->setRange(0, wanted);
}

}  // namespace pagoda::ui
