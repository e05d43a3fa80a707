// The whole pipeline: bytes -> link framer -> reassembly -> security -> APDU -> A-XDR -> layout
// -> Telegram. Streaming: push bytes as they come, pull telegrams and rejections. Each rejection
// names the layer, the error and where (the layer's own offset plus the frame's place in the
// stream), and the counters say how many of each there were.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "meterlab/cosem/layout.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/hdlc/framer.hpp"
#include "meterlab/mbus/framer.hpp"

namespace meterlab {

enum class InputTransport : std::uint8_t { auto_detect, hdlc, mbus, apdu };
const char* transport_name(cosem::Transport t) noexcept;

struct Rejection {
  Error error;                   // error.offset: stream offset (hdlc, mbus) or APDU offset
  std::size_t frame_offset = 0;  // where in the stream the rejected bytes / message start
  std::size_t frame_length = 0;
  cosem::Transport transport = cosem::Transport::apdu;
  std::optional<dlms::SystemTitle> system_title;  // for security errors
  Layer layer() const noexcept { return layer_of(error.code); }
};

struct DecoderStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_ok = 0;  // link frames that passed every check
  std::uint64_t bytes_in_frames = 0;
  std::uint64_t bytes_discarded = 0;
  std::uint64_t resyncs = 0;
  std::uint64_t messages = 0;  // reassembled APDUs
  std::uint64_t telegrams = 0;
  std::uint64_t generic_layouts = 0;  // telegrams no layout identified (cosem::kGenericLayout)
  std::uint64_t rejections = 0;
  std::array<std::uint64_t, 800> by_code{};  // rejections per Errc value
  std::uint64_t count(Errc e) const noexcept { return by_code[static_cast<std::size_t>(e)]; }
};

class Decoder {
 public:
  enum class Event : std::uint8_t { need_more, telegram, rejection };

  explicit Decoder(InputTransport transport = InputTransport::auto_detect, dlms::KeyRing keys = {},
                   const cosem::LayoutSet* layouts = &cosem::LayoutSet::builtin());

  // Feed bytes; then call next() until need_more. Once the transport is known the bytes go
  // straight to its framer (inline: a serial reader may push one byte at a time).
  void push(Bytes bytes) {
    if (!link_->try_push(bytes)) push_other(bytes);
  }
  // End of input: flushes what is buffered (a raw APDU is decoded now; a partial frame becomes
  // a rejection). Call next() until need_more afterwards.
  void finish();
  Event next() {
    // The last call found a frame still arriving and nothing else to report: until its last
    // byte comes there is nothing new (the byte-at-a-time path stays this short). The test
    // reads the end push() has just moved, no counter of its own (no second store a byte).
    if (link_->waiting()) return Event::need_more;
    return next_event();
  }

  const cosem::Telegram& telegram() const noexcept { return telegram_; }
  const Rejection& rejection() const noexcept { return rejection_; }
  // Once the transport is known, bytes_in is its framer's: that framer has seen every byte.
  const DecoderStats& stats() const noexcept {
    if (transport_ == InputTransport::hdlc) stats_.bytes_in = hdlc_.stats().bytes_in;
    if (transport_ == InputTransport::mbus) stats_.bytes_in = mbus_.stats().bytes_in;
    return stats_;
  }
  // The transport in use (auto_detect until the first good frame decides it).
  InputTransport transport() const noexcept { return transport_; }
  // How often a body had the shape of one mapped before (cosem/shape_cache.hpp).
  const cosem::ShapeCacheStats& shape_stats() const noexcept { return shapes_.stats(); }
  // On by default. Off: every body goes through the layout walk (tests compare the two; the
  // benchmarks measure both).
  void use_shape_cache(bool on) noexcept {
    shape_cache_ = on;
    if (!on) shapes_.clear();
  }

 private:
  struct Meta {
    cosem::Transport transport;
    std::size_t offset;
    std::size_t length;
    std::uint32_t segments;
  };
  // Where push() appends: the framer buffer of the transport once it is known, else an empty
  // buffer of its own into which nothing fits (push() then goes the other way, with no test of
  // which case it is in). A copy of the Decoder starts out on its own empty buffer: push_other()
  // points it at the copy's framer again.
  class LinkInput {
   public:
    LinkInput() noexcept : to_(&none_) {}
    LinkInput(const LinkInput&) noexcept : LinkInput() {}
    LinkInput& operator=(const LinkInput&) noexcept {
      to_ = &none_;
      return *this;
    }
    ~LinkInput() = default;
    void set(StreamBuffer& framer_input) noexcept { to_ = &framer_input; }
    void reset() noexcept { to_ = &none_; }  // push() goes the other way, next() looks again
    StreamBuffer* operator->() const noexcept { return to_; }

   private:
    StreamBuffer none_{0};
    StreamBuffer* to_;
  };
  struct Security {
    dlms::SecurityState state = dlms::SecurityState::plain;
    std::optional<dlms::SystemTitle> system_title;
    std::optional<std::uint32_t> invocation_counter;
  };
  void push_other(Bytes bytes);
  Event next_event();
  Event pull_link();
  Event detect_next();
  template <class Framer, class LinkEvent>
  void pull_candidate(Framer& framer, std::deque<Rejection>& held,
                      std::optional<LinkEvent>& candidate, std::vector<std::uint8_t>& bytes,
                      cosem::Transport transport);
  Event detect_at_end();
  void lock(InputTransport t);
  Event on_hdlc(const hdlc::Event& ev);
  template <class LinkEvent, class Reassembler>
  Event on_link(const LinkEvent& ev, Reassembler& segments, bool& ready, cosem::Transport t);
  template <class Message>
  Event message(const Message& msg, cosem::Transport t);
  Event at_end();
  Event on_mbus(const mbus::Event& ev);
  Event on_apdu(Bytes apdu, const Meta& meta, const Security& sec);
  Event on_gbt(Bytes apdu, const Meta& meta, const Security& sec);
  Event on_notification(Bytes apdu, const Meta& meta, const Security& sec);
  Event mapped_telegram() noexcept;  // counts telegram_, mapped
  Event garbled_as_wrong_key(Event ev, const Security& inner);
  Event reject(Error e, const Meta& meta);
  Event emit(const Rejection& r);
  void detect(Bytes bytes);

  InputTransport transport_;
  dlms::KeyRing keys_;
  const cosem::LayoutSet* layouts_;
  hdlc::Framer hdlc_;
  hdlc::Reassembler hdlc_segments_;
  mbus::Framer mbus_;
  mbus::Reassembler mbus_segments_;
  dlms::GbtAssembler gbt_;
  std::vector<std::uint8_t> raw_;        // raw APDU input, and bytes seen before detection
  std::vector<std::uint8_t> plaintext_;  // decrypted APDU, reused
  std::vector<std::uint8_t> gbt_copy_;   // reassembled GBT APDU, reused
  dlms::CipheredApdu ciphered_;          // the ciphered APDU being opened, parsed in place
  dlms::DataNotification notification_;  // the APDU being decoded, parsed in place
  axdr::Document body_;
  cosem::ShapeCache shapes_;  // the meter's list shapes: bodies mapped without the walk
  cosem::MapTrace trace_;     // where the last walk read each value, for shapes_
  bool shape_cache_ = true;
  cosem::Telegram telegram_;
  Rejection rejection_;
  mutable DecoderStats stats_;       // bytes_in filled in by stats() once the transport is known
  std::deque<Rejection> pending_;    // link discards waiting to be reported, in stream order
  std::deque<Rejection> held_hdlc_;  // discards seen before the transport was known
  std::deque<Rejection> held_mbus_;
  std::optional<hdlc::Event> held_h_;  // the frame that decided the transport
  std::optional<mbus::Event> held_m_;
  std::optional<hdlc::Event> candidate_h_;  // auto-detection: a good frame not yet decided on
  std::optional<mbus::Event> candidate_m_;
  std::vector<std::uint8_t> candidate_bytes_h_;  // their bytes (the framers' buffers move on)
  std::vector<std::uint8_t> candidate_bytes_m_;
  Meta gbt_meta_{};                 // where the first block of a block transfer came from
  std::size_t hdlc_accounted_ = 0;  // stream offset up to which good frames are counted
  std::size_t mbus_accounted_ = 0;
  LinkInput link_;
  bool finished_ = false;
  bool raw_flushed_ = false;
  bool link_finished_ = false;
  bool end_reported_ = false;
  bool hdlc_ready_ = false;  // a frame that caused a reassembly error is a whole message itself
  bool mbus_ready_ = false;
};

}  // namespace meterlab
