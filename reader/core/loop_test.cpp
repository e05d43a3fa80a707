// The read loop with a scripted source (data, loss, failed reopens, end) and a recording sink:
// every telegram reaches every sink, a loss finishes the partial frame as a rejection and opens
// a fresh decoder, counters show the gap, and the back-off schedule doubles up to its maximum.
#include "meterlab/reader/loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "meterlab/core/hex.hpp"

namespace meterlab::reader {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> vector_bytes(const std::string& rel) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + rel);
  auto doc = nlohmann::json::parse(in);
  auto bytes = parse_hex(doc["input_hex"].get<std::string>());
  return bytes ? *bytes : std::vector<std::uint8_t>{};
}

// One step of a scripted source.
struct Step {
  enum class What { open_ok, open_fail, data, lost, end } what;
  std::vector<std::uint8_t> bytes;
};

// Reads follow the script; its fd is a pipe that always polls readable.
class ScriptSource final : public Source {
 public:
  explicit ScriptSource(std::deque<Step> script) : Source("script"), script_(std::move(script)) {
    if (::pipe(pipe_) == 0) (void)!::write(pipe_[1], "x", 1);
  }
  ~ScriptSource() override {
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
  std::string open() override {
    Step s = pop();
    open_ = s.what == Step::What::open_ok;
    return open_ ? "" : "no device";
  }
  void close() noexcept override { open_ = false; }
  int fd() const noexcept override { return open_ ? pipe_[0] : -1; }
  ReadOutcome read(std::span<std::uint8_t> buf) override {
    Step s = pop();
    if (s.what == Step::What::lost) return {ReadOutcome::Kind::lost, 0, "unplugged"};
    if (s.what != Step::What::data) return {ReadOutcome::Kind::end, 0, {}};
    std::copy(s.bytes.begin(), s.bytes.end(), buf.begin());
    return {ReadOutcome::Kind::data, s.bytes.size(), {}};
  }
  bool reopenable() const noexcept override { return true; }
  SourceKind kind() const noexcept override { return SourceKind::serial; }

 private:
  Step pop() {
    if (script_.empty()) return {Step::What::end, {}};
    Step s = std::move(script_.front());
    script_.pop_front();
    return s;
  }
  std::deque<Step> script_;
  int pipe_[2] = {-1, -1};
  bool open_ = false;
};

struct Record {
  std::vector<std::string> events;  // "T:<meter>" or "R:<errc>"
  std::vector<std::string> meters;  // Received::meter of each telegram, as the loop attributed it
  int ticks = 0;
  bool closed = false;
};

class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(Record& r) : r_(r) {}
  std::string_view name() const noexcept override { return "record"; }
  void telegram(const cosem::Telegram& t, const Received& rc) override {
    EXPECT_EQ(rc.source, "script");
    r_.events.push_back("T:" + meter_key(t));
    r_.meters.push_back(rc.meter + (rc.meter_named ? "" : " (unnamed)"));
    ++stats_.telegrams;
  }
  void rejection(const Rejection& rj, const Received&) override {
    r_.events.push_back("R:" + std::string(meterlab::name(rj.error.code)));
  }
  void tick(SteadyClock::time_point) override { ++r_.ticks; }
  void close(std::chrono::milliseconds) override { r_.closed = true; }
  SinkStats stats() const override { return stats_; }

 private:
  Record& r_;
  SinkStats stats_;
};

using What = Step::What;

LoopResult run(std::deque<Step> script, Record& rec, LoopOptions opts = {},
               volatile std::sig_atomic_t* stop_flag = nullptr) {
  static volatile std::sig_atomic_t no_stop = 0;
  ScriptSource src(std::move(script));
  std::vector<SinkPtr> sinks;
  sinks.push_back(std::make_unique<RecordingSink>(rec));
  DecoderFactory make = [] { return std::make_unique<Decoder>(InputTransport::hdlc); };
  return run_read_loop(src, opts, make, sinks, stop_flag ? *stop_flag : no_stop);
}

TEST(BackoffTest, DoublesUpToTheMaximumAndResets) {
  Backoff b(500ms, 3000ms);
  EXPECT_EQ(b.next(), 500ms);
  EXPECT_EQ(b.next(), 1000ms);
  EXPECT_EQ(b.next(), 2000ms);
  EXPECT_EQ(b.next(), 3000ms);
  EXPECT_EQ(b.next(), 3000ms);
  b.reset();
  EXPECT_EQ(b.next(), 500ms);
}

// The loop decides once which meter a telegram is from and hands every sink that answer: list 1
// (no meter id) before any name is "meter", after list 2 it is the meter list 2 named.
TEST(LoopTest, AttributesEveryTelegramToAMeter) {
  auto list1 = vector_bytes("hdlc-plain/aidon-6525-list1.json");
  auto list2 = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  ASSERT_FALSE(list1.empty());
  ASSERT_FALSE(list2.empty());
  Record rec;
  run({{What::open_ok, {}}, {What::data, list1}, {What::data, list2}, {What::data, list1}}, rec);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"T:meter", "T:7359992899161110", "T:meter"}));
  EXPECT_EQ(rec.meters,
            (std::vector<std::string>{"meter (unnamed)", "7359992899161110", "7359992899161110"}));
}

TEST(LoopTest, EveryTelegramToTheSinkThenClose) {
  auto frame = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  ASSERT_FALSE(frame.empty());
  Record rec;
  // The frame split at an arbitrary point across two reads.
  std::vector<std::uint8_t> a(frame.begin(), frame.begin() + 37),
      b(frame.begin() + 37, frame.end());
  LoopResult r =
      run({{What::open_ok, {}}, {What::data, a}, {What::data, b}, {What::data, frame}}, rec);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"T:7359992899161110", "T:7359992899161110"}));
  EXPECT_TRUE(rec.closed);
  EXPECT_EQ(r.decoder.telegrams, 2u);
  EXPECT_EQ(r.input.bytes, 2 * frame.size());
  EXPECT_EQ(r.input.opens, 1u);
  EXPECT_EQ(r.input.reopens, 0u);
  ASSERT_EQ(r.input.connections.size(), 1u);
  EXPECT_EQ(r.input.connections[0].end, "end of input");
  EXPECT_TRUE(r.error.empty());
}

TEST(LoopTest, LossFinishesThePartialFrameAndReopensWithBackoff) {
  auto frame = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  std::vector<std::uint8_t> half(frame.begin(), frame.begin() + 100);
  Record rec;
  LoopOptions opts;
  opts.backoff_initial = 20ms;
  opts.backoff_max = 40ms;
  const auto t0 = SteadyClock::now();
  LoopResult r = run({{What::open_ok, {}},
                      {What::data, frame},
                      {What::data, half},
                      {What::lost, {}},
                      {What::open_fail, {}},
                      {What::open_fail, {}},
                      {What::open_ok, {}},
                      {What::data, frame},
                      {What::end, {}}},
                     rec, opts);
  const auto took = SteadyClock::now() - t0;
  EXPECT_EQ(rec.events, (std::vector<std::string>{"T:7359992899161110", "R:hdlc_truncated",
                                                  "T:7359992899161110"}));
  EXPECT_EQ(r.decoder.telegrams, 2u);
  EXPECT_EQ(r.decoder.rejections, 1u);
  EXPECT_EQ(r.input.opens, 2u);
  EXPECT_EQ(r.input.reopens, 1u);
  EXPECT_EQ(r.input.disconnects, 1u);
  EXPECT_EQ(r.input.failed_opens, 2u);
  // Waited 20 + 40 + 40 ms before the open that worked.
  EXPECT_GE(r.input.disconnected_ms, 100u);
  EXPECT_GE(took, 100ms);
  ASSERT_EQ(r.input.connections.size(), 2u);
  EXPECT_EQ(r.input.connections[0].bytes, frame.size() + half.size());
  EXPECT_EQ(r.input.connections[0].end, "unplugged");
  EXPECT_EQ(r.input.connections[1].bytes, frame.size());
  EXPECT_EQ(r.input.connections[1].gap_before_ms, r.input.disconnected_ms);
  EXPECT_TRUE(rec.closed);
}

TEST(LoopTest, NoReopenEndsAtTheLoss) {
  auto frame = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  Record rec;
  LoopOptions opts;
  opts.reopen = false;
  LoopResult r = run({{What::open_ok, {}},
                      {What::data, frame},
                      {What::lost, {}},
                      {What::open_ok, {}},
                      {What::data, frame}},
                     rec, opts);
  EXPECT_EQ(r.decoder.telegrams, 1u);
  EXPECT_EQ(r.input.opens, 1u);
  EXPECT_EQ(r.input.connections.back().end, "unplugged");
}

TEST(LoopTest, FirstOpenFailingIsFatal) {
  Record rec;
  LoopResult r = run({{What::open_fail, {}}}, rec);
  EXPECT_EQ(r.error, "no device");
  EXPECT_EQ(r.input.opens, 0u);
  EXPECT_TRUE(rec.closed);
}

TEST(LoopTest, StopWhileDisconnectedEndsAndCountsTheGap) {
  auto frame = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  Record rec;
  LoopOptions opts;
  opts.backoff_initial = 10000ms;  // would wait long: the stop flag must end it
  volatile std::sig_atomic_t stop = 0;
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(300ms);
    stop = 1;
  });
  const auto t0 = SteadyClock::now();
  LoopResult r =
      run({{What::open_ok, {}}, {What::data, frame}, {What::lost, {}}}, rec, opts, &stop);
  stopper.join();
  EXPECT_LT(SteadyClock::now() - t0, 2000ms);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.decoder.telegrams, 1u);
  EXPECT_GE(r.input.disconnected_ms, 250u);
  EXPECT_GE(rec.ticks, 1);
  EXPECT_TRUE(rec.closed);
}

TEST(LoopTest, HexInputAndItsErrors) {
  auto frame = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  std::string hex = to_hex(frame);
  std::vector<std::uint8_t> text(hex.begin(), hex.end());
  text.push_back('\n');
  Record rec;
  LoopOptions opts;
  opts.hex = true;
  LoopResult r =
      run({{What::open_ok, {}}, {What::data, text}, {What::data, {'7', 'e', ' ', 'z'}}}, rec, opts);
  EXPECT_EQ(r.decoder.telegrams, 1u);
  EXPECT_EQ(r.error, "not hex text at character " + std::to_string(text.size() + 3));
}

TEST(SummaryTest, CountersOfDecoderInputAndOutputs) {
  auto frame = vector_bytes("hdlc-plain/aidon-6525-list2.json");
  Record rec;
  ScriptSource src({{What::open_ok, {}}, {What::data, frame}});
  std::vector<SinkPtr> sinks;
  sinks.push_back(std::make_unique<RecordingSink>(rec));
  DecoderFactory make = [] { return std::make_unique<Decoder>(); };
  volatile std::sig_atomic_t stop = 0;
  LoopResult r = run_read_loop(src, {}, make, sinks, stop);
  auto doc = nlohmann::json::parse(summary_json(r, sinks));
  const auto& s = doc["summary"];
  EXPECT_EQ(s["telegrams"], 1);
  EXPECT_EQ(s["input"]["source"], "script");
  EXPECT_EQ(s["input"]["kind"], "serial");
  EXPECT_EQ(s["input"]["bytes"], frame.size());
  EXPECT_EQ(s["input"]["reopens"], 0);
  EXPECT_EQ(s["input"]["connections"].size(), 1u);
  EXPECT_EQ(s["input"]["stopped"], false);
  EXPECT_EQ(s["outputs"]["record"]["telegrams"], 1);
}

}  // namespace
}  // namespace meterlab::reader
