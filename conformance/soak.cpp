#include "soak.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>

namespace meterlab::conformance {
namespace {

using nlohmann::json;
constexpr sim::Duration kHour = 3600LL * 1000;
constexpr std::uint64_t kSettleBytes = 64 * 1024;
// Under AddressSanitizer freed memory stays resident in its quarantine (256 MiB by default), so
// the resident size says nothing about leaks there: it is reported, not judged (LeakSanitizer
// judges leaks in that build instead).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRssMeaningful = false;
#else
constexpr bool kRssMeaningful = true;
#endif

// One meter of the soak: its simulation, its own decoder (its own line), its grading.
struct Lane {
  const sim::Profile* profile;
  std::vector<sim::FaultSpec> faults;
  std::unique_ptr<sim::Simulation> simulation;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<TruthMatcher> matcher;
  sim::Chunk next;
  bool has_next = false;
  std::uint64_t fed = 0;
};

std::vector<const sim::Profile*> profiles_of(const sim::Scenario& s) {
  std::vector<const sim::Profile*> out;
  for (const std::string& name : s.profiles) {
    if (name == "all") {
      for (const sim::Profile& p : sim::builtin_profiles()) out.push_back(&p);
    } else {
      out.push_back(sim::find_profile(name));
    }
  }
  return out;
}

bool has_fault(const std::vector<sim::FaultSpec>& faults, sim::FaultKind k) {
  return std::any_of(faults.begin(), faults.end(),
                     [k](const sim::FaultSpec& f) { return f.kind == k; });
}

// The scenario's faults that fit this meter: the simulator refuses the others.
std::vector<sim::FaultSpec> fitting_faults(const sim::Scenario& s, const sim::Profile& p) {
  std::vector<sim::FaultSpec> out;
  for (const sim::FaultSpec& f : s.faults) {
    sim::SimOptions probe = sim_options(s, p);
    probe.faults = {f};
    try {
      sim::Simulation trial(p, probe);
      out.push_back(f);
    } catch (const std::invalid_argument&) {
    }
  }
  return out;
}

Lane make_lane(const ScenarioFile& s, const sim::Profile& p) {
  Lane lane;
  lane.profile = &p;
  lane.faults = fitting_faults(s.scenario, p);
  sim::SimOptions o = sim_options(s.scenario, p);
  o.faults = lane.faults;
  lane.simulation = std::make_unique<sim::Simulation>(p, std::move(o));
  lane.decoder = std::make_unique<Decoder>(profile_transport(p), profile_keys(p));
  lane.matcher = std::make_unique<TruthMatcher>(s.pass);
  lane.has_next = lane.simulation->next(lane.next);
  return lane;
}

// Feeds the lane's pending chunk to its decoder and fetches the next one.
void step(Lane& lane, std::string& line) {
  for (const std::string& t : lane.simulation->take_truth())
    lane.matcher->add_truth(json::parse(t));
  lane.decoder->push(Bytes(lane.next.bytes.data(), lane.next.bytes.size()));
  lane.fed += lane.next.bytes.size();
  drain_decoder(*lane.decoder, *lane.matcher, line);
  if (lane.fed > kSettleBytes) lane.matcher->settle_before(lane.fed - kSettleBytes);
  lane.has_next = lane.simulation->next(lane.next);
}

ScenarioResult finish_lane(Lane& lane, std::string& line) {
  for (const std::string& t : lane.simulation->take_truth())
    lane.matcher->add_truth(json::parse(t));
  lane.matcher->add_truth(json::parse(lane.simulation->summary_line()));
  lane.decoder->finish();
  drain_decoder(*lane.decoder, *lane.matcher, line);
  ScenarioResult r = lane.matcher->finish(lane.profile->name);
  check_stats(lane.decoder->stats(), lane.fed, r);
  return r;
}

// What only the faults can show: forged tags rejected as failed tags, a wrong key counted as a
// wrong key (or, under SC 0x30, as a failed tag: GCM cannot tell the two apart).
void check_security(const Lane& lane, const ScenarioResult& r, std::vector<std::string>& out) {
  const DecoderStats& st = lane.decoder->stats();
  const std::string& name = lane.profile->name;
  if (has_fault(lane.faults, sim::FaultKind::tag_fail) && r.faulted > 0 &&
      st.count(Errc::security_auth_failed) == 0)
    out.push_back(name + ": forged tags were sent but none was rejected as security_auth_failed");
  if (has_fault(lane.faults, sim::FaultKind::wrong_key) && r.faulted > 0 &&
      st.count(Errc::security_wrong_key) + st.count(Errc::security_auth_failed) == 0)
    out.push_back(name + ": telegrams under a wrong key were sent but none was counted as such");
}

void add_counts(ScenarioResult& total, const ScenarioResult& r) {
  total.sent += r.sent, total.decoded += r.decoded, total.equal += r.equal;
  total.wrong += r.wrong, total.missed += r.missed, total.phantom += r.phantom;
  total.accepted += r.accepted, total.undetectable += r.undetectable;
  total.expect_decode += r.expect_decode, total.expect_reject += r.expect_reject;
  total.expect_either += r.expect_either;
  total.faulted += r.faulted, total.faulted_rejected += r.faulted_rejected;
  total.faulted_equal += r.faulted_equal, total.faulted_wrong += r.faulted_wrong;
  total.rejections += r.rejections, total.bytes += r.bytes;
  for (const auto& [k, n] : r.rejected_by_layer) total.rejected_by_layer[k] += n;
  for (const auto& [k, n] : r.rejected_by_code) total.rejected_by_code[k] += n;
  total.issues_total += r.issues_total;
  for (FrameIssue i : r.issues) {
    if (total.issues.size() >= kMaxIssues) break;
    i.list = r.name + " " + i.list;
    total.issues.push_back(std::move(i));
  }
  for (const std::string& f : r.failures) total.failures.push_back(r.name + ": " + f);
}

json lane_json(const Lane& lane, const ScenarioResult& r) {
  const DecoderStats& st = lane.decoder->stats();
  json faults = json::array();
  for (const sim::FaultSpec& f : lane.faults)
    faults.push_back(std::string(sim::fault_name(f.kind)));
  return {{"profile", r.name},
          {"faults", faults},
          {"sent", r.sent},
          {"equal", r.equal},
          {"wrong", r.wrong},
          {"missed", r.missed},
          {"phantom", r.phantom},
          {"accepted", r.accepted},
          {"faulted", r.faulted},
          {"rejections", r.rejections},
          {"bytes_in", st.bytes_in},
          {"bytes_in_frames", st.bytes_in_frames},
          {"bytes_discarded", st.bytes_discarded},
          {"security_wrong_key", st.count(Errc::security_wrong_key)},
          {"security_auth_failed", st.count(Errc::security_auth_failed)},
          {"passed", r.failures.empty()}};
}

// The lane whose next chunk comes first in virtual time: the meters run side by side.
Lane* earliest(std::vector<Lane>& lanes) {
  Lane* best = nullptr;
  for (Lane& l : lanes) {
    if (l.has_next && (!best || l.next.t < best->next.t)) best = &l;
  }
  return best;
}

}  // namespace

std::uint64_t resident_kib() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

ScenarioResult run_soak(const ScenarioFile& s, const Progress& progress) {
  const auto began = std::chrono::steady_clock::now();
  std::vector<Lane> lanes;
  for (const sim::Profile* p : profiles_of(s.scenario)) {
    if (!p) throw std::runtime_error(s.name + ": unknown profile");
    lanes.push_back(make_lane(s, *p));
  }
  const sim::Duration duration = s.scenario.duration.value_or(6 * kHour);
  const sim::SimTime t0 = lanes.empty() || !lanes.front().has_next ? 0 : lanes.front().next.t;
  std::string line;
  json rss = json::array();  // resident KiB at the end of each virtual hour
  sim::SimTime next_sample = t0 + kHour;
  while (Lane* lane = earliest(lanes)) {
    if (lane->next.t >= next_sample) {
      rss.push_back(resident_kib());
      next_sample += kHour;
      if (progress)
        progress(static_cast<double>(next_sample - t0 - kHour) / static_cast<double>(duration));
    }
    step(*lane, line);
  }
  ScenarioResult total;
  total.name = s.name;
  json meters = json::array();
  std::vector<std::string> security;
  for (Lane& lane : lanes) {
    ScenarioResult r = finish_lane(lane, line);
    check_security(lane, r, security);
    meters.push_back(lane_json(lane, r));
    add_counts(total, r);
  }
  rss.push_back(resident_kib());
  for (std::string& f : security) total.failures.push_back(std::move(f));
  const std::uint64_t first = rss.front().get<std::uint64_t>();
  const std::uint64_t last = rss.back().get<std::uint64_t>();
  const auto bound = static_cast<std::uint64_t>(static_cast<double>(first) * (1 + kSoakRssGrowth)) +
                     kSoakRssSlackKib;
  if (kRssMeaningful && rss.size() >= 2 && last > bound)
    total.failures.push_back("memory grew: resident " + std::to_string(first) +
                             " KiB after the first hour, " + std::to_string(last) +
                             " KiB at the end (bound " + std::to_string(bound) + " KiB)");
  total.details = {{"meters", meters},
                   {"rss_kib_per_hour", rss},
                   {"rss_bound_kib", bound},
                   {"rss_checked", kRssMeaningful}};
  total.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (progress) progress(1.0);
  return total;
}

}  // namespace meterlab::conformance
