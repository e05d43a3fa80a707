#include "meterlab/decoder/decoder.hpp"

#include <algorithm>
#include <array>
#include <type_traits>
#include <variant>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/p1/secure.hpp"

namespace meterlab {

namespace {

// A general-block-transfer APDU with block number 1 (E0, control, number (2), ...: Green Book
// 9.3.10), which starts a new transfer.
bool starts_transfer(Bytes gbt) {
  ByteReader r(gbt);
  if (!r.skip(2)) return false;  // E0, block-control
  const auto number = r.read_u16be();
  return number && *number == 1;
}

}  // namespace

const char* transport_name(cosem::Transport t) noexcept {
  switch (t) {
    case cosem::Transport::hdlc:
      return "hdlc";
    case cosem::Transport::mbus:
      return "mbus";
    case cosem::Transport::apdu:
      return "apdu";
    case cosem::Transport::p1:
      return "p1";
  }
  return "apdu";
}

// The link end a transport starts with: InputTransport numbers the alternatives of Link.
Decoder::Link Decoder::make_link(InputTransport transport) {
  constexpr auto at = [](InputTransport t) { return static_cast<std::size_t>(t); };
  static_assert(std::is_same_v<std::variant_alternative_t<at(InputTransport::auto_detect), Link>,
                               LinkDetector>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<at(InputTransport::hdlc), Link>, HdlcChannel>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<at(InputTransport::mbus), Link>, MbusChannel>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<at(InputTransport::apdu), Link>, RawApdu>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<at(InputTransport::p1), Link>, P1Channel>);
  switch (transport) {
    case InputTransport::hdlc:
      return Link(std::in_place_type<HdlcChannel>);
    case InputTransport::mbus:
      return Link(std::in_place_type<MbusChannel>);
    case InputTransport::apdu:
      return Link(std::in_place_type<RawApdu>);
    case InputTransport::p1:
      return Link(std::in_place_type<P1Channel>);
    default:
      return Link(std::in_place_type<LinkDetector>);
  }
}

Decoder::Decoder(InputTransport transport, dlms::KeyRing keys, const cosem::LayoutSet* layouts)
    : keys_(std::move(keys)), layouts_(layouts), input_(&none_), link_(make_link(transport)) {
  if (auto* detector = std::get_if<LinkDetector>(&link_)) detector->keys = &keys_;
}

StreamBuffer* Decoder::framer_input() noexcept {
  if (auto* h = std::get_if<HdlcChannel>(&link_)) return &h->framer.input();
  if (auto* m = std::get_if<MbusChannel>(&link_)) return &m->framer.input();
  if (auto* p = std::get_if<P1Channel>(&link_)) return &p->framer.input();
  return nullptr;
}

// push() when the bytes did not go straight into the framer's buffer: they need it compacted or
// grown, or the transport is not known yet (or the input is a raw APDU), or this Decoder's
// transport was given and its first push has to find the framer. After finish() push() keeps
// coming here: next() must not wait on the framer any more.
void Decoder::push_other(Bytes bytes) {
  if (StreamBuffer* input = framer_input()) {
    if (!finished_) input_ = input;
    input->push(bytes);
    return;
  }
  stats_.bytes_in += bytes.size();
  if (auto* raw = std::get_if<RawApdu>(&link_)) {
    raw->bytes.insert(raw->bytes.end(), bytes.begin(), bytes.end());
  } else {
    std::get<LinkDetector>(link_).push(bytes);
  }
}

// The framer's wait no longer holds next() back: pushes go the other way from now on.
void Decoder::finish() {
  finished_ = true;
  input_ = &none_;
}

Decoder::Event Decoder::reject(Error e, const Meta& meta) {
  return emit(Rejection{e, meta.offset, meta.length, meta.transport, std::nullopt});
}

Decoder::Event Decoder::emit(const Rejection& r) {
  rejection_ = r;
  ++stats_.rejections;
  ++stats_.by_code[static_cast<std::size_t>(r.error.code)];
  return Event::rejection;
}

// The wait ended. A P1 telegram is waited for until a '!' comes: its bytes are looked at as they
// are stored, and here (StreamBuffer::rearm()) when the watch's wait ends, not by the framer.
// The other links pay one test a wait.
Decoder::Event Decoder::next_awake() {
  if (input_->rearm()) return Event::need_more;
  return next_event();
}

// A block transfer left unfinished is reported after the event that showed it (a new message,
// which may be a telegram) or, at the end of input, once nothing else is left.
Decoder::Event Decoder::next_event() {
  if (!gbt_dropped_) {
    const Event ev = std::visit([this](auto& link) { return pull(link); }, link_);
    if (ev != Event::need_more) return ev;
    if (finished_ && gbt_.pending()) drop_gbt();
    if (!gbt_dropped_) return ev;
  }
  const Rejection r = *gbt_dropped_;
  gbt_dropped_.reset();
  return emit(r);
}

// The pending block transfer will never be finished: it is dropped, and said so (the error's
// offset: how much of the APDU had come).
void Decoder::drop_gbt() {
  const Meta& m = gbt_meta_;
  const Error e{Errc::dlms_gbt_unfinished, gbt_.apdu().size()};
  gbt_dropped_ = Rejection{e, m.offset, m.length, m.transport, std::nullopt};
  gbt_.reset();
}

Decoder::Event Decoder::pull(LinkDetector& detector) {
  stats_.resyncs = detector.resyncs();
  switch (detector.decide(finished_)) {
    case LinkDetector::Winner::hdlc:
      return lock(detector.hdlc, detector.mbus.framer.stats().resyncs);
    case LinkDetector::Winner::mbus:
      return lock(detector.mbus, detector.hdlc.framer.stats().resyncs);
    case LinkDetector::Winner::p1:
      return lock(detector.p1, detector.resyncs());
    case LinkDetector::Winner::neither:
      return detect_at_end(detector);
    case LinkDetector::Winner::undecided:
      break;
  }
  return Event::need_more;
}

// The winning channel becomes the Decoder's (moved out of the detector first: the variant's
// storage changes under it); its held discards and frame are reported first.
template <class L>
Decoder::Event Decoder::lock(LinkChannel<L>& won, std::uint64_t lost_resyncs) {
  lost_resyncs_ = lost_resyncs;
  LinkChannel<L> channel = std::move(won);
  LinkChannel<L>& kept = link_.emplace<LinkChannel<L>>(std::move(channel));
  if (!finished_) input_ = &kept.framer.input();
  return next();
}

// The input ended before any good frame: a bare APDU, or else everything the HDLC framer saw
// is reported as discarded.
Decoder::Event Decoder::detect_at_end(LinkDetector& detector) {
  if (detector.bare_apdu(stats_.bytes_in)) {
    lost_resyncs_ = detector.resyncs();
    RawApdu raw{std::move(detector.first_bytes)};
    link_.emplace<RawApdu>(std::move(raw));
    return next();
  }
  return lock(detector.hdlc, detector.mbus.framer.stats().resyncs);
}

Decoder::Event Decoder::pull(RawApdu& raw) {
  stats_.resyncs = lost_resyncs_;
  if (!finished_ || raw.decoded) return Event::need_more;
  raw.decoded = true;
  stats_.bytes_in_frames += raw.bytes.size();
  return on_apdu(raw.bytes, Meta{cosem::Transport::apdu, 0, raw.bytes.size(), 1}, Security{});
}

// The channel's discards held from auto-detection, the frame that decided it, a message a
// reassembly error left whole, then its framer.
template <class L>
Decoder::Event Decoder::pull(LinkChannel<L>& channel) {
  stats_.resyncs = lost_resyncs_ + channel.framer.stats().resyncs;
  if (!channel.discards.empty()) {
    const Rejection r = channel.discards.front();
    channel.discards.pop_front();
    stats_.bytes_discarded += r.frame_length;
    return emit(r);
  }
  if (channel.frame) {
    const typename L::Event ev = *channel.frame;
    channel.frame.reset();
    const Event out = on_link(channel, ev);
    if (out != Event::need_more || gbt_dropped_) return out;
  }
  if constexpr (L::kSegmented) {
    if (channel.ready) {
      channel.ready = false;
      return message(channel.segments.message(), L::kTransport);
    }
  } else {
    if (p1_reported_ < p1_problems_.kept().size()) return p1_problem();
  }
  return pull_framer(channel);
}

template <class L>
Decoder::Event Decoder::pull_framer(LinkChannel<L>& channel) {
  for (;;) {
    typename L::Event ev = channel.framer.next();
    if (ev.kind == L::Event::Kind::need_more) {
      if (!finished_) return Event::need_more;  // next() waits on the framer's wait
      if (channel.end != LinkChannel<L>::End::open) return at_end(channel);
      channel.end = LinkChannel<L>::End::framer_finished;
      ev = channel.framer.finish();
      if (ev.kind == L::Event::Kind::need_more) return at_end(channel);
    }
    const Event out = on_link(channel, ev);
    // A block transfer a frame abandoned is reported before the next frame is read, however
    // the bytes arrive.
    if (out != Event::need_more || gbt_dropped_) return out;
  }
}

// One link frame: a discard becomes a rejection; a frame goes to its layer's reassembler, and a
// whole message on to the APDU layers (a P1 frame is a whole telegram).
template <class L>
Decoder::Event Decoder::on_link(LinkChannel<L>& channel, const typename L::Event& ev) {
  if (ev.kind == L::Event::Kind::discard) {
    stats_.bytes_discarded += ev.discard.length;
    return emit(link_rejection(ev.discard, L::kTransport));
  }
  ++stats_.frames_ok;
  // Two HDLC frames may share a flag (ISO/IEC 13239 4.3.1): that byte is counted once.
  std::size_t& accounted = channel.accounted;
  const std::size_t end = ev.frame.stream_offset + ev.frame.length;
  stats_.bytes_in_frames += end - std::max(ev.frame.stream_offset, std::min(accounted, end));
  accounted = std::max(accounted, end);
  if constexpr (L::kSegmented) {
    return on_segment(channel, ev.frame);
  } else {
    return on_p1(ev.frame);
  }
}

// A link frame to its reassembler: a whole message goes on to the APDU layers.
template <class L>
Decoder::Event Decoder::on_segment(LinkChannel<L>& channel, const typename L::Frame& frame) {
  auto done = channel.segments.push(frame);
  if (!done) {
    // The frame that broke the pending message may be a whole message of its own: it is
    // decoded on the next call, after this rejection.
    channel.ready = channel.segments.ready();
    return reject(done.error(), Meta{L::kTransport, frame.stream_offset, frame.length, 1});
  }
  if (!*done) return Event::need_more;
  return message(channel.segments.message(), L::kTransport);
}

template <class Message>
Decoder::Event Decoder::message(const Message& msg, cosem::Transport transport) {
  ++stats_.messages;
  return on_apdu(msg.apdu, Meta{transport, msg.stream_offset, msg.length, msg.segments},
                 Security{});
}

// End of input with a message still waiting for segments: it is dropped, and said so.
template <class L>
Decoder::Event Decoder::at_end(LinkChannel<L>& channel) {
  if constexpr (!L::kSegmented) {
    return Event::need_more;
  } else {
    if (channel.end == LinkChannel<L>::End::reported) return Event::need_more;
    channel.end = LinkChannel<L>::End::reported;
    if (!channel.segments.pending()) return Event::need_more;
    const auto& m = channel.segments.message();
    const Meta meta{L::kTransport, m.stream_offset, m.length, m.segments};
    channel.segments.reset();
    return reject(Error{L::kUnfinished, meta.offset + meta.length}, meta);
  }
}

// One P1 frame: a text telegram parsed, an encrypted one opened with the Decoder's keys first.
// Its line problems (p1_bad_line, p1_bad_timestamp) do not stop it: they are reported after it.
Decoder::Event Decoder::on_p1(const p1::Frame& f) {
  ++stats_.messages;
  p1_meta_ = Meta{cosem::Transport::p1, f.stream_offset, f.length, 1};
  p1_problems_.clear();
  p1_reported_ = 0;
  const auto d = p1::decode_frame(f, keys_, plaintext_, telegram_, p1_problems_, p1_memory_);
  if (!d) {
    p1_problems_.clear();
    return reject(d.error(), p1_meta_);
  }
  telegram_.segments = 1;
  telegram_.check = static_cast<std::uint8_t>(d->check);
  telegram_.warning = d->warning;
  cosem::resolve_clock(telegram_, zone_, &family_zone_);
  ++stats_.telegrams;
  return Event::telegram;
}

Decoder::Event Decoder::p1_problem() {
  return reject(p1_problems_.kept()[p1_reported_++], p1_meta_);
}

Decoder::Event Decoder::on_apdu(Bytes apdu, const Meta& meta, const Security& sec) {
  // A bare APDU may still carry the LLC header it had inside an HDLC frame.
  if (meta.transport == cosem::Transport::apdu && llc_in_front(apdu)) {
    apdu = apdu.subspan(kLlcResponse.size());
  }
  if (apdu.empty()) return reject(Error{Errc::truncated, 0}, meta);
  switch (apdu[0]) {
    case dlms::kDataNotification:
      return on_notification(apdu, meta, sec);
    case dlms::kGeneralBlockTransfer:
      return on_gbt(apdu, meta, sec);
    case dlms::kGeneralGloCiphering:
    case dlms::kGeneralDedCiphering: {
      if (sec.state != dlms::SecurityState::plain) {
        return reject(Error{Errc::dlms_unknown_apdu, 0}, meta);  // ciphering inside ciphering
      }
      dlms::CipheredApdu& c = ciphered_;
      const auto parsed = dlms::parse_ciphered(apdu, c);
      if (!parsed) return reject(parsed.error(), meta);
      auto d = dlms::decrypt(c, keys_, plaintext_);
      if (!d) {
        Event e = reject(d.error(), meta);
        rejection_.system_title = c.system_title;
        return e;
      }
      Security inner{d->state, c.system_title, c.invocation_counter};
      if (!d->plaintext.empty() && d->plaintext[0] == dlms::kGeneralBlockTransfer) {
        return garbled_as_wrong_key(on_gbt(d->plaintext, meta, inner), inner);
      }
      if (!d->plaintext.empty() && d->plaintext[0] == dlms::kDataNotification) {
        return garbled_as_wrong_key(on_notification(d->plaintext, meta, inner), inner);
      }
      return garbled_as_wrong_key(reject(Error{Errc::dlms_unknown_apdu, 0}, meta), inner);
    }
    default:
      return reject(Error{Errc::dlms_unknown_apdu, 0}, meta);
  }
}

// Without a tag, a wrong key shows only as plaintext that does not parse: the link checksums
// held, so the bytes arrived as the meter sent them. A length, APDU or A-XDR error inside such a
// plaintext is counted as a wrong key (at the offset where the plaintext stopped making sense),
// not as a malformed meter message. Under a verified tag the key is right: the error stands.
Decoder::Event Decoder::garbled_as_wrong_key(Event ev, const Security& inner) {
  if (ev != Event::rejection || inner.state == dlms::SecurityState::authenticated) return ev;
  const Layer layer = rejection_.layer();
  if (layer != Layer::core && layer != Layer::dlms && layer != Layer::axdr) return ev;
  --stats_.by_code[static_cast<std::size_t>(rejection_.error.code)];
  rejection_.error.code = Errc::security_wrong_key;
  ++stats_.by_code[static_cast<std::size_t>(Errc::security_wrong_key)];
  rejection_.system_title = inner.system_title;
  return ev;
}

// General block transfer: blocks of one APDU across frames. The telegram's place in the stream
// runs from the first block's frame to the last one's.
Decoder::Event Decoder::on_gbt(Bytes apdu, const Meta& meta, const Security& sec) {
  if (gbt_.pending() && starts_transfer(apdu)) drop_gbt();  // a new transfer: block 1
  auto done = gbt_.push(apdu);
  if (!done) {
    gbt_.reset();
    return reject(done.error(), meta);
  }
  if (gbt_.blocks() == 1) gbt_meta_ = Meta{meta.transport, meta.offset, 0, 0};
  gbt_meta_.length = meta.offset + meta.length - gbt_meta_.offset;
  gbt_meta_.segments += meta.segments;
  if (!*done) return Event::need_more;
  gbt_copy_.assign(gbt_.apdu().begin(), gbt_.apdu().end());
  Meta whole = gbt_meta_;
  gbt_.reset();
  return on_apdu(gbt_copy_, whole, sec);
}

Decoder::Event Decoder::on_notification(Bytes apdu, const Meta& meta, const Security& sec) {
  if (gbt_.pending()) drop_gbt();  // a new message while a block transfer waits for blocks
  dlms::DataNotification& dn = notification_;
  const auto parsed = dlms::parse_data_notification(apdu, dn);
  if (!parsed) return reject(parsed.error(), meta);
  // Every field is cleared but the readings: each way of mapping the body below writes them
  // whole, and the shape cache then copies over the last telegram's in place (one memmove).
  std::vector<cosem::Reading> readings = std::move(telegram_.readings);
  telegram_.clear();
  telegram_.readings = std::move(readings);
  telegram_.transport = meta.transport;
  telegram_.stream_offset = meta.offset;
  telegram_.length = meta.length;
  telegram_.segments = meta.segments;
  telegram_.security = static_cast<std::uint8_t>(sec.state);
  telegram_.system_title = sec.system_title;
  telegram_.invocation_counter = sec.invocation_counter;
  telegram_.invoke_id = dn.long_invoke_id_and_priority;
  const Error apdu_clock = apdu_timestamp(dn, apdu);
  // A body of a shape mapped before is read in place (every byte but the values compared).
  if (shape_cache_ && shapes_.map(dn.body, dn.body_offset, telegram_)) {
    return mapped_telegram(apdu_clock);
  }
  // Else the A-XDR tape, then the layout walk, which notes where the values were: the shape is
  // remembered, unless a clock of the body was impossible (the cache would give it as null
  // without its warning).
  auto used = axdr::parse(dn.body, body_, dn.body_offset);
  if (!used) return reject(used.error(), meta);
  if (*used != dn.body.size()) {
    return reject(Error{Errc::trailing_bytes, dn.body_offset + *used}, meta);
  }
  cosem::MapTrace* trace = shape_cache_ ? &trace_ : nullptr;
  auto mapped = layouts_->map(cosem::LayoutContext{&body_, dn.body_offset, trace}, telegram_);
  if (!mapped) return reject(mapped.error(), meta);
  if (shape_cache_ && telegram_.clock_warnings.empty()) shapes_.learn(dn.body, telegram_, trace_);
  return mapped_telegram(apdu_clock);
}

// The APDU's own date-time as the telegram's timestamp. An impossible one is no timestamp (the
// list's clock, if any, is taken instead): its warning is returned for mapped_telegram().
Error Decoder::apdu_timestamp(const dlms::DataNotification& dn, Bytes apdu) {
  if (dn.date_time_form == dlms::DateTimeForm::absent) return {};
  const std::size_t at = static_cast<std::size_t>(dn.date_time.data() - apdu.data());
  const auto dt = cosem::parse_date_time(dn.date_time, at, telegram_.timestamp.emplace());
  if (dt) return {};
  telegram_.timestamp.reset();
  return dt.error();
}

Decoder::Event Decoder::mapped_telegram(Error apdu_clock) {
  std::vector<Error>& warnings = telegram_.clock_warnings;
  if (apdu_clock.code != Errc::ok) warnings.insert(warnings.begin(), apdu_clock);
  stats_.clock_warnings += warnings.size();
  cosem::resolve_clock(telegram_, zone_, &family_zone_);
  ++stats_.telegrams;
  if (telegram_.layout == cosem::kGenericLayout) ++stats_.generic_layouts;
  return Event::telegram;
}

}  // namespace meterlab
