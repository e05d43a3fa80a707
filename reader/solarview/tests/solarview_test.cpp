// The Solarview output: the seed 004 format exactly, from simulator telegrams; rewritten only
// when a telegram carries an energy register; atomic (a concurrent reader never sees a partial
// file, and no temp file is left); refusals name the JSON path.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "../solarview_file.hpp"
#include "meterlab/reader/outputs.hpp"
#include "server_util.hpp"
#include "sim_feed.hpp"

namespace meterlab::reader {
namespace {

using test::json;

TEST(SolarviewFormat, AsTheSeedWritesIt) {
  // The seed's own example line: 1.8.0(005305.034*kWh).
  EXPECT_EQ(solarview::content("KAIFA", 5305.034, 12.5),
            "/?!\n/KAIFA\n1.8.0(005305.034*kWh)\n2.8.0(000012.500*kWh)\n!\n");
  EXPECT_EQ(solarview::content("EVN", std::nullopt, 0.0), "/?!\n/EVN\n2.8.0(000000.000*kWh)\n!\n");
  EXPECT_EQ(solarview::content("KAIFA", 1234567.8916, std::nullopt),
            "/?!\n/KAIFA\n1.8.0(1234567.892*kWh)\n!\n");  // wider than 10: not cut
}

// Formats kWh as the seed does, from the truth's Wh value.
std::string kwh_text(const json& wh) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%010.3f", wh.get<double>() / 1000.0);
  return buf;
}

const json* truth_reading(const json& telegram, const char* obis) {
  for (const json& r : telegram.at("readings"))
    if (r.at("obis") == obis) return &r;
  return nullptr;
}

TEST(SolarviewSink, EveryEnergyTelegramRewritesTheFileExactly) {
  test::TempDir dir("solarview");
  const std::string file = (dir.path() / "kaifa.txt").string();
  auto made = make_solarview_sink(json{{"file", file}, {"ident", "KAIFA"}});
  ASSERT_TRUE(made.sink) << made.error;
  const test::Fed f = test::feed("kaifa-ma309-tinetz", "2026-01-05T12:00:00", 60 * 1000);
  ASSERT_GE(f.telegrams.size(), 10u);
  for (std::size_t i = 0; i < f.telegrams.size(); ++i) {
    made.sink->telegram(f.telegrams[i], f.received[i]);
    const json* in = truth_reading(f.truth[i], "1-0:1.8.0.255");
    const json* out = truth_reading(f.truth[i], "1-0:2.8.0.255");
    ASSERT_TRUE(in && out) << f.truth[i].dump();
    ASSERT_EQ(in->at("unit"), "Wh");
    EXPECT_EQ(test::read_text(file), "/?!\n/KAIFA\n1.8.0(" + kwh_text(in->at("value")) +
                                         "*kWh)\n2.8.0(" + kwh_text(out->at("value")) +
                                         "*kWh)\n!\n");
  }
  EXPECT_EQ(made.sink->stats().delivered, f.telegrams.size());
  EXPECT_EQ(made.sink->stats().telegrams, f.telegrams.size());
  EXPECT_EQ(made.sink->stats().failed, 0u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(SolarviewSink, TelegramsWithoutEnergyLeaveTheFile) {
  test::TempDir dir("solarview");
  const std::string file = (dir.path() / "kaifa.txt").string();
  auto made = make_solarview_sink(json{{"file", file}, {"ident", "KFM"}});
  ASSERT_TRUE(made.sink) << made.error;
  // Kaifa KFM001: list 1/2 carry no energy, list 3 (hh:00:10) does.
  const test::Fed f = test::feed("kaifa-kfm001-3ph", "2026-01-05T00:59:00", 2 * 60 * 1000);
  std::size_t with_energy = 0;
  for (std::size_t i = 0; i < f.telegrams.size(); ++i) {
    made.sink->telegram(f.telegrams[i], f.received[i]);
    const json* in = truth_reading(f.truth[i], "1-0:1.8.0.255");
    if (in == nullptr) {
      if (with_energy == 0) {
        EXPECT_FALSE(test::fs::exists(file));
      }
      continue;
    }
    ++with_energy;
    const json* out = truth_reading(f.truth[i], "1-0:2.8.0.255");
    EXPECT_EQ(test::read_text(file), "/?!\n/KFM\n1.8.0(" + kwh_text(in->at("value")) +
                                         "*kWh)\n2.8.0(" + kwh_text(out->at("value")) +
                                         "*kWh)\n!\n");
  }
  EXPECT_EQ(with_energy, 1u);
  EXPECT_EQ(made.sink->stats().delivered, 1u);
  EXPECT_EQ(made.sink->stats().telegrams, f.telegrams.size());
}

TEST(SolarviewSink, AReaderNeverSeesAPartialFile) {
  test::TempDir dir("solarview");
  const std::string file = (dir.path() / "kaifa.txt").string();
  auto made = make_solarview_sink(json{{"file", file}});
  ASSERT_TRUE(made.sink) << made.error;
  const test::Fed f = test::feed("kaifa-ma309-tinetz", "2026-01-05T12:00:00", 30 * 1000);
  made.sink->telegram(f.telegrams[0], f.received[0]);
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, torn{0};
  std::thread reader([&] {
    while (!stop) {
      const std::string s = test::read_text(file);
      ++reads;
      const bool whole = s.rfind("/?!\n/KAIFA\n1.8.0(", 0) == 0 && s.size() == 57 &&
                         s.compare(s.size() - 2, 2, "!\n") == 0;
      if (!whole) ++torn;
    }
  });
  for (int round = 0; round < 60; ++round)
    for (std::size_t i = 0; i < f.telegrams.size(); ++i)
      made.sink->telegram(f.telegrams[i], f.received[i]);
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 20);
  EXPECT_EQ(torn.load(), 0);
  // Only the file itself is left: every temp file was renamed over it.
  std::size_t entries = 0;
  for (const auto& e : test::fs::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "kaifa.txt");
  }
  EXPECT_EQ(entries, 1u);
}

TEST(SolarviewSink, AnUnwritableDirectoryIsCountedNotFatal) {
  test::TempDir dir("solarview");
  const std::string file = (dir.path() / "missing" / "kaifa.txt").string();
  auto made = make_solarview_sink(json{{"file", file}});
  ASSERT_TRUE(made.sink) << made.error;
  const test::Fed f = test::feed("kaifa-ma309-tinetz", "2026-01-05T12:00:00", 10 * 1000);
  for (std::size_t i = 0; i < f.telegrams.size(); ++i)
    made.sink->telegram(f.telegrams[i], f.received[i]);
  EXPECT_EQ(made.sink->stats().failed, f.telegrams.size());
  EXPECT_EQ(made.sink->stats().last_error,
            "solarview: " + file + ": create temp file: No such file or directory");
}

TEST(SolarviewConfig, RefusesWithThePath) {
  EXPECT_EQ(make_solarview_sink(json{{"path", "x"}}).error,
            "outputs.solarview.path: expected one of file, ident, got an unknown key");
  EXPECT_EQ(make_solarview_sink(json{{"file", ""}}).error,
            "outputs.solarview.file: expected a file name, got \"\"");
  EXPECT_EQ(make_solarview_sink(json{{"ident", "A\nB"}}).error,
            "outputs.solarview.ident: expected one line of text without '!', got \"A\\nB\"");
  EXPECT_EQ(make_solarview_sink(json{{"file", 3}}).error,
            "outputs.solarview.file: expected a string, got 3");
}

}  // namespace
}  // namespace meterlab::reader
