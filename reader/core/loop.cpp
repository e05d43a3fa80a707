// The read loop: poll the source, push what arrived to the decoder, hand every event to every
// sink; reopen a lost source with back-off; finish cleanly on a stop request.
#include "meterlab/reader/loop.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "meterlab/decoder/json.hpp"

namespace meterlab::reader {
namespace {

constexpr int kPollMs = 250;  // how often a quiet loop looks at the stop flag and ticks
constexpr auto kTickEvery = std::chrono::milliseconds(250);

// Hex text arriving in chunks: white space and ':' '-' separators ignored, a digit pair may be
// split across chunks.
class HexStream {
 public:
  // Appends the bytes of `text` to `out`; false on a character that is not hex (bad_offset()).
  bool feed(std::string_view text, std::vector<std::uint8_t>& out) {
    for (char c : text) {
      ++consumed_;
      int v = nibble(c);
      if (v == kSkip) continue;
      if (v < 0) return false;
      if (high_ < 0) {
        high_ = v;
      } else {
        out.push_back(static_cast<std::uint8_t>((high_ << 4) | v));
        high_ = -1;
      }
    }
    return true;
  }
  bool complete() const { return high_ < 0; }
  std::size_t bad_offset() const { return consumed_ - 1; }

 private:
  static constexpr int kSkip = -2;
  static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':' || c == '-') return kSkip;
    return -1;
  }
  int high_ = -1;
  std::size_t consumed_ = 0;
};

std::uint64_t ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count()));
}

class ReadLoop {
 public:
  ReadLoop(Source& source, const LoopOptions& options, const DecoderFactory& make,
           std::vector<SinkPtr>& sinks, const volatile std::sig_atomic_t& stop)
      : source_(source),
        options_(options),
        make_(make),
        sinks_(sinks),
        stop_(stop),
        backoff_(options.backoff_initial, options.backoff_max) {}

  LoopResult run() {
    result_.input.source = source_.name();
    result_.input.kind = source_.kind();
    if (std::string err = source_.open(); !err.empty()) {
      result_.error = err;
      return close_sinks();
    }
    opened(0);
    decoder_ = make_();
    for (;;) {
      Ending e = pump();
      connection().end = e.reason;
      if (e.kind != ReadOutcome::Kind::lost || !options_.reopen || !source_.reopenable()) break;
      finish_decoder();
      if (!reconnect()) break;
      decoder_ = make_();
    }
    source_.close();
    if (!hex_.complete()) result_.warnings.push_back("odd number of hex digits; last one ignored");
    finish_decoder();
    return close_sinks();
  }

 private:
  struct Ending {
    ReadOutcome::Kind kind;
    std::string reason;
  };

  // Reads until the input ends, is lost, a fatal error, or a stop request.
  Ending pump() {
    std::array<std::uint8_t, 65536> buf{};
    bool fresh = true;  // no byte yet on this connection
    while (stop_ == 0) {
      pollfd p{source_.fd(), POLLIN, 0};
      int r = ::poll(&p, 1, kPollMs);
      tick_if_due();
      if (r <= 0) continue;  // quiet, or EINTR (a signal: the loop test looks at it)
      ReadOutcome o = source_.read(buf);
      if (o.kind == ReadOutcome::Kind::again && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
        o = {ReadOutcome::Kind::lost, 0, "hung up"};
      }
      if (o.kind == ReadOutcome::Kind::again) continue;
      if (o.kind == ReadOutcome::Kind::end) return {o.kind, "end of input"};
      if (o.kind == ReadOutcome::Kind::lost) return {o.kind, o.reason};
      if (fresh) backoff_.reset();  // a connection that delivers is a good one
      fresh = false;
      if (!take(Bytes(buf.data(), o.bytes))) return {ReadOutcome::Kind::end, "not hex text"};
    }
    result_.stopped = true;
    return {ReadOutcome::Kind::end, "stopped"};
  }

  // Counts and decodes one chunk; false on hex text that is not hex (fatal).
  bool take(Bytes chunk) {
    result_.input.bytes += chunk.size();
    connection().bytes += chunk.size();
    if (!options_.hex) {
      decoder_->push(chunk);
      deliver();
      return true;
    }
    hex_bytes_.clear();
    bool ok = hex_.feed(std::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size()),
                        hex_bytes_);
    decoder_->push(hex_bytes_);
    deliver();
    if (!ok) result_.error = "not hex text at character " + std::to_string(hex_.bad_offset());
    return ok;
  }

  // Every event the decoder has ready, to every sink.
  void deliver() {
    for (;;) {
      Decoder::Event ev = decoder_->next();
      if (ev == Decoder::Event::need_more) return;
      Received rc{WallClock::now(), source_.name()};
      if (ev == Decoder::Event::telegram) meters_.attribute(decoder_->telegram(), rc);
      for (auto& sink : sinks_) {
        if (ev == Decoder::Event::telegram) {
          sink->telegram(decoder_->telegram(), rc);
        } else {
          sink->rejection(decoder_->rejection(), rc);
        }
      }
    }
  }

  // The partial frame (if any) becomes a rejection; the decoder's counters join the total.
  void finish_decoder() {
    if (!decoder_) return;
    decoder_->finish();
    deliver();
    accumulate(result_.decoder, decoder_->stats());
    decoder_.reset();
  }

  // Waits with back-off and reopens; false when stopped first.
  bool reconnect() {
    ++result_.input.disconnects;
    source_.close();
    const auto lost_at = SteadyClock::now();
    while (stop_ == 0) {
      const auto until = SteadyClock::now() + backoff_.next();
      while (stop_ == 0 && SteadyClock::now() < until) {
        ::poll(nullptr, 0,
               static_cast<int>(
                   std::min<std::uint64_t>(kPollMs, ms_between(SteadyClock::now(), until) + 1)));
        tick_if_due();
      }
      if (stop_ != 0) break;
      if (source_.open().empty()) {
        ++result_.input.reopens;
        opened(ms_between(lost_at, SteadyClock::now()));
        return true;
      }
      ++result_.input.failed_opens;
    }
    result_.input.disconnected_ms += ms_between(lost_at, SteadyClock::now());
    result_.stopped = true;
    return false;
  }

  void opened(std::uint64_t gap_ms) {
    ++result_.input.opens;
    result_.input.disconnected_ms += gap_ms;
    auto& list = result_.input.connections;
    if (list.size() == InputStats::kMaxConnections) list.pop_front();
    list.push_back(Connection{0, gap_ms, {}});
  }

  Connection& connection() { return result_.input.connections.back(); }

  void tick_if_due() {
    const auto now = SteadyClock::now();
    if (now - last_tick_ < kTickEvery) return;
    last_tick_ = now;
    for (auto& sink : sinks_) sink->tick(now);
  }

  // Every sink delivers what is queued, all within the close limit together.
  LoopResult close_sinks() {
    const auto deadline = SteadyClock::now() + options_.close_limit;
    for (auto& sink : sinks_) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      sink->close(std::max(left, std::chrono::milliseconds(0)));
    }
    return std::move(result_);
  }

  Source& source_;
  const LoopOptions& options_;
  const DecoderFactory& make_;
  std::vector<SinkPtr>& sinks_;
  const volatile std::sig_atomic_t& stop_;
  Backoff backoff_;
  std::unique_ptr<Decoder> decoder_;
  MeterAttribution meters_;  // the input's meters, across reconnects
  HexStream hex_;
  std::vector<std::uint8_t> hex_bytes_;
  SteadyClock::time_point last_tick_{};
  LoopResult result_;
};

nlohmann::json input_json(const InputStats& s) {
  nlohmann::json conns = nlohmann::json::array();
  for (const auto& c : s.connections) {
    conns.push_back({{"bytes", c.bytes}, {"gap_before_ms", c.gap_before_ms}, {"end", c.end}});
  }
  return {{"source", s.source},
          {"kind", source_kind_name(s.kind)},
          {"bytes", s.bytes},
          {"opens", s.opens},
          {"reopens", s.reopens},
          {"disconnects", s.disconnects},
          {"failed_opens", s.failed_opens},
          {"disconnected_ms", s.disconnected_ms},
          {"connections", conns}};
}

nlohmann::json outputs_json(const std::vector<SinkPtr>& sinks) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& sink : sinks) {
    SinkStats st = sink->stats();
    out[std::string(sink->name())] = {{"telegrams", st.telegrams},   {"delivered", st.delivered},
                                      {"failed", st.failed},         {"queued", st.queued},
                                      {"reconnects", st.reconnects}, {"last_error", st.last_error}};
  }
  return out;
}

}  // namespace

std::chrono::milliseconds Backoff::next() noexcept {
  const auto now = next_;
  next_ = std::min(max_, next_ * 2);
  return now;
}

LoopResult run_read_loop(Source& source, const LoopOptions& options, const DecoderFactory& make,
                         std::vector<SinkPtr>& sinks, const volatile std::sig_atomic_t& stop) {
  return ReadLoop(source, options, make, sinks, stop).run();
}

void accumulate(DecoderStats& total, const DecoderStats& part) {
  total.bytes_in += part.bytes_in;
  total.frames_ok += part.frames_ok;
  total.bytes_in_frames += part.bytes_in_frames;
  total.bytes_discarded += part.bytes_discarded;
  total.resyncs += part.resyncs;
  total.messages += part.messages;
  total.telegrams += part.telegrams;
  total.generic_layouts += part.generic_layouts;
  total.rejections += part.rejections;
  for (std::size_t i = 0; i < total.by_code.size(); ++i) total.by_code[i] += part.by_code[i];
}

std::string summary_json(const LoopResult& result, const std::vector<SinkPtr>& sinks) {
  std::string counters;
  append_json(result.decoder, counters);
  // The decoder's counters object, with the input and the outputs added at its end.
  if (!counters.empty() && counters.back() == '}') counters.pop_back();
  nlohmann::json input = input_json(result.input);
  input["stopped"] = result.stopped;  // ended by SIGINT/SIGTERM, not by the input
  counters += ",\"input\":" + input.dump();
  counters += ",\"outputs\":" + outputs_json(sinks).dump() + "}";
  return "{\"summary\":" + counters + "}";
}

}  // namespace meterlab::reader
