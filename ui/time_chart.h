#pragma once
// A live time-series chart for the Dashboard: a few named lines over wall-clock time. Points are
// appended and the oldest dropped as the window slides; the series are only rebuilt when the
// window length changes (setPoints). The y axis grows to fit the visible values (or stays at a
// fixed range, e.g. 0-100 %). GUI thread only.
#include <QChartView>
#include <QList>
#include <QPointF>
#include <QString>

class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace pagoda::ui {

class TimeChart : public QChartView {
  Q_OBJECT
 public:
  // fixed_max > 0 fixes the y axis at [0, fixed_max]; otherwise it fits the data. The unit goes
  // into the card's title (rotated axis titles read badly in Chinese).
  explicit TimeChart(double fixed_max = 0, QWidget* parent = nullptr);

  // Returns the new series' index.
  int addSeries(const QString& name, const QColor& color, bool dashed = false,
                bool in_legend = true);
  int seriesCount() const { return series_.size(); }
  QLineSeries* series(int index) const { return series_[index]; }
  // A non-finite value adds no point. A point closer than the window's bucket (window / 360) to
  // the one before the last is averaged into the last one (which moves to its time), so a
  // 15-minute window stays at ~360 points a line and a rate's area is kept.
  void append(int index, qint64 time_ms, double value);
  // Several points at once (a burst of samples, or catching up after the page was hidden): one
  // geometry update instead of one per point.
  void appendMany(int index, const QList<QPointF>& points);
  // The same thinning for a list of points being built; `merged` counts the samples in the last.
  static void addThinned(QList<QPointF>& points, int& merged, const QPointF& p, int minutes);
  // Replaces a series' points (window changes only).
  void setPoints(int index, const QList<QPointF>& points, int merged_in_last = 1);
  // Slides the window so that it ends at end_ms and drops points that fell out of it.
  void setWindow(qint64 end_ms, int minutes);
  double yMax() const;

 private:
  void fitY();

  QList<QLineSeries*> series_;
  QList<int> merged_;  // samples averaged into each series' last point
  QDateTimeAxis* x_ = nullptr;
  QValueAxis* y_ = nullptr;
  double fixed_max_ = 0;
  int minutes_ = 5;
};

}  // namespace pagoda::ui
