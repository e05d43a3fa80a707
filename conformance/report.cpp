#include "report.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <ostream>
#include <stdexcept>

namespace meterlab::conformance {

using nlohmann::json;

namespace {

void print_vectors(const std::vector<VectorOutcome>& vs) {
  std::map<std::string, std::pair<int, int>> groups;  // category -> passed, failed
  for (const auto& v : vs)
    (v.failures.empty() ? groups[v.category].first : groups[v.category].second)++;
  std::printf("%-34s %6s %6s %6s\n", "vectors", "total", "pass", "fail");
  for (const auto& [cat, n] : groups) {
    std::printf("%-34s %6d %6d %6d  %s\n", cat.c_str(), n.first + n.second, n.first, n.second,
                n.second == 0 ? "pass" : "FAIL");
    for (const auto& v : vs) {
      if (v.category != cat || v.failures.empty()) continue;
      std::printf("    %s\n", v.name.c_str());
      for (const auto& f : v.failures) std::printf("        %s\n", f.c_str());
    }
  }
}

void print_issues(const ScenarioResult& r) {
  for (const auto& f : r.failures) std::printf("    %s\n", f.c_str());
  std::size_t shown = std::min<std::size_t>(r.issues.size(), 20);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& x = r.issues[i];
    std::printf("    %s seq %s offset %llu %s: %s\n", x.kind.c_str(),
                x.seq ? std::to_string(*x.seq).c_str() : "-",
                static_cast<unsigned long long>(x.offset), x.list.c_str(), x.what.c_str());
  }
  if (r.issues_total > shown)
    std::printf("    ... %llu failing frames in all\n",
                static_cast<unsigned long long>(r.issues_total));
}

void print_scenarios(const std::vector<ScenarioOutcome>& ss) {
  std::printf("\n%-34s %7s %7s %7s %5s %5s %5s %5s %6s %7s %6s\n", "scenario", "sent", "decoded",
              "equal", "wrong", "miss", "phant", "accpt", "faultd", "reject", "secs");
  for (const auto& s : ss) {
    if (!s.result) {
      std::printf("%-34s ERROR %s\n", shown_name(s).c_str(), s.error.c_str());
      continue;
    }
    const auto& r = *s.result;
    auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf("%-34s %7llu %7llu %7llu %5llu %5llu %5llu %5llu %6llu %7llu %6.2f  %s\n",
                shown_name(s).c_str(), u(r.sent), u(r.decoded), u(r.equal), u(r.wrong), u(r.missed),
                u(r.phantom), u(r.accepted), u(r.faulted), u(r.rejections), r.seconds,
                r.passed() ? "pass" : "FAIL");
    if (r.details.contains("never_printed") && !r.details["never_printed"].empty()) {
      std::string list;
      for (const json& o : r.details["never_printed"]) list += " " + o.get<std::string>();
      std::printf("    partial: never printed%s\n", list.c_str());
    }
    if (!r.passed()) print_issues(r);
  }
}

json issue_json(const FrameIssue& x) {
  return {{"kind", x.kind},
          {"seq", x.seq ? json(*x.seq) : json(nullptr)},
          {"offset", x.offset},
          {"list", x.list},
          {"what", x.what}};
}

json scenario_json(const ScenarioOutcome& s) {
  json j = {{"name", s.name}, {"file", s.path}, {"mode", s.mode}, {"passed", s.passed()}};
  if (!s.result) {
    j["error"] = s.error;
    return j;
  }
  const auto& r = *s.result;
  j.update(
      {{"sent", r.sent},
       {"decoded", r.decoded},
       {"equal", r.equal},
       {"wrong", r.wrong},
       {"missed", r.missed},
       {"phantom", r.phantom},
       {"accepted", r.accepted},
       {"undetectable", r.undetectable},
       {"expect",
        {{"decode", r.expect_decode}, {"reject", r.expect_reject}, {"either", r.expect_either}}},
       {"faulted",
        {{"telegrams", r.faulted},
         {"rejected", r.faulted_rejected},
         {"equal", r.faulted_equal},
         {"wrong", r.faulted_wrong}}},
       {"rejections", r.rejections},
       {"rejected_by_layer", r.rejected_by_layer},
       {"rejected_by_code", r.rejected_by_code},
       {"bytes", r.bytes},
       {"seconds", r.seconds},
       {"failures", r.failures},
       {"failing_frames_total", r.issues_total}});
  if (!r.details.is_null()) j["details"] = r.details;
  j["failing_frames"] = json::array();
  for (const auto& x : r.issues) j["failing_frames"].push_back(issue_json(x));
  return j;
}

void junit_case(std::ostream& o, const std::string& cls, const std::string& name, double secs,
                const std::vector<std::string>& failures) {
  o << "    <testcase classname=\"" << xml_escape(cls) << "\" name=\"" << xml_escape(name)
    << "\" time=\"" << secs << "\"";
  if (failures.empty()) {
    o << "/>\n";
    return;
  }
  std::string text;
  for (const auto& f : failures) text += f + "\n";
  o << ">\n      <failure message=\"" << xml_escape(failures.front()) << "\">" << xml_escape(text)
    << "</failure>\n    </testcase>\n";
}

// A scenario's failure text: the criteria not met, then its failing frames.
std::vector<std::string> scenario_failures(const ScenarioOutcome& s) {
  if (!s.result) return {"cannot run: " + s.error};
  std::vector<std::string> out = s.result->failures;
  if (out.empty()) return out;
  for (const auto& x : s.result->issues)
    out.push_back(x.kind + " seq " + (x.seq ? std::to_string(*x.seq) : "-") + " offset " +
                  std::to_string(x.offset) + " " + x.list + ": " + x.what);
  return out;
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
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
      case '\n':
        out += "&#10;";
        break;
      default:
        // XML 1.0 allows no other control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
          out += '?';
        else
          out += c;
    }
  }
  return out;
}

std::string shown_name(const ScenarioOutcome& s) {
  return s.mode == "pty" ? s.name + " [pty]" : s.name;
}

bool passed(const Report& rep) {
  bool ok = true;
  for (const auto& v : rep.vectors) ok &= v.failures.empty();
  for (const auto& s : rep.scenarios) ok &= s.passed();
  return ok;
}

void print_report(const Report& rep) {
  if (!rep.vectors.empty()) print_vectors(rep.vectors);
  if (!rep.scenarios.empty()) print_scenarios(rep.scenarios);
}

json report_json(const Report& rep) {
  json vs = json::array();
  std::uint64_t vfail = 0, sfail = 0;
  for (const auto& v : rep.vectors) {
    vs.push_back({{"name", v.name},
                  {"category", v.category},
                  {"file", v.path},
                  {"passed", v.failures.empty()},
                  {"failures", v.failures}});
    vfail += !v.failures.empty();
  }
  json ss = json::array();
  for (const auto& s : rep.scenarios) {
    ss.push_back(scenario_json(s));
    sfail += !s.passed();
  }
  return {{"passed", passed(rep)},
          {"vectors",
           {{"total", rep.vectors.size()},
            {"passed", rep.vectors.size() - vfail},
            {"failed", vfail},
            {"results", vs}}},
          {"scenarios",
           {{"total", rep.scenarios.size()},
            {"passed", rep.scenarios.size() - sfail},
            {"failed", sfail},
            {"results", ss}}}};
}

void write_junit(std::ostream& o, const Report& rep) {
  std::size_t vfail = 0, sfail = 0;
  double vtime = 0, stime = 0;
  for (const auto& v : rep.vectors) vfail += !v.failures.empty(), vtime += v.seconds;
  for (const auto& s : rep.scenarios)
    sfail += !s.passed(), stime += s.result ? s.result->seconds : 0;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"meterlab conform\" tests=\""
    << rep.vectors.size() + rep.scenarios.size() << "\" failures=\"" << vfail + sfail << "\">\n";
  o << "  <testsuite name=\"vectors\" tests=\"" << rep.vectors.size() << "\" failures=\"" << vfail
    << "\" errors=\"0\" time=\"" << vtime << "\">\n";
  for (const auto& v : rep.vectors)
    junit_case(o, "vectors." + v.category, v.name, v.seconds, v.failures);
  o << "  </testsuite>\n  <testsuite name=\"scenarios\" tests=\"" << rep.scenarios.size()
    << "\" failures=\"" << sfail << "\" errors=\"0\" time=\"" << stime << "\">\n";
  for (const auto& s : rep.scenarios)
    junit_case(o, "scenarios", shown_name(s), s.result ? s.result->seconds : 0,
               scenario_failures(s));
  o << "  </testsuite>\n</testsuites>\n";
}

void write_report_file(const std::string& file, void (*writer)(std::ostream&, const Report&),
                       const Report& rep) {
  std::ofstream o(file);
  if (!o) throw std::runtime_error("cannot write " + file);
  writer(o, rep);
  if (!o) throw std::runtime_error("cannot write " + file);
}

void write_junit(const std::string& file, const Report& rep) {
  write_report_file(file, write_junit, rep);
}

}  // namespace meterlab::conformance
