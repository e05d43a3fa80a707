// The reports of `meterlab conform`: what a run found (vectors and scenarios), printed as a table
// on the terminal, and written as JSON and JUnit XML for CI systems. The command (cli/conform.cpp)
// runs the checks; this is the one place that says how their outcome is shown.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scenario_check.hpp"

namespace meterlab::conformance {

struct VectorOutcome {
  std::string name, category, path;
  std::vector<std::string> failures;
  double seconds = 0;
};

struct ScenarioOutcome {
  std::string name, path, mode;
  std::optional<ScenarioResult> result;
  std::string error;  // the scenario could not run (bad file, fault that does not fit)
  bool passed() const { return error.empty() && result && result->passed(); }
};

struct Report {
  std::vector<VectorOutcome> vectors;
  std::vector<ScenarioOutcome> scenarios;
};

// The name shown and reported: the mode is added when it is not the default.
std::string shown_name(const ScenarioOutcome& s);
// True when every vector and every scenario passed.
bool passed(const Report& rep);

// The terminal table: vectors by category, then one line a scenario, failures below each.
void print_report(const Report& rep);
// Every count, as `meterlab conform --json` writes it.
nlohmann::json report_json(const Report& rep);
// JUnit XML (one testsuite for the vectors, one for the scenarios). Throws std::runtime_error
// when the file cannot be written.
void write_junit(const std::string& file, const Report& rep);
// The same XML to a stream (tests).
void write_junit(std::ostream& o, const Report& rep);
// One self-contained HTML page (inline CSS and SVG, no script, nothing fetched): the verdict,
// per scenario its counts, a timeline of its telegrams (equal, wrong, missed, rejected,
// accepted, faults injected) and the truth against the decoded values of a few readings over
// time; per vector a row. Throws std::runtime_error when the file cannot be written.
void write_html(const std::string& file, const Report& rep);
void write_html(std::ostream& o, const Report& rep);
// Writes a report to a file with one of the stream writers above; throws std::runtime_error when
// the file cannot be written.
void write_report_file(const std::string& file, void (*writer)(std::ostream&, const Report&),
                       const Report& rep);
// Text for XML and HTML: & < > " escaped.
std::string xml_escape(const std::string& s);

}  // namespace meterlab::conformance
