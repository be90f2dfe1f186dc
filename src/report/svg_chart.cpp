#include "svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace gk::svg {
namespace {

constexpr double kLeft = 56.0, kRight = 16.0, kTop = 28.0, kBottom = 40.0;

struct Frame {
  double w = 0, h = 0;  ///< whole svg
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (w - kLeft - kRight); }
  double py(double y) const { return h - kBottom - (y - y0) / (y1 - y0) * (h - kTop - kBottom); }
};

/// A "nice" step for about n ticks over span.
double nice_step(double span, int n) {
  const double raw = span / std::max(n, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10.0 * mag;
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

std::string tick_label(double v, double step) {
  return step >= 1.0 ? fmt::format("{:.0f}", v) : fmt::format("{:.1f}", v);
}

void fix_range(double& lo, double& hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0.0, hi = 1.0;
  if (hi - lo < 1e-9) {
    lo -= 1.0;
    hi += 1.0;
  }
}

std::string open_svg(const ChartSettings& c, const std::string& kind) {
  std::string s = fmt::format(
      "<svg class=\"chart {}\" id=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-label=\"{}\">\n",
      kind, escape(c.id), c.width_px, c.height_px, c.width_px, c.height_px, escape(c.title));
  s += fmt::format("<title>{}</title>\n", escape(c.title));
  s += fmt::format("<text x=\"{}\" y=\"16\" class=\"ct\">{}</text>\n", kLeft, escape(c.title));
  return s;
}

std::string axes(const Frame& f, const ChartSettings& c, bool x_ticks) {
  std::string s;
  const double ystep = nice_step(f.y1 - f.y0, 5);
  for (double y = std::ceil(f.y0 / ystep) * ystep; y <= f.y1 + 1e-9; y += ystep) {
    s += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"grid\"/><text x=\"{}\" y=\"{}\" "
        "class=\"tl\" text-anchor=\"end\">{}</text>\n",
        num(kLeft), num(f.w - kRight), num(f.py(y)), num(f.py(y)), num(kLeft - 4), num(f.py(y) + 4),
        tick_label(y, ystep));
  }
  if (x_ticks) {
    const double xstep = nice_step(f.x1 - f.x0, 8);
    for (double x = std::ceil(f.x0 / xstep) * xstep; x <= f.x1 + 1e-9; x += xstep) {
      s += fmt::format(
          "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"axis\"/><text x=\"{}\" y=\"{}\" "
          "class=\"tl\" text-anchor=\"middle\">{}</text>\n",
          num(f.px(x)), num(f.px(x)), num(f.h - kBottom), num(f.h - kBottom + 4), num(f.px(x)),
          num(f.h - kBottom + 16), tick_label(x, xstep));
    }
  }
  s += fmt::format(
      "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"axis\"/>\n<line x1=\"{}\" x2=\"{}\" "
      "y1=\"{}\" y2=\"{}\" class=\"axis\"/>\n",
      num(kLeft), num(f.w - kRight), num(f.h - kBottom), num(f.h - kBottom), num(kLeft), num(kLeft),
      num(kTop), num(f.h - kBottom));
  s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"al\" text-anchor=\"middle\">{}</text>\n",
                   num((kLeft + f.w - kRight) / 2), num(f.h - 6), escape(c.x_label));
  s += fmt::format(
      "<text x=\"12\" y=\"{}\" class=\"al\" text-anchor=\"middle\" transform=\"rotate(-90 12 "
      "{})\">{}</text>\n",
      num((kTop + f.h - kBottom) / 2), num((kTop + f.h - kBottom) / 2), escape(c.y_label));
  return s;
}

std::string legend(const Frame& f, const std::vector<std::pair<std::string, std::string>>& items) {
  std::string s;
  double x = f.w - kRight;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    x -= 14.0 + 7.0 * static_cast<double>(it->first.size());
    s += fmt::format(
        "<rect x=\"{}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"17\" "
        "class=\"tl\">{}</text>\n",
        num(x), escape(it->second), num(x + 13), escape(it->first));
    x -= 8.0;
  }
  return s;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<Point> decimate(const std::vector<Point>& points, size_t max_points) {
  if (points.size() <= max_points || max_points == 0) return points;
  std::vector<Point> out;
  out.reserve(max_points);
  const size_t n = points.size();
  for (size_t b = 0; b < max_points; ++b) {
    const size_t i0 = b * n / max_points, i1 = (b + 1) * n / max_points;
    if (i1 <= i0) continue;
    Point p{0.0, 0.0, 0.0};
    for (size_t i = i0; i < i1; ++i) {
      p.x += points[i].x;
      p.y += points[i].y;
      p.opacity += points[i].opacity;
    }
    const auto k = static_cast<double>(i1 - i0);
    out.push_back({p.x / k, p.y / k, p.opacity / k});
  }
  return out;
}

std::string line_chart(const ChartSettings& c, const std::vector<Series>& series,
                       const std::vector<Band>& bands, const std::vector<RefLine>& lines) {
  Frame f;
  f.w = c.width_px;
  f.h = c.height_px;
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const Series& s : series) {
    for (const Point& p : s.points) {
      xlo = std::min(xlo, p.x), xhi = std::max(xhi, p.x);
      ylo = std::min(ylo, p.y), yhi = std::max(yhi, p.y);
    }
  }
  for (const Band& b : bands) ylo = std::min(ylo, b.y_low), yhi = std::max(yhi, b.y_high);
  for (const RefLine& l : lines) ylo = std::min(ylo, l.y), yhi = std::max(yhi, l.y);
  fix_range(xlo, xhi);
  fix_range(ylo, yhi);
  const double pad = 0.05 * (yhi - ylo);
  f.x0 = xlo, f.x1 = xhi;
  f.y0 = c.y_min.value_or(ylo - pad), f.y1 = c.y_max.value_or(yhi + pad);
  std::string s = open_svg(c, "line");
  for (const Band& b : bands) {
    s += fmt::format(
        "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
        "fill-opacity=\"0.15\"><title>{}</title></rect>\n",
        num(kLeft), num(f.py(b.y_high)), num(f.w - kLeft - kRight),
        num(std::max(0.0, f.py(b.y_low) - f.py(b.y_high))), escape(b.color), escape(b.label));
  }
  s += axes(f, c, true);
  for (const RefLine& l : lines) {
    s += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-dasharray=\"6 4\"/>"
        "<text x=\"{}\" y=\"{}\" class=\"tl\" text-anchor=\"end\" fill=\"{}\">{}</text>\n",
        num(kLeft), num(f.w - kRight), num(f.py(l.y)), num(f.py(l.y)), escape(l.color),
        num(f.w - kRight - 2), num(f.py(l.y) - 3), escape(l.color), escape(l.label));
  }
  std::vector<std::pair<std::string, std::string>> leg;
  for (const Series& se : series) {
    if (se.points.empty()) continue;
    leg.emplace_back(se.name, se.color);
    if (se.line) {
      std::string pts;
      pts.reserve(se.points.size() * 14);
      for (const Point& p : se.points) {
        fmt::format_to(std::back_inserter(pts), "{:.1f},{:.1f} ", f.px(p.x), f.py(p.y));
      }
      s += fmt::format(
          "<polyline class=\"series\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" "
          "points=\"{}\"><title>{}</title></polyline>\n",
          escape(se.color), pts, escape(se.name));
    } else {
      s += fmt::format("<g class=\"series\" fill=\"{}\"><title>{}</title>", escape(se.color),
                       escape(se.name));
      for (const Point& p : se.points) {
        fmt::format_to(std::back_inserter(s),
                       "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2\" fill-opacity=\"{:.2f}\"/>",
                       f.px(p.x), f.py(p.y), std::clamp(p.opacity, 0.1, 1.0));
      }
      s += "</g>\n";
    }
  }
  s += legend(f, leg);
  s += "</svg>\n";
  return s;
}

std::string bar_chart(const ChartSettings& c, const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series, const std::vector<RefLine>& lines) {
  Frame f;
  f.w = c.width_px;
  f.h = c.height_px;
  double ylo = 0.0, yhi = -INFINITY;
  for (const BarSeries& b : series) {
    for (const auto& v : b.values) {
      if (v) ylo = std::min(ylo, *v), yhi = std::max(yhi, *v);
    }
  }
  for (const RefLine& l : lines) yhi = std::max(yhi, l.y);
  if (!std::isfinite(yhi) || yhi <= ylo) yhi = ylo + 1.0;
  f.x0 = 0.0, f.x1 = static_cast<double>(std::max<size_t>(categories.size(), 1));
  f.y0 = c.y_min.value_or(ylo), f.y1 = c.y_max.value_or(yhi * 1.1);
  std::string s = open_svg(c, "bar");
  s += axes(f, c, false);
  const double slot = (f.px(1.0) - f.px(0.0));
  const double bw = slot * 0.8 / static_cast<double>(std::max<size_t>(series.size(), 1));
  // Label every k-th category so the labels do not overlap.
  const size_t every = std::max<size_t>(1, static_cast<size_t>(std::ceil(60.0 / slot)));
  for (size_t i = 0; i < categories.size(); ++i) {
    if (i % every != 0) continue;
    s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tl\" text-anchor=\"middle\">{}</text>\n",
                     num(f.px(static_cast<double>(i) + 0.5)), num(f.h - kBottom + 14),
                     escape(categories[i]));
  }
  std::vector<std::pair<std::string, std::string>> leg;
  for (size_t k = 0; k < series.size(); ++k) {
    const BarSeries& b = series[k];
    leg.emplace_back(b.name, b.color);
    s += fmt::format("<g class=\"series\" fill=\"{}\">", escape(b.color));
    for (size_t i = 0; i < b.values.size() && i < categories.size(); ++i) {
      if (!b.values[i]) continue;
      const double v = *b.values[i];
      const double x = f.px(static_cast<double>(i)) + slot * 0.1 + bw * static_cast<double>(k);
      // Bars grow from 0, or from the axis when the range does not include 0.
      const double base = std::clamp(0.0, f.y0, f.y1);
      const double vc = std::clamp(v, f.y0, f.y1);
      const double ytop = f.py(std::max(vc, base)), ybot = f.py(std::min(vc, base));
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {}: {:.1f}</title></rect>",
          num(x), num(ytop), num(std::max(bw - 1.0, 1.0)), num(std::max(ybot - ytop, 0.5)),
          escape(categories[i]), escape(b.name), v);
    }
    s += "</g>\n";
  }
  for (const RefLine& l : lines) {
    s += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-dasharray=\"6 4\"/>\n",
        num(kLeft), num(f.w - kRight), num(f.py(l.y)), num(f.py(l.y)), escape(l.color));
  }
  s += legend(f, leg);
  s += "</svg>\n";
  return s;
}

std::string timeline(const ChartSettings& c, const std::vector<TimelineItem>& items, double x_min,
                     double x_max) {
  std::vector<std::string> rows;
  std::map<std::string, size_t> row_index;
  for (const TimelineItem& it : items) {
    if (row_index.emplace(it.row, rows.size()).second) rows.push_back(it.row);
  }
  ChartSettings cs = c;
  const double row_h = 22.0;
  cs.height_px = static_cast<int>(kTop + kBottom +
                                  row_h * static_cast<double>(std::max<size_t>(rows.size(), 1)));
  Frame f;
  f.w = cs.width_px;
  f.h = cs.height_px;
  f.x0 = x_min, f.x1 = x_max;
  fix_range(f.x0, f.x1);
  f.y0 = 0.0, f.y1 = static_cast<double>(std::max<size_t>(rows.size(), 1));
  const double left = 150.0;  // room for row names
  auto px = [&](double x) { return left + (x - f.x0) / (f.x1 - f.x0) * (f.w - left - kRight); };
  std::string s = open_svg(cs, "timeline");
  const double xstep = nice_step(f.x1 - f.x0, 8);
  for (double x = std::ceil(f.x0 / xstep) * xstep; x <= f.x1 + 1e-9; x += xstep) {
    s += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"grid\"/><text x=\"{}\" y=\"{}\" "
        "class=\"tl\" text-anchor=\"middle\">{}</text>\n",
        num(px(x)), num(px(x)), num(kTop), num(f.h - kBottom), num(px(x)), num(f.h - kBottom + 14),
        tick_label(x, xstep));
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"al\" text-anchor=\"middle\">{}</text>\n",
                   num((left + f.w - kRight) / 2), num(f.h - 6), escape(cs.x_label));
  for (size_t r = 0; r < rows.size(); ++r) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tl\" text-anchor=\"end\">{}</text>\n",
                     num(left - 6), num(kTop + row_h * (static_cast<double>(r) + 0.5) + 4),
                     escape(rows[r]));
  }
  if (items.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tl\">none</text>\n", num(left + 4),
                     num(kTop + 15));
  }
  for (const TimelineItem& it : items) {
    const double y = kTop + row_h * static_cast<double>(row_index[it.row]) + 3.0;
    const double x0 = px(std::max(it.x0, f.x0)), x1 = px(std::min(it.x1, f.x1));
    s += fmt::format(
        "<rect class=\"flag\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" rx=\"3\">"
        "<title>{}</title></rect>\n",
        num(x0), num(y), num(std::max(x1 - x0, 3.0)), num(row_h - 6.0), escape(it.color),
        escape(it.tooltip));
  }
  s += "</svg>\n";
  return s;
}

}  // namespace gk::svg
