// `meterlab conform --html FILE`: the report as one page to look at. Everything is inline (CSS and
// SVG, no script), so the page opens from a CI artifact with no network.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <stdexcept>

#include "report.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

constexpr int kWidth = 900;  // of every drawing, in px
constexpr int kLeft = 60;    // room for the axis labels
constexpr int kPlot = kWidth - kLeft - 10;

constexpr const char* kStyle = R"(body{font:14px sans-serif;margin:24px;color:#222}
h1 .verdict{padding:2px 10px;border-radius:4px;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
th{background:#f0f0f0}td.name{text-align:left}section.run{border-top:1px solid #ddd;margin-top:18px}
.verdict{font-weight:bold;padding:0 6px;border-radius:3px;color:#fff}
ul.failures{color:#c62828}svg{display:block;margin:6px 0;background:#fafafa}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px})";

// Outcome -> colour, and the legend in the same order.
constexpr std::pair<const char*, const char*> kOutcomes[] = {
    {"equal", "#43a047"},    {"wrong", "#fb8c00"},    {"missed", "#e53935"},
    {"rejected", "#9e9e9e"}, {"accepted", "#8e24aa"}, {"undetectable", "#90a4ae"}};

const char* colour(const std::string& outcome) {
  for (const auto& [name, c] : kOutcomes)
    if (outcome == name) return c;
  return "#000";
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

const char* verdict_class(bool passed) { return passed ? "pass" : "fail"; }

// x of a telegram's time, over the run's span.
struct TimeAxis {
  double t0 = 0, span = 1;
  explicit TimeAxis(const std::vector<json>& timeline) {
    if (timeline.empty()) return;
    t0 = timeline.front().value("t_ms", 0.0);
    span = std::max(1.0, timeline.back().value("t_ms", 0.0) - t0);
  }
  // The last mark ends inside the drawing.
  double x(const json& p) const {
    return kLeft + (p.value("t_ms", 0.0) - t0) / span * (kPlot - 12);
  }
};

// One mark a telegram, coloured by its outcome, and a tick above those a fault touched.
void timeline_svg(std::ostream& o, const std::vector<json>& timeline) {
  const TimeAxis axis(timeline);
  const double w = std::max(2.0, kPlot / std::max<double>(1, static_cast<double>(timeline.size())));
  o << "<svg class=\"timeline\" width=\"" << kWidth << "\" height=\"56\" viewBox=\"0 0 " << kWidth
    << " 56\" xmlns=\"http://www.w3.org/2000/svg\">\n<text x=\"4\" y=\"34\" font-size=\"11\">"
       "telegrams</text>\n";
  for (const json& p : timeline) {
    o << "<rect x=\"" << fmt(axis.x(p)) << "\" y=\"20\" width=\"" << fmt(w * 0.8)
      << "\" height=\"20\" fill=\"" << colour(p.value("outcome", "")) << "\"><title>seq "
      << p.value("seq", 0) << ": " << p.value("outcome", "") << "</title></rect>\n";
    if (p.value("faulted", false))
      o << "<rect x=\"" << fmt(axis.x(p)) << "\" y=\"8\" width=\"" << fmt(std::max(1.0, w * 0.8))
        << "\" height=\"8\" fill=\"#000\"/>\n";
  }
  o << "<text x=\"" << kLeft << "\" y=\"54\" font-size=\"11\">0 s</text><text x=\"" << kWidth - 60
    << "\" y=\"54\" font-size=\"11\">" << fmt(axis.span / 1000) << " s</text>\n</svg>\n";
}

// The truth (a line) and the decoded values (dots) of one reading over time.
void values_svg(std::ostream& o, const std::vector<json>& timeline, const char* obis) {
  double lo = INFINITY, hi = -INFINITY;
  for (const json& p : timeline) {
    for (const char* side : {"truth", "decoded"}) {
      const json& v = p.at(side);
      if (v.contains(obis))
        lo = std::min(lo, v[obis].get<double>()), hi = std::max(hi, v[obis].get<double>());
    }
  }
  if (lo > hi) return;  // this meter does not send it
  if (hi - lo < 1e-9) lo -= 1, hi += 1;
  const TimeAxis axis(timeline);
  auto y = [&](double v) { return 10 + (hi - v) / (hi - lo) * 100; };
  o << "<svg class=\"values\" width=\"" << kWidth << "\" height=\"130\" viewBox=\"0 0 " << kWidth
    << " 130\" xmlns=\"http://www.w3.org/2000/svg\">\n<text x=\"4\" y=\"124\" font-size=\"11\">"
    << obis << ": truth (line), decoded (dots)</text>\n<text x=\"4\" y=\"14\" font-size=\"10\">"
    << fmt(hi) << "</text><text x=\"4\" y=\"110\" font-size=\"10\">" << fmt(lo) << "</text>\n"
    << "<polyline fill=\"none\" stroke=\"#1e88e5\" stroke-width=\"1.5\" points=\"";
  for (const json& p : timeline)
    if (p.at("truth").contains(obis))
      o << fmt(axis.x(p)) << "," << fmt(y(p["truth"][obis].get<double>())) << " ";
  o << "\"/>\n";
  for (const json& p : timeline) {
    if (!p.at("decoded").contains(obis)) continue;
    o << "<circle cx=\"" << fmt(axis.x(p)) << "\" cy=\"" << fmt(y(p["decoded"][obis].get<double>()))
      << "\" r=\"2.5\" fill=\"" << colour(p.value("outcome", "")) << "\"/>\n";
  }
  o << "</svg>\n";
}

void counts_table(std::ostream& o, const ScenarioResult& r) {
  o << "<table class=\"counts\"><tr><th>sent</th><th>decoded</th><th>equal</th><th>wrong</th>"
       "<th>missed</th><th>phantom</th><th>accepted corrupt</th><th>faulted</th><th>rejections"
       "</th><th>seconds</th></tr>\n<tr><td>"
    << r.sent << "</td><td>" << r.decoded << "</td><td>" << r.equal << "</td><td>" << r.wrong
    << "</td><td>" << r.missed << "</td><td>" << r.phantom << "</td><td>" << r.accepted
    << "</td><td>" << r.faulted << "</td><td>" << r.rejections << "</td><td>" << fmt(r.seconds)
    << "</td></tr></table>\n";
}

void failures_list(std::ostream& o, const std::vector<std::string>& failures) {
  if (failures.empty()) return;
  o << "<ul class=\"failures\">\n";
  for (const std::string& f : failures) o << "<li>" << xml_escape(f) << "</li>\n";
  o << "</ul>\n";
}

void scenario_section(std::ostream& o, const ScenarioOutcome& s) {
  o << "<section class=\"run\" data-verdict=\"" << verdict_class(s.passed()) << "\">\n<h3>"
    << xml_escape(shown_name(s)) << " <span class=\"verdict " << verdict_class(s.passed()) << "\">"
    << (s.passed() ? "pass" : "FAIL") << "</span></h3>\n";
  if (!s.result) {
    failures_list(o, {s.error});
    o << "</section>\n";
    return;
  }
  const ScenarioResult& r = *s.result;
  counts_table(o, r);
  std::vector<std::string> shown = r.failures;
  for (std::size_t i = 0; i < std::min<std::size_t>(r.issues.size(), 10); ++i) {
    const FrameIssue& x = r.issues[i];
    shown.push_back(x.kind + " seq " + (x.seq ? std::to_string(*x.seq) : "-") + ": " + x.what);
  }
  failures_list(o, shown);
  timeline_svg(o, r.timeline);
  for (const char* obis : kTimelineObis) values_svg(o, r.timeline, obis);
  o << "</section>\n";
}

void vectors_table(std::ostream& o, const std::vector<VectorOutcome>& vs) {
  o << "<h2>Vectors</h2>\n<table class=\"vectors\"><tr><th>vector</th><th>category</th>"
       "<th>verdict</th><th>first failure</th></tr>\n";
  for (const VectorOutcome& v : vs) {
    const bool ok = v.failures.empty();
    o << "<tr><td class=\"name\">" << xml_escape(v.name) << "</td><td class=\"name\">"
      << xml_escape(v.category) << "</td><td><span class=\"verdict " << verdict_class(ok) << "\">"
      << (ok ? "pass" : "FAIL") << "</span></td><td class=\"name\">"
      << (ok ? "" : xml_escape(v.failures.front())) << "</td></tr>\n";
  }
  o << "</table>\n";
}

void legend(std::ostream& o) {
  o << "<p class=\"legend\">";
  for (const auto& [name, c] : kOutcomes)
    o << "<span style=\"background:" << c << "\"></span>" << name;
  o << "<span style=\"background:#000\"></span>fault injected</p>\n";
}

}  // namespace

void write_html(std::ostream& o, const Report& rep) {
  const bool ok = passed(rep);
  std::size_t failed_s = 0, failed_v = 0;
  for (const auto& s : rep.scenarios) failed_s += !s.passed();
  for (const auto& v : rep.vectors) failed_v += !v.failures.empty();
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>meterlab conform: "
    << (ok ? "pass" : "FAIL") << "</title><style>" << kStyle << "</style></head><body>\n"
    << "<h1>meterlab conform <span id=\"verdict\" class=\"verdict " << verdict_class(ok) << "\">"
    << (ok ? "pass" : "FAIL") << "</span></h1>\n<p>" << rep.scenarios.size() << " scenarios ("
    << failed_s << " failed), " << rep.vectors.size() << " vectors (" << failed_v
    << " failed)</p>\n";
  if (!rep.scenarios.empty()) {
    o << "<h2>Scenarios</h2>\n";
    legend(o);
  }
  for (const ScenarioOutcome& s : rep.scenarios) scenario_section(o, s);
  if (!rep.vectors.empty()) vectors_table(o, rep.vectors);
  o << "</body></html>\n";
}

void write_html(const std::string& file, const Report& rep) {
  write_report_file(file, write_html, rep);
}

}  // namespace meterlab::conformance
