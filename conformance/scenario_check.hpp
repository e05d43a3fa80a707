// Simulator scenarios as conformance tests: run a scenario (conformance/scenarios/*.json, format in
// conformance/scenarios/README.md), decode its bytes, and grade the decoder's telegrams against the
// simulator's truth log. The grading takes only JSON (truth lines, decoded telegrams as `meterlab
// decode` prints them, rejections), so any decoder's output can be graded, and test doubles of
// broken decoders can prove that each pass criterion bites.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "meterlab/decoder/decoder.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/scenario.hpp"
#include "meterlab/sim/simulation.hpp"

namespace meterlab::conformance {

// What a scenario must achieve. Defaults depend on whether the scenario has faults; the
// scenario's "pass" object overrides them key by key (see conformance/scenarios/README.md).
struct PassCriteria {
  bool all_equal = true;                            // every telegram sent decoded and equal
  std::optional<std::uint64_t> max_rejections = 0;  // nullopt: any number
  std::uint64_t max_wrong = 0;
  std::uint64_t max_phantom = 0;
  std::uint64_t max_missed = 0;    // telegrams with expect "decode" not decoded
  std::uint64_t max_accepted = 0;  // telegrams with expect "reject" decoded anyway
  std::uint64_t min_sent = 1;
  std::uint64_t min_faulted = 0;                      // telegrams a fault touched
  std::map<std::string, std::uint64_t> min_rejected;  // by layer: {"security": 1}
  std::vector<std::string> rejections_include;        // error codes that must appear
};

// Throws std::invalid_argument on an unknown key or a value of the wrong type.
PassCriteria parse_pass(const std::string& json_text, bool faulty);

// What "equal" means. The engine is held to everything; an external decoder (through its adapter)
// only to the telegram fields it prints, and, when `partial`, only to the readings it prints.
struct CompareOptions {
  std::vector<std::string> telegram_keys = {"security", "timestamp", "invocation_counter",
                                            "system_title", "meter_id"};
  bool partial = false;    // truth readings missing from the output are not a difference
  double relative = 1e-9;  // numbers equal within max(relative x magnitude, absolute)
  double absolute = 0;
};

// One frame the check found at fault.
struct FrameIssue {
  std::string kind;                  // "wrong", "missed", "phantom", "accepted" (a reject decoded)
  std::optional<std::uint64_t> seq;  // the truth telegram (none for a phantom)
  std::uint64_t offset = 0;          // truth offset, or the decoded frame's offset for a phantom
  std::string list;
  std::string what;  // what differs
};

struct ScenarioResult {
  std::string name;
  std::uint64_t sent = 0, decoded = 0, equal = 0, wrong = 0, missed = 0, phantom = 0;
  std::uint64_t accepted = 0;      // expect "reject" but decoded
  std::uint64_t undetectable = 0;  // corrupted past every link check, no tag: counted, not graded
  std::uint64_t expect_decode = 0, expect_reject = 0, expect_either = 0;
  std::uint64_t faulted = 0, faulted_rejected = 0, faulted_equal = 0, faulted_wrong = 0;
  std::uint64_t rejections = 0;
  std::map<std::string, std::uint64_t> rejected_by_layer, rejected_by_code;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::vector<FrameIssue> issues;  // the first kMaxIssues failing frames
  std::uint64_t issues_total = 0;
  std::vector<std::string> failures;  // criteria not met; empty when the scenario passes
  nlohmann::json details;             // more figures for the JSON report (a soak's memory, meters)
  // Per truth telegram (the first kMaxTimeline), for the HTML report: {"seq", "t_ms", "outcome"
  // (equal, wrong, missed, rejected, accepted, undetectable), "faulted", "truth": {obis: value},
  // "decoded": {obis: value}} for the readings of kTimelineObis.
  std::vector<nlohmann::json> timeline;
  bool passed() const noexcept { return failures.empty(); }
};

inline constexpr std::size_t kMaxIssues = 1000;
inline constexpr std::size_t kMaxTimeline = 5000;
// The readings the report draws over time: active power import, voltage L1, active energy import.
inline constexpr const char* kTimelineObis[] = {"1-0:1.7.0.255", "1-0:32.7.0.255", "1-0:1.8.0.255"};

// Grades decoder output against a truth log, streaming: truth lines and decoder output are added
// in stream order (the truth of a telegram before its decoded telegram); a decoded telegram
// belongs to the truth telegram whose byte range holds its frame offset.
class TruthMatcher {
 public:
  explicit TruthMatcher(PassCriteria pass, CompareOptions compare = {});
  void add_truth(const nlohmann::json& line);
  void add_decoded(const nlohmann::json& telegram);
  void add_rejection(const nlohmann::json& rejection);  // {"error": {"layer", "code", ...}}
  // Truth telegrams that end before `offset` can no longer be matched: graded now (bounded memory).
  void settle_before(std::uint64_t offset);
  ScenarioResult finish(std::string name);
  // Keep ScenarioResult::timeline (for the HTML report). Off by default: a soak's hours of
  // telegrams would grow its memory.
  void keep_timeline() { timeline_ = true; }

 private:
  struct Pending {
    nlohmann::json truth;
    bool matched = false;
    std::string diff;        // of the matched telegram
    nlohmann::json decoded;  // its readings of kTimelineObis
  };
  void grade(const Pending& p);
  std::string grade_one(const Pending& p);  // the outcome
  void issue(FrameIssue i);
  void evaluate();

  PassCriteria pass_;
  CompareOptions compare_;
  ScenarioResult r_;
  std::map<std::uint64_t, Pending> pending_;  // by truth offset
  bool timeline_ = false;
};

// The whole comparison at once (the decoded lists as `meterlab decode --errors` prints them).
ScenarioResult compare_with_truth(const std::vector<nlohmann::json>& truth_lines,
                                  const std::vector<nlohmann::json>& decoded,
                                  const std::vector<nlohmann::json>& rejections,
                                  const PassCriteria& pass, std::string name = "");

// "" when the decoded telegram says what the truth telegram says, else what differs (security,
// timestamp, invocation counter, system title, meter id, readings by OBIS with value and unit).
std::string compare_truth_telegram(const nlohmann::json& truth, const nlohmann::json& decoded,
                                   const CompareOptions& options = {});

struct ScenarioFile {
  std::filesystem::path path;
  std::string name;  // the scenario's name, or the file's stem
  sim::Scenario scenario;
  PassCriteria pass;
};

// Throws std::runtime_error naming the file (unreadable, bad JSON, bad field, unknown profile).
ScenarioFile load_scenario(const std::filesystem::path& file);
// The same from the file's text (an ad-hoc scenario built on the command line); throws
// std::invalid_argument on a bad field or an unknown profile.
ScenarioFile scenario_from_json(const std::string& text, const std::filesystem::path& file);
std::vector<std::filesystem::path> find_scenarios(const std::filesystem::path& dir);

// --keep: what the engine was fed and printed in an in-process run.
struct InProcessRecord {
  std::string bytes, truth, decoded;
};
// Pulls every event the decoder has ready into the matcher (telegrams as `meterlab decode`
// prints them; `line` is scratch space), and into `rec` when given.
void drain_decoder(Decoder& dec, TruthMatcher& m, std::string& line,
                   InProcessRecord* rec = nullptr);

// The engine's own bookkeeping: it saw every byte sent, and every byte is in a good frame or
// discarded with a reason; a failure is added to `r` otherwise.
void check_stats(const DecoderStats& st, std::uint64_t sent, ScenarioResult& r);

// The simulation options of a scenario for one profile (the defaults of `meterlab simulate`).
sim::SimOptions sim_options(const sim::Scenario& s, const sim::Profile& p);
dlms::KeyRing profile_keys(const sim::Profile& p);
// The transport a reader of the profile is given: auto-detection, or P1 for encrypted P1.
InputTransport profile_transport(const sim::Profile& p);

// Called now and then with the virtual time done, in [0, 1].
using Progress = std::function<void(double done)>;

// Runs the scenario in-process: the simulation's chunks are fed to the engine's Decoder (with the
// profile's keys) as they are produced, and its output graded. Throws std::runtime_error when the
// scenario cannot run (unknown profile, bad start, a fault that does not fit the profile).
// With `keep_dir`, the run's evidence goes in a folder there (`NAME-in-process`: bytes.bin,
// truth.jsonl, decoded.jsonl, graded.jsonl), keys redacted.
ScenarioResult run_scenario(const ScenarioFile& s, const Progress& progress = {},
                            const std::string& keep_dir = "");

}  // namespace meterlab::conformance
