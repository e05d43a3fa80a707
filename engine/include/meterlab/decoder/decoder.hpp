// The whole pipeline: bytes -> link framer -> reassembly -> security -> APDU -> A-XDR -> layout
// -> Telegram. Streaming: push bytes as they come, pull telegrams and rejections. Each rejection
// names the layer, the error and where (the layer's own offset plus the frame's place in the
// stream), and the counters say how many of each there were.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "meterlab/cosem/layout.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/cosem/time_zone.hpp"
#include "meterlab/decoder/link.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/p1/parser_memory.hpp"
#include "meterlab/p1/telegram.hpp"

namespace meterlab {

enum class InputTransport : std::uint8_t { auto_detect, hdlc, mbus, apdu, p1 };
// The input transports by name, in the order of InputTransport: the one table of them that the
// command line, the configuration, the vector files and the external-decoder mode read.
inline constexpr std::array<std::pair<std::string_view, InputTransport>, 5> kInputTransports{{
    {"auto", InputTransport::auto_detect},
    {"hdlc", InputTransport::hdlc},
    {"mbus", InputTransport::mbus},
    {"apdu", InputTransport::apdu},
    {"p1", InputTransport::p1},
}};
constexpr std::string_view input_transport_name(InputTransport t) noexcept {
  return kInputTransports[static_cast<std::size_t>(t)].first;
}
constexpr std::optional<InputTransport> parse_input_transport(std::string_view s) noexcept {
  for (const auto& [name, transport] : kInputTransports) {
    if (name == s) return transport;
  }
  return std::nullopt;
}
const char* transport_name(cosem::Transport t) noexcept;

struct DecoderStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_ok = 0;  // link frames that passed every check
  std::uint64_t bytes_in_frames = 0;
  std::uint64_t bytes_discarded = 0;
  std::uint64_t resyncs = 0;
  std::uint64_t messages = 0;  // reassembled APDUs
  std::uint64_t telegrams = 0;
  std::uint64_t generic_layouts = 0;  // telegrams no layout identified (cosem::kGenericLayout)
  std::uint64_t clock_warnings = 0;   // impossible clocks in telegrams (Telegram::clock_warnings)
  std::uint64_t rejections = 0;
  std::array<std::uint64_t, kErrcTableSize> by_code{};  // rejections per Errc value
  std::uint64_t count(Errc e) const noexcept { return by_code[static_cast<std::size_t>(e)]; }
};

class Decoder {
 public:
  enum class Event : std::uint8_t { need_more, telegram, rejection };

  explicit Decoder(InputTransport transport = InputTransport::auto_detect, dlms::KeyRing keys = {},
                   const cosem::LayoutSet* layouts = &cosem::LayoutSet::builtin());
  // push() appends through a pointer into the Decoder's own channel: no copies (nothing needs
  // one), and no moves.
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  ~Decoder() = default;

  // Feed bytes; then call next() until need_more. Once the transport is known the bytes go
  // straight to its framer (inline: a serial reader may push one byte at a time).
  void push(Bytes bytes) {
    if (!input_->try_push(bytes)) push_other(bytes);
  }
  // End of input: flushes what is buffered (a raw APDU is decoded now; a partial frame becomes
  // a rejection). Call next() until need_more afterwards.
  void finish();
  Event next() {
    // The last call found a frame still arriving and nothing else to report: until its last
    // byte comes there is nothing new (the byte-at-a-time path stays this short). The test
    // reads the end push() has just moved, no counter of its own (no second store a byte).
    if (input_->waiting()) return Event::need_more;
    return next_awake();
  }

  const cosem::Telegram& telegram() const noexcept { return telegram_; }
  const Rejection& rejection() const noexcept { return rejection_; }
  // Once the transport is known, bytes_in is its framer's: that framer has seen every byte.
  const DecoderStats& stats() const noexcept {
    if (const auto* h = std::get_if<HdlcChannel>(&link_)) {
      stats_.bytes_in = h->framer.stats().bytes_in;
    } else if (const auto* m = std::get_if<MbusChannel>(&link_)) {
      stats_.bytes_in = m->framer.stats().bytes_in;
    } else if (const auto* p = std::get_if<P1Channel>(&link_)) {
      stats_.bytes_in = p->framer.stats().bytes_in;
    }
    return stats_;
  }
  // The transport in use (auto_detect until the first good frame decides it).
  InputTransport transport() const noexcept { return static_cast<InputTransport>(link_.index()); }
  // How often a body had the shape of one mapped before (cosem/shape_cache.hpp).
  const cosem::ShapeCacheStats& shape_stats() const noexcept { return shapes_.stats(); }
  // On by default. Off: every body goes through the layout walk (tests compare the two; the
  // benchmarks measure both).
  // The meter's time zone (cosem/time_zone.hpp; null: its family's default, if any): where a
  // telegram's UTC time comes from when the meter sends no deviation or its family's is wrong.
  void set_time_zone(const cosem::TimeZone* zone) noexcept { zone_ = zone; }
  void use_shape_cache(bool on) noexcept {
    shape_cache_ = on;
    p1_memory_.enable(on);  // the P1 telegram shape memory too (p1/parser_memory.hpp)
    if (!on) shapes_.clear();
  }

 private:
  struct Meta {
    cosem::Transport transport;
    std::size_t offset;
    std::size_t length;
    std::uint32_t segments;
  };
  struct Security {
    dlms::SecurityState state = dlms::SecurityState::plain;
    std::optional<dlms::SystemTitle> system_title;
    std::optional<std::uint32_t> invocation_counter;
  };
  // The link end, in the order of InputTransport: what the transport is, is which one is held.
  using Link = std::variant<LinkDetector, HdlcChannel, MbusChannel, RawApdu, P1Channel>;

  static Link make_link(InputTransport transport);
  void push_other(Bytes bytes);
  StreamBuffer* framer_input() noexcept;
  Event next_awake();
  Event next_event();
  void drop_gbt();
  Event pull(LinkDetector& detector);
  template <class L>
  Event pull(LinkChannel<L>& channel);
  Event pull(RawApdu& raw);
  template <class L>
  Event pull_framer(LinkChannel<L>& channel);
  template <class L>
  Event lock(LinkChannel<L>& won, std::uint64_t lost_resyncs);
  Event detect_at_end(LinkDetector& detector);
  template <class L>
  Event on_link(LinkChannel<L>& channel, const typename L::Event& ev);
  template <class L>
  Event on_segment(LinkChannel<L>& channel, const typename L::Frame& frame);
  template <class Message>
  Event message(const Message& msg, cosem::Transport t);
  template <class L>
  Event at_end(LinkChannel<L>& channel);
  Event on_p1(const p1::Frame& f);
  Event p1_problem();
  Event on_apdu(Bytes apdu, const Meta& meta, const Security& sec);
  Event on_gbt(Bytes apdu, const Meta& meta, const Security& sec);
  Event on_notification(Bytes apdu, const Meta& meta, const Security& sec);
  Error apdu_timestamp(const dlms::DataNotification& dn, Bytes apdu);
  Event mapped_telegram(Error apdu_clock);  // counts telegram_, mapped, and its clock warnings
  Event garbled_as_wrong_key(Event ev, const Security& inner);
  Event reject(Error e, const Meta& meta);
  Event emit(const Rejection& r);

  dlms::KeyRing keys_;
  const cosem::LayoutSet* layouts_;
  // Where push() appends: the framer buffer of the channel once the transport is known, else
  // none_, an empty buffer into which nothing fits (push() then goes the other way, with no test
  // of which case it is in).
  StreamBuffer* input_;
  StreamBuffer none_{0};
  Link link_;
  std::uint64_t lost_resyncs_ = 0;  // resyncs of the framers auto-detection dropped
  dlms::GbtAssembler gbt_;
  std::vector<std::uint8_t> plaintext_;  // decrypted APDU, reused
  std::vector<std::uint8_t> gbt_copy_;   // reassembled GBT APDU, reused
  dlms::CipheredApdu ciphered_;          // the ciphered APDU being opened, parsed in place
  dlms::DataNotification notification_;  // the APDU being decoded, parsed in place
  axdr::Document body_;
  cosem::ShapeCache shapes_;  // the meter's list shapes: bodies mapped without the walk
  cosem::MapTrace trace_;     // where the last walk read each value, for shapes_
  bool shape_cache_ = true;
  const cosem::TimeZone* zone_ = nullptr;
  cosem::FamilyZoneCache family_zone_;
  cosem::Telegram telegram_;
  Rejection rejection_;
  mutable DecoderStats stats_;  // bytes_in filled in by stats() once the transport is known
  Meta gbt_meta_{};             // where the first block of a block transfer came from
  std::optional<Rejection> gbt_dropped_;  // an unfinished block transfer, not reported yet
  // The line problems of the last P1 telegram, reported after it (p1_problem()), and its frame.
  p1::Problems p1_problems_;
  p1::ParserMemory p1_memory_;  // the meter's P1 telegram shape
  std::size_t p1_reported_ = 0;
  Meta p1_meta_{};
  bool finished_ = false;
};

}  // namespace meterlab
