// The read loop: Source -> Decoder -> every Sink. Bytes are pushed to the streaming decoder as
// they arrive; a source that goes away (USB unplugged, pty closed, TCP reset) is reopened with
// exponential back-off, the decoder finishing the partial frame first (a rejection) and a fresh
// decoder taking over; a stop request (SIGINT/SIGTERM) ends it cleanly. At the end every
// decoded telegram has been handed to every sink and each sink is closed.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "meterlab/decoder/decoder.hpp"
#include "meterlab/reader/sink.hpp"
#include "meterlab/reader/source.hpp"

namespace meterlab::reader {

// Exponential back-off: initial, 2x initial, 4x ... up to max; reset() after a good connection.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), next_(initial) {}
  std::chrono::milliseconds next() noexcept;  // the delay to wait now; doubles the one after
  void reset() noexcept { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_;
};

// One stretch of connected input.
struct Connection {
  std::uint64_t bytes = 0;          // bytes read while it lasted
  std::uint64_t gap_before_ms = 0;  // disconnected time before it opened (0 for the first)
  std::string end;                  // "end of input", "stopped", or why it was lost
};

struct InputStats {
  std::string source;
  SourceKind kind = SourceKind::file;
  std::uint64_t bytes = 0;
  std::uint64_t opens = 0;             // successful opens (the first one included)
  std::uint64_t reopens = 0;           // successful opens after a loss
  std::uint64_t disconnects = 0;       // losses of the device or connection
  std::uint64_t failed_opens = 0;      // reopen attempts that failed
  std::uint64_t disconnected_ms = 0;   // time without the input, in total
  std::deque<Connection> connections;  // the last kMaxConnections, oldest first
  static constexpr std::size_t kMaxConnections = 32;
};

struct LoopOptions {
  bool hex = false;    // the input is hex text
  bool reopen = true;  // reopen a lost device or connection
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds close_limit{5000};  // for the sinks to deliver what is queued
};

struct LoopResult {
  InputStats input;
  DecoderStats decoder;  // summed over every decoder (one per connection)
  std::string error;     // a fatal input error ("cannot open ..", "not hex text at character 3")
  std::vector<std::string> warnings;  // worth telling the user ("odd number of hex digits ..")
  bool stopped = false;               // ended by a stop request
};

using DecoderFactory = std::function<std::unique_ptr<Decoder>()>;

// Runs until the input ends, a fatal error, or `stop` becomes non-zero (set it from a signal
// handler). The first open failing is fatal (result.error); later failures are retried.
LoopResult run_read_loop(Source& source, const LoopOptions& options, const DecoderFactory& make,
                         std::vector<SinkPtr>& sinks, const volatile std::sig_atomic_t& stop);

// Adds one decoder's counters to a running total.
void accumulate(DecoderStats& total, const DecoderStats& part);

// The counters line: {"summary": {decoder counters.., "input": {..}, "outputs": {name: {..}}}}
std::string summary_json(const LoopResult& result, const std::vector<SinkPtr>& sinks);

}  // namespace meterlab::reader
