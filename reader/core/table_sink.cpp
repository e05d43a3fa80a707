// outputs.table: the latest reading of every OBIS code of every meter, as a table (a number with a
// capture time of its own, such as a P1 gas register, shows that time after its unit). On a
// terminal it is redrawn in place (ANSI: cursor home, clear to end) at most every refresh_ms;
// otherwise the final table is printed once at the end.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
namespace {

constexpr const char* kHome = "\x1b[H\x1b[J";  // cursor to the top left, clear to the end
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kPlain = "\x1b[0m";

struct Row {
  std::string code;  // reading_code(): the OBIS code, or a position
  std::string name;
  std::string value;
  std::string unit;
  std::string at;  // a number's own capture time (a P1 gas register), ISO 8601
};

// Rows in OBIS order; readings no layout names (no OBIS code) by their position.
using RowKey = std::pair<cosem::ObisCode, std::string>;

struct MeterView {
  std::string type;
  std::string list;
  std::string clock;
  std::string security;
  std::uint64_t telegrams = 0;
  std::map<RowKey, Row> rows;  // by OBIS code, in numeric order
};

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string pad_left(std::string s, std::size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

class TableSink final : public Sink {
 public:
  TableSink(bool terminal, std::chrono::milliseconds refresh)
      : terminal_(terminal), refresh_(refresh) {}

  std::string_view name() const noexcept override { return "table"; }
  void telegram(const cosem::Telegram& t, const Received& r) override {
    ++stats_.telegrams;
    source_ = std::string(r.source);
    MeterView& m = meters_[r.meter];
    ++m.telegrams;
    m.type = std::string(t.text(t.meter_type));
    m.list = std::string(t.text(t.list_id));
    m.clock = t.timestamp ? t.timestamp->to_iso8601() : std::string();
    m.security = std::string(security_text(t));
    for (std::size_t i = 0; i < t.readings.size(); ++i) {
      if (repeats_code(t, i)) continue;  // a buffer's history: the first is the current value
      const cosem::Reading& reading = t.readings[i];
      const cosem::DateTime* at = capture_time(t, reading);
      m.rows[{reading.obis, reading.position_text()}] =
          Row{reading_code(reading), std::string(reading.name), value_text(t, reading),
              std::string(reading.unit), at ? at->to_iso8601() : ""};
    }
    dirty_ = true;
    if (terminal_) tick(SteadyClock::now());
  }
  void rejection(const Rejection&, const Received&) override { ++rejections_; }
  void tick(SteadyClock::time_point now) override {
    if (!terminal_ || !dirty_ || now - last_draw_ < refresh_) return;
    draw();
    last_draw_ = now;
  }
  void close(std::chrono::milliseconds) override {
    if (closed_) return;
    closed_ = true;
    if (dirty_ || !terminal_) draw();
  }
  SinkStats stats() const override { return stats_; }

 private:
  void draw() {
    std::string out = terminal_ ? kHome : "";
    out += header();
    for (const auto& [key, m] : meters_) out += meter_block(key, m);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    ++stats_.delivered;
    dirty_ = false;
  }
  std::string header() const {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char when[16];
    std::strftime(when, sizeof when, "%H:%M:%S", &tm);
    return bold("meterlab " + source_) + "  telegrams " + std::to_string(stats_.telegrams) +
           "  rejected " + std::to_string(rejections_) + "  " + when + "\n";
  }
  std::string meter_block(const std::string& key, const MeterView& m) const {
    std::string out = "\n" + bold("meter " + key) + "  " + m.type + "  list " + m.list + "  " +
                      m.clock + "  " + m.security + "  (" + std::to_string(m.telegrams) + ")\n";
    out += "  " + pad("OBIS", 20) + pad("name", 36) + pad_left("value", 22) + "  unit\n";
    for (const auto& [unused, row] : m.rows) {
      out += "  " + pad(row.code, 20) + pad(row.name, 36) + pad_left(row.value, 22) + "  " +
             row.unit + (row.at.empty() ? "" : "  at " + row.at) + "\n";
    }
    return out;
  }
  std::string bold(const std::string& s) const { return terminal_ ? kBold + s + kPlain : s; }

  bool terminal_;
  std::chrono::milliseconds refresh_;
  std::map<std::string, MeterView> meters_;
  std::string source_;
  std::uint64_t rejections_ = 0;
  bool dirty_ = false;
  bool closed_ = false;
  SteadyClock::time_point last_draw_{};
  SinkStats stats_;
};

}  // namespace

SinkOrError make_table_sink(const nlohmann::json& cfg) {
  std::int64_t refresh_ms = 500;
  std::string error;
  ConfigReader c(cfg, "outputs.table", error);
  if (!c.only({"refresh_ms"}) || !c.integer("refresh_ms", refresh_ms, 0, 60000)) {
    return {nullptr, error};
  }
  const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  return {std::make_unique<TableSink>(terminal, std::chrono::milliseconds(refresh_ms)), {}};
}

}  // namespace meterlab::reader
