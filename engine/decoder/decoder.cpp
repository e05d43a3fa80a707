#include "meterlab/decoder/decoder.hpp"

#include <algorithm>
#include <limits>

#include "meterlab/axdr/axdr.hpp"

namespace meterlab {
namespace {

bool starts_like_apdu(Bytes b) noexcept {
  if (b.empty()) return false;
  switch (b[0]) {
    case dlms::kDataNotification:
    case dlms::kGeneralGloCiphering:
    case dlms::kGeneralDedCiphering:
    case dlms::kGeneralBlockTransfer:
      return true;
    case 0xE6:  // LLC in front of the APDU, as HDLC carries it
      return b.size() >= 3 && b[1] == 0xE7 && b[2] == 0x00;
    default:
      return false;
  }
}

Rejection link_rejection(Error e, std::size_t offset, std::size_t length, cosem::Transport t) {
  return Rejection{e, offset, length, t, std::nullopt};
}

// The frame's payload: what auto-detection copies out of the framer's buffer.
Bytes& frame_payload(hdlc::Frame& f) noexcept { return f.info; }
Bytes& frame_payload(mbus::Frame& f) noexcept { return f.data; }

}  // namespace

const char* transport_name(cosem::Transport t) noexcept {
  switch (t) {
    case cosem::Transport::hdlc: return "hdlc";
    case cosem::Transport::mbus: return "mbus";
    case cosem::Transport::apdu: return "apdu";
    case cosem::Transport::p1: return "p1";
  }
  return "apdu";
}

Decoder::Decoder(InputTransport transport, dlms::KeyRing keys, const cosem::LayoutSet* layouts)
    : transport_(transport), keys_(std::move(keys)), layouts_(layouts) {}

// push() when the bytes did not go straight into the framer's buffer: they need it compacted or
// grown, or the transport is not known yet (or the input is a raw APDU), or this Decoder's
// transport was given (or it was copied) and its first push has to find the framer. After
// finish() push() keeps coming here: next() must not wait on the framer any more.
void Decoder::push_other(Bytes bytes) {
  if (transport_ == InputTransport::hdlc || transport_ == InputTransport::mbus) {
    StreamBuffer& input = transport_ == InputTransport::hdlc ? hdlc_.input() : mbus_.input();
    if (!finished_) link_.set(input);
    input.push(bytes);
    return;
  }
  stats_.bytes_in += bytes.size();
  if (transport_ == InputTransport::apdu) {
    raw_.insert(raw_.end(), bytes.begin(), bytes.end());
  } else {
    detect(bytes);
  }
}

// Until the first good frame decides the transport, both framers see every byte; a copy of the
// first bytes is kept in case the input turns out to be a bare APDU.
void Decoder::detect(Bytes bytes) {
  hdlc_.push(bytes);
  mbus_.push(bytes);
  std::size_t room = dlms::kMaxMessage - std::min(dlms::kMaxMessage, raw_.size());
  raw_.insert(raw_.end(), bytes.begin(),
              bytes.begin() + static_cast<std::ptrdiff_t>(std::min(room, bytes.size())));
}

// The framer's wait no longer holds next() back: pushes go the other way from now on.
void Decoder::finish() {
  finished_ = true;
  link_.reset();
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

Decoder::Event Decoder::next_event() {
  stats_.resyncs = hdlc_.stats().resyncs + mbus_.stats().resyncs;
  if (!pending_.empty()) {
    Rejection r = pending_.front();
    pending_.pop_front();
    stats_.bytes_discarded += r.frame_length;
    return emit(r);
  }
  if (held_h_) {
    hdlc::Event ev = *held_h_;
    held_h_.reset();
    Event out = on_hdlc(ev);
    if (out != Event::need_more) return out;
  }
  if (held_m_) {
    mbus::Event ev = *held_m_;
    held_m_.reset();
    Event out = on_mbus(ev);
    if (out != Event::need_more) return out;
  }
  if (hdlc_ready_) {
    hdlc_ready_ = false;
    return message(hdlc_segments_.message(), cosem::Transport::hdlc);
  }
  if (mbus_ready_) {
    mbus_ready_ = false;
    return message(mbus_segments_.message(), cosem::Transport::mbus);
  }
  switch (transport_) {
    case InputTransport::apdu:
      if (!finished_ || raw_flushed_) return Event::need_more;
      raw_flushed_ = true;
      stats_.bytes_in_frames += raw_.size();
      return on_apdu(raw_, Meta{cosem::Transport::apdu, 0, raw_.size(), 1}, Security{});
    case InputTransport::auto_detect:
      return detect_next();
    default:
      return pull_link();
  }
}

Decoder::Event Decoder::pull_link() {
  for (;;) {
    Event out = Event::need_more;
    if (transport_ == InputTransport::hdlc) {
      hdlc::Event ev = hdlc_.next();
      if (ev.kind == hdlc::Event::Kind::need_more) {
        if (!finished_) return Event::need_more;  // next() waits on the framer's wait
        if (link_finished_) return at_end();
        link_finished_ = true;
        ev = hdlc_.finish();
        if (ev.kind == hdlc::Event::Kind::need_more) return at_end();
      }
      out = on_hdlc(ev);
    } else {
      mbus::Event ev = mbus_.next();
      if (ev.kind == mbus::Event::Kind::need_more) {
        if (!finished_) return Event::need_more;
        if (link_finished_) return at_end();
        link_finished_ = true;
        ev = mbus_.finish();
        if (ev.kind == mbus::Event::Kind::need_more) return at_end();
      }
      out = on_mbus(ev);
    }
    if (out != Event::need_more) return out;
  }
}

void Decoder::lock(InputTransport t) {
  transport_ = t;
  if (!finished_) link_.set(t == InputTransport::hdlc ? hdlc_.input() : mbus_.input());
  pending_ = t == InputTransport::hdlc ? std::move(held_hdlc_) : std::move(held_mbus_);
  held_hdlc_.clear();
  held_mbus_.clear();
  raw_.clear();
  raw_.shrink_to_fit();
}

// Auto-detection: both framers are polled; their discards are held until one of them finds a
// good frame, which decides the transport; the winner's held discards are then reported first.
// The frame that starts first wins (HDLC on a tie), whatever the sizes of the pushes: a frame
// one framer found is kept (its bytes copied: the framer's buffer moves on) until the other
// framer has looked past its start, or the input ended.
Decoder::Event Decoder::detect_next() {
  pull_candidate(hdlc_, held_hdlc_, candidate_h_, candidate_bytes_h_, cosem::Transport::hdlc);
  pull_candidate(mbus_, held_mbus_, candidate_m_, candidate_bytes_m_, cosem::Transport::mbus);
  // Where each framer's next frame can start at the earliest.
  constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();
  const std::size_t h_at = candidate_h_ ? candidate_h_->frame.stream_offset
                                        : (finished_ ? kNever : hdlc_.input().offset());
  const std::size_t m_at = candidate_m_ ? candidate_m_->frame.stream_offset
                                        : (finished_ ? kNever : mbus_.input().offset());
  if (candidate_h_ && h_at <= m_at) {
    lock(InputTransport::hdlc);
    held_h_ = candidate_h_;
  } else if (candidate_m_ && m_at < h_at) {
    lock(InputTransport::mbus);
    held_m_ = candidate_m_;
  } else {
    if (!finished_) return Event::need_more;
    return detect_at_end();
  }
  candidate_h_.reset();
  candidate_m_.reset();
  return next();
}

// One framer's turn in auto-detection, unless it holds a candidate already: its discards are
// held as link rejections of `transport` until a frame or need-more comes; a frame becomes the
// candidate, its payload copied into `bytes` (the framer's buffer moves on) and pointed at there.
template <class Framer, class LinkEvent>
void Decoder::pull_candidate(Framer& framer, std::deque<Rejection>& held,
                             std::optional<LinkEvent>& candidate, std::vector<std::uint8_t>& bytes,
                             cosem::Transport transport) {
  if (candidate) return;
  // At the end of input the framer gives up the candidate it waits on, and may find a frame
  // behind it (finish() is next() that no longer waits).
  auto pull = [this, &framer] { return finished_ ? framer.finish() : framer.next(); };
  LinkEvent ev = pull();
  while (ev.kind == LinkEvent::Kind::discard) {
    held.push_back(
        link_rejection(ev.discard.error, ev.discard.stream_offset, ev.discard.length, transport));
    ev = pull();
  }
  if (ev.kind == LinkEvent::Kind::frame) {
    Bytes& payload = frame_payload(ev.frame);
    bytes.assign(payload.begin(), payload.end());
    payload = bytes;
    candidate = ev;
  }
}

// The input ended before any good frame: a bare APDU (as captures and documents give them), or
// else everything the HDLC framer saw is reported as discarded.
Decoder::Event Decoder::detect_at_end() {
  if (starts_like_apdu(raw_) && raw_.size() == stats_.bytes_in) {
    transport_ = InputTransport::apdu;
    held_hdlc_.clear();
    held_mbus_.clear();
    return next();
  }
  lock(InputTransport::hdlc);
  return next();
}

// One link frame (HDLC or M-Bus): a discard becomes a rejection; a frame goes to its layer's
// reassembler, and a whole message on to the APDU layers.
template <class LinkEvent, class Reassembler>
Decoder::Event Decoder::on_link(const LinkEvent& ev, Reassembler& segments, bool& ready,
                                cosem::Transport transport) {
  if (ev.kind == LinkEvent::Kind::discard) {
    stats_.bytes_discarded += ev.discard.length;
    return emit(link_rejection(ev.discard.error, ev.discard.stream_offset, ev.discard.length,
                               transport));
  }
  ++stats_.frames_ok;
  // Two HDLC frames may share a flag (ISO/IEC 13239 4.3.1): that byte is counted once.
  std::size_t& accounted = transport == cosem::Transport::hdlc ? hdlc_accounted_ : mbus_accounted_;
  const std::size_t end = ev.frame.stream_offset + ev.frame.length;
  stats_.bytes_in_frames += end - std::max(ev.frame.stream_offset, std::min(accounted, end));
  accounted = std::max(accounted, end);
  auto done = segments.push(ev.frame);
  if (!done) {
    // The frame that broke the pending message may be a whole message of its own: it is
    // decoded on the next call, after this rejection.
    ready = segments.ready();
    return reject(done.error(), Meta{transport, ev.frame.stream_offset, ev.frame.length, 1});
  }
  if (!*done) return Event::need_more;
  return message(segments.message(), transport);
}

template <class Message>
Decoder::Event Decoder::message(const Message& msg, cosem::Transport transport) {
  ++stats_.messages;
  return on_apdu(msg.apdu, Meta{transport, msg.stream_offset, msg.length, msg.segments},
                 Security{});
}

Decoder::Event Decoder::on_hdlc(const hdlc::Event& ev) {
  return on_link(ev, hdlc_segments_, hdlc_ready_, cosem::Transport::hdlc);
}

Decoder::Event Decoder::on_mbus(const mbus::Event& ev) {
  return on_link(ev, mbus_segments_, mbus_ready_, cosem::Transport::mbus);
}

// End of input with a message still waiting for segments: it is dropped, and said so.
Decoder::Event Decoder::at_end() {
  if (end_reported_) return Event::need_more;
  end_reported_ = true;
  if (transport_ == InputTransport::hdlc && hdlc_segments_.pending()) {
    const hdlc::Message& m = hdlc_segments_.message();
    hdlc_segments_.reset();
    return reject(Error{Errc::hdlc_truncated, m.stream_offset + m.length},
                  Meta{cosem::Transport::hdlc, m.stream_offset, m.length, m.segments});
  }
  if (transport_ == InputTransport::mbus && mbus_segments_.pending()) {
    const mbus::Message& m = mbus_segments_.message();
    mbus_segments_.reset();
    return reject(Error{Errc::mbus_segment_lost, m.stream_offset + m.length},
                  Meta{cosem::Transport::mbus, m.stream_offset, m.length, m.segments});
  }
  return Event::need_more;
}

Decoder::Event Decoder::on_apdu(Bytes apdu, const Meta& meta, const Security& sec) {
  // A bare APDU may still carry the LLC header it had inside an HDLC frame.
  if (meta.transport == cosem::Transport::apdu && apdu.size() >= 3 && apdu[0] == 0xE6 &&
      apdu[1] == 0xE7 && apdu[2] == 0x00) {
    apdu = apdu.subspan(3);
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
  if (dn.date_time_form != dlms::DateTimeForm::absent) {
    std::size_t at = static_cast<std::size_t>(dn.date_time.data() - apdu.data());
    const auto dt = cosem::parse_date_time(dn.date_time, at, telegram_.timestamp.emplace());
    if (!dt) return reject(dt.error(), meta);
  }
  // A body of a shape mapped before is read in place (every byte but the values compared).
  if (shape_cache_ && shapes_.map(dn.body, dn.body_offset, telegram_)) {
    ++stats_.telegrams;
    return Event::telegram;
  }
  // The layouts' fast path reads a flat list straight into readings; whatever it does not
  // cover (or finds wrong) goes the general way: the A-XDR tape, then the layout walk. Either
  // notes where the values were, and the shape is remembered.
  cosem::MapTrace* trace = shape_cache_ ? &trace_ : nullptr;
  if (!layouts_->map_wire(dn.body, dn.body_offset, telegram_, trace)) {
    auto used = axdr::parse(dn.body, body_, dn.body_offset);
    if (!used) return reject(used.error(), meta);
    if (*used != dn.body.size()) {
      return reject(Error{Errc::trailing_bytes, dn.body_offset + *used}, meta);
    }
    auto mapped =
        layouts_->map(cosem::LayoutContext{&body_, dn.body_offset, trace}, telegram_);
    if (!mapped) return reject(mapped.error(), meta);
  }
  if (shape_cache_) shapes_.learn(dn.body, telegram_, trace_);
  ++stats_.telegrams;
  return Event::telegram;
}

}  // namespace meterlab
