// Where decoded telegrams go when meterlab reads a meter: JSON lines, a live table, MQTT,
// InfluxDB, PostgreSQL, a Solarview file. Every output is a Sink; the read loop hands each
// telegram to every sink in turn, calls tick() at least once a second, and close() at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "meterlab/cosem/telegram.hpp"
#include "meterlab/decoder/decoder.hpp"

namespace meterlab::reader {

using WallClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

// The meter name of a telegram until a telegram on the same input names one.
inline constexpr std::string_view kUnnamedMeter = "meter";

// What the read loop knows about a telegram beside its content.
struct Received {
  WallClock::time_point wall;  // when its last byte arrived
  std::string_view source;     // the input it came from ("/dev/ttyUSB0", "tcp://..", "-")
  // Which meter the telegram is from, decided once by the read loop (MeterAttribution) for every
  // output: the MQTT topics, the database rows and the table all use this, never their own rule.
  std::string meter{kUnnamedMeter};
  bool meter_named = false;  // false: no telegram on this input has named its meter yet
};

struct SinkStats {
  std::uint64_t telegrams = 0;   // telegrams handed to the sink
  std::uint64_t delivered = 0;   // records (messages, points, rows, files) known delivered
  std::uint64_t failed = 0;      // records given up on (after retries, or a full queue)
  std::uint64_t queued = 0;      // records waiting now
  std::uint64_t reconnects = 0;  // connections re-established after a loss
  std::string last_error;        // the last failure, for the counters (never a secret)
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view name() const noexcept = 0;  // "mqtt", "influxdb", ...
  // One decoded telegram. `t` is only valid during the call: copy what is kept. Must not block
  // for long: slow work (network) is queued and done in tick() or on the sink's own thread.
  virtual void telegram(const cosem::Telegram& t, const Received& r) = 0;
  // A rejected frame (most sinks ignore them; the JSON sink writes them with --errors).
  virtual void rejection(const Rejection& r, const Received& rc) {
    (void)r;
    (void)rc;
  }
  // Time-driven work: batches due, reconnect back-off. Called at least once a second.
  virtual void tick(SteadyClock::time_point now) { (void)now; }
  // End of input: deliver what is queued, waiting at most `limit` for the far side.
  virtual void close(std::chrono::milliseconds limit) { (void)limit; }
  virtual SinkStats stats() const = 0;
};

using SinkPtr = std::unique_ptr<Sink>;

// A sink, or why the configuration was refused (ConfigReader's message: the JSON path and what
// was expected, e.g. `outputs.mqtt.port: expected an integer 1-65535, got "x"`; never quoting a
// password, token or key).
struct SinkOrError {
  SinkPtr sink;
  std::string error;
};

// ---- values, as every sink needs them -------------------------------------------------

// A stable name for the meter: its meter id text, else the system title in hex, else "meter".
std::string meter_key(const cosem::Telegram& t);

// The one rule for "which meter is this telegram from": a telegram that carries a meter id or
// a system title is that meter's (meter_key); one that carries neither (Kaifa's and Aidon's
// 2-second power list) belongs to the meter last named on the same input, so one meter is one
// series; kUnnamedMeter until a telegram names it. One per input, kept across reconnects.
class MeterAttribution {
 public:
  // Sets rc.meter and rc.meter_named for `t`.
  void attribute(const cosem::Telegram& t, Received& rc);

 private:
  std::string last_;  // empty until a telegram names its meter
};
// What names a reading in the outputs, stable from telegram to telegram: its OBIS code
// ("1-0:1.7.0.255"), or for a reading no layout names (cosem::Reading::positional()) its position
// as "position-2.1" (the MQTT key and topic, the PostgreSQL obis column).
std::string reading_code(const cosem::Reading& r);
// Whether reading `i` of `t` has the code (OBIS and position) of an earlier reading of the same
// telegram: an entry of a P1 buffer or log with its own capture time (the Belgian monthly
// maxima 0-0:98.1.0 repeat the current peak's 1-0:1.6.0; the power-failure log 1-0:99.97.0
// repeats 0-0:96.7.19). The outputs that show one current value per code (MQTT topics, the
// table) take the first; the databases store every one at its own time.
bool repeats_code(const cosem::Telegram& t, std::size_t i) noexcept;
// The reading as a number (integer scaled by its scaler, real, boolean 0/1); none for text,
// octets, dates and null.
std::optional<double> number(const cosem::Reading& r) noexcept;
// The reading as text: strings as sent, octets in hex, dates in ISO 8601, numbers as in the
// JSON output (exact decimal of raw x 10^scaler).
std::string value_text(const cosem::Telegram& t, const cosem::Reading& r);
// The one predicate "the UTC time of this meter time is known": for the telegram's time, the
// engine resolved it (Telegram::timestamp_source: the meter's deviation, or its time zone); for
// a reading's own capture time (P1), its S/W flag gives the deviation.
bool utc_known(const cosem::Telegram& t, const cosem::DateTime& dt) noexcept;
// A meter time in UTC when utc_known(), else none: a time is never computed from fields that
// do not give it.
std::optional<WallClock::time_point> meter_utc(const cosem::Telegram& t,
                                               const cosem::DateTime& dt) noexcept;
// A reading's own capture time beside its value (a P1 gas register 0-n:24.2.1, a peak demand, a
// power failure's duration: the JSON output's "captured"); null when it has none.
const cosem::DateTime* capture_time(const cosem::Telegram& t, const cosem::Reading& r) noexcept;
// Which clock a stored time came from: the meter's (its UTC from its own deviation), the meter's
// read in its time zone (`--tz`, config `timezone`, or its family's zone), or the reader's
// receive time.
enum class TimeSource : std::uint8_t { meter, zone, received };
std::string_view time_source_name(TimeSource s) noexcept;  // "meter", "zone", "received"
struct StoredTime {
  WallClock::time_point time;
  TimeSource source = TimeSource::received;
};
// The time of the telegram: the meter's clock when its UTC is known, else the receive time.
StoredTime stored_time(const cosem::Telegram& t, const Received& r);
// The time of one reading: a number's own capture time when it has one whose UTC is known (a
// P1 gas register 0-n:24.2.1), else the telegram's.
StoredTime stored_time(const cosem::Telegram& t, const cosem::Reading& reading, const Received& r);
// stored_time(t, r).time.
WallClock::time_point telegram_time(const cosem::Telegram& t, const Received& r);
// dlms::state_name of the telegram's security: "plain", "decrypted", "authenticated", ...
std::string_view security_text(const cosem::Telegram& t) noexcept;

}  // namespace meterlab::reader
