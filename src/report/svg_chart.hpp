// Small inline-SVG charts for the HTML reports: line/scatter charts with
// bands and reference lines, grouped bar charts and a timeline. Output is an
// <svg> element for HTML5 (no xmlns, no external references); all text is
// escaped. Pure functions of their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gk::svg {

/// Escapes & < > " ' for HTML text and attribute values.
std::string escape(std::string_view text);

struct Point {
  double x = 0.0;
  double y = 0.0;
  double opacity = 1.0;  ///< per point (scatter only), e.g. a confidence
};

struct Series {
  std::string name;
  std::string color = "#1f77b4";
  std::vector<Point> points;
  bool line = true;  ///< else a scatter of dots
};

/// A horizontal band (e.g. a target range) behind the data.
struct Band {
  double y_low = 0.0;
  double y_high = 0.0;
  std::string label;
  std::string color = "#2ca02c";
};

struct RefLine {
  double y = 0.0;
  std::string label;
  std::string color = "#2ca02c";
};

struct ChartSettings {
  std::string id;  ///< element id (tests look charts up by it)
  std::string title;
  std::string x_label;
  std::string y_label;
  int width_px = 760;
  int height_px = 240;
  std::optional<double> y_min, y_max;  ///< else from the data
};

std::string line_chart(const ChartSettings& c, const std::vector<Series>& series,
                       const std::vector<Band>& bands = {}, const std::vector<RefLine>& lines = {});

struct BarSeries {
  std::string name;
  std::string color = "#1f77b4";
  std::vector<std::optional<double>> values;  ///< one per category; nullopt = no bar
};

std::string bar_chart(const ChartSettings& c, const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series, const std::vector<RefLine>& lines = {});

struct TimelineItem {
  std::string row;  ///< rows appear in first-seen order
  double x0 = 0.0, x1 = 0.0;
  std::string color = "#d62728";
  std::string tooltip;
};

std::string timeline(const ChartSettings& c, const std::vector<TimelineItem>& items, double x_min,
                     double x_max);

/// Reduces a series to at most max_points by averaging consecutive buckets
/// (x, y and opacity), so long sessions stay small and fast to draw.
std::vector<Point> decimate(const std::vector<Point>& points, size_t max_points);

}  // namespace gk::svg
