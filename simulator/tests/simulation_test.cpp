// The simulation against the engine: every profile's hours of virtual time decode to exactly
// what the truth log says; same seed, same bytes; energy registers integrate the powers; faults
// are applied, recorded, and rejected by the decoder.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "meterlab/core/hex.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using test::json;

constexpr Duration kHour = 3600 * 1000;

SimOptions options(std::uint64_t seed, const char* start, Duration duration, Zone zone) {
  SimOptions o;
  o.seed = seed;
  o.start = *parse_iso(start, zone);
  o.duration = duration;
  return o;
}

// Wh per unit of the A+ register (10^scale of its template leaf).
double register_unit_wh(const Profile& p) {
  std::function<int(const Node&)> find = [&](const Node& n) -> int {
    if (n.source == Source::energy_import) return n.scale;
    for (const Node& item : n.items)
      if (int s = find(item); s != 99) return s;
    return 99;
  };
  for (const auto& [name, list] : p.lists)
    if (int s = find(list.body); s != 99)
      return s == 0 ? 1.0 : s == 1 ? 10.0 : s == 2 ? 100.0 : 1000.0;
  return 1.0;
}

class EveryProfile : public ::testing::TestWithParam<std::string> {
 protected:
  const Profile& profile() const { return *find_profile(GetParam()); }
};

TEST_P(EveryProfile, SameSeedSameBytesOtherSeedOtherBytes) {
  const Profile& p = profile();
  auto a = test::run(p, options(7, "2026-03-28T22:00:00Z", kHour, p.zone));
  auto b = test::run(p, options(7, "2026-03-28T22:00:00Z", kHour, p.zone));
  auto c = test::run(p, options(8, "2026-03-28T22:00:00Z", kHour, p.zone));
  ASSERT_FALSE(a.bytes.empty());
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.truth, b.truth);
  EXPECT_NE(a.bytes, c.bytes);
  EXPECT_EQ(a.truth.back().at("sha256"), b.truth.back().at("sha256"));
  EXPECT_NE(a.truth.back().at("sha256"), c.truth.back().at("sha256"));
}

// Six hours across the spring DST change: every telegram decodes, equal to its truth record.
TEST_P(EveryProfile, SixHoursDecodeEqualTheTruth) {
  const Profile& p = profile();
  auto r = test::run(p, options(42, "2026-03-29T00:00:00Z", 6 * kHour, p.zone));
  auto d = test::decode(p, r.bytes);
  EXPECT_TRUE(d.rejections.empty()) << d.rejections.front().dump();
  ASSERT_EQ(d.telegrams.size(), r.telegrams.size());
  for (std::size_t i = 0; i < r.telegrams.size(); ++i) {
    std::string diff = test::compare(r.telegrams[i], d.telegrams[i]);
    ASSERT_EQ(diff, "") << "telegram " << i << " (" << r.telegrams[i].at("list") << " at "
                        << r.telegrams[i].at("t") << ")";
  }
  EXPECT_EQ(d.stats.bytes_in, r.bytes.size());
  EXPECT_EQ(d.stats.bytes_in_frames, r.bytes.size());
  EXPECT_EQ(r.truth.back().at("bytes"), r.bytes.size());
  // Every list of the profile was sent, each at its cadence.
  std::set<std::string> lists;
  for (const json& t : r.telegrams) lists.insert(t.at("list").get<std::string>());
  EXPECT_EQ(lists.size(), p.lists.size());
}

// Energy registers are the integral of the reported powers: over 24 h, each register step
// between two telegrams that carry it equals the sum of the active powers reported at the step
// boundaries in between, times the step, to within one register unit. (Read from the meter's
// telegrams directly: the truth log carries the same readings, as the 6 h test shows.)
TEST_P(EveryProfile, EnergyStepsMatchTheIntegralOfThePowers) {
  const Profile& p = profile();
  const SimTime start = *parse_iso("2026-06-01T00:00:00Z", p.zone);
  Meter meter(p, 3, start);
  std::map<SimTime, double> power;  // step boundary -> W reported
  std::vector<std::pair<SimTime, double>> energy;
  int registers = 1;  // registers summed into A+: each floors once
  auto value = [](const TruthReading& r) {
    double v = static_cast<double>(r.raw);
    for (int i = 0; i < r.scale; ++i) v *= 10;
    for (int i = 0; i > r.scale; --i) v /= 10;
    return v;
  };
  for (auto [t, list] = meter.next_slot(start - 1); t < start + 24 * kHour;
       std::tie(t, list) = meter.next_slot(t)) {
    MeterTelegram m = meter.build(t, *list);
    SimTime step_end = t / p.step * p.step;
    // A+ is 1.8.0, or (P1 meters with tariffs) the sum of the tariff registers 1.8.1 + 1.8.2.
    double total = 0, by_tariff = 0;
    bool has_total = false, has_tariffs = false;
    for (const TruthReading& r : m.readings) {
      if (r.obis.ends_with(":1.7.0.255")) power[step_end] = value(r);
      if (r.obis.ends_with(":1.8.0.255")) total = value(r), has_total = true;
      if (r.obis.ends_with(":1.8.1.255") || r.obis.ends_with(":1.8.2.255")) {
        by_tariff += value(r);
        has_tariffs = true;
      }
    }
    if (!has_total && has_tariffs) registers = 2;
    if (has_total || has_tariffs) energy.emplace_back(step_end, has_total ? total : by_tariff);
  }
  ASSERT_GE(energy.size(), 24u) << "the profile reports no A+ register";
  const double resolution = register_unit_wh(p) * registers;
  std::size_t checked = 0;
  for (std::size_t i = 1; i < energy.size(); ++i) {
    SimTime from = energy[i - 1].first, to = energy[i].first;
    double sum = 0;
    SimTime reports = 0;
    for (auto it = power.upper_bound(from); it != power.end() && it->first <= to; ++it, ++reports)
      sum += it->second * static_cast<double>(p.step) / 3'600'000.0;
    ASSERT_EQ(reports, (to - from) / p.step) << "a step without a power report before " << to;
    double delta = energy[i].second - energy[i - 1].second;
    ASSERT_LT(std::fabs(delta - sum), resolution + 1e-9) << "between " << from << " and " << to;
    ++checked;
  }
  EXPECT_GE(checked, 23u);
  EXPECT_GT(energy.back().second, energy.front().second) << "a day without consumption";
}

INSTANTIATE_TEST_SUITE_P(Profiles, EveryProfile, ::testing::ValuesIn(test::profile_names()),
                         test::param_name);

}  // namespace
}  // namespace meterlab::sim

namespace meterlab::sim {
namespace {

// The simulator's own golden vectors (tools/simulated_vectors.py): the same seed, start and
// duration still give exactly these bytes. A deliberate change to the simulator or a profile
// means regenerating them, and the diff shows what changed.
TEST_P(EveryProfile, WritesExactlyItsGoldenVector) {
  const Profile& p = profile();
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/simulated/sim-" + p.name + ".json");
  ASSERT_TRUE(in) << "no vectors/simulated/sim-" << p.name
                  << ".json: run tools/simulated_vectors.py";
  json v = json::parse(in);
  const json& src = v.at("source").at("simulator");
  SimOptions o;
  o.seed = src.at("seed").get<std::uint64_t>();
  o.start = *parse_iso(src.at("start").get<std::string>(), p.zone);
  o.duration = *parse_duration(src.at("duration").get<std::string>());
  auto r = test::run(p, o);
  EXPECT_EQ(to_hex(Bytes(r.bytes.data(), r.bytes.size())), v.at("input_hex").get<std::string>());
  EXPECT_EQ(r.truth.back().at("sha256"), src.at("sha256"));
}

}  // namespace
}  // namespace meterlab::sim
