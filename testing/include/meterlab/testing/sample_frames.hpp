// Telegrams that the benchmarks (bench/) and the allocation test (decoder_alloc_test.cpp) share.
// Test and benchmark support only: not part of the library.
//
//  - the Kaifa KFM_001 list-3 HDLC capture (157 bytes), as received;
//  - the same data-notification sent as general-glo-ciphering with SC 0x30 (186 bytes);
//  - the 376-byte two-segment Kaifa MA309 M-Bus telegram of the Austrian ports (SC 0x21): the
//    header bytes of the VKW capture (vectors/mbus-encrypted/vkw-kaifa-ma309-smartmeterreadout)
//    around the plaintext its source publishes as XML (seed 001), encrypted again under a key of
//    our own because the meter's key is not published. Same lengths, segments and fields.
//
// The keys below are made up for these benchmarks; they protect nothing.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/hdlc/framer.hpp"

namespace meterlab::samples {

using Buf = std::vector<std::uint8_t>;

inline constexpr dlms::Key kBenchEk = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                       0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
inline constexpr dlms::Key kBenchAk = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                                       0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
// "KFM" + a serial, as Kaifa meters form their system titles.
inline constexpr dlms::SystemTitle kKfmTitle = {0x4B, 0x46, 0x4D, 0x10, 0x00, 0x00, 0x00, 0x01};
inline constexpr std::uint32_t kKfmCounter = 0x00012345;

inline Buf hex(std::string_view text) {
  auto r = parse_hex(text);
  if (!r) throw std::runtime_error("sample_frames: bad hex");
  return std::move(*r);
}

// The `input_hex` of a golden vector (vectors/<relative>).
inline Buf vector_bytes(const std::string& relative) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + relative);
  if (!in) throw std::runtime_error("sample_frames: cannot open " + relative);
  return hex(nlohmann::json::parse(in).at("input_hex").get<std::string>());
}

// The parts one after another, copied into a buffer of the final size. (Built this way, not by
// growing a vector, because GCC 12 at -O3 reports false array-bounds errors on vector growth.)
inline Buf concat(std::initializer_list<Bytes> parts) {
  std::size_t size = 0;
  for (Bytes p : parts) size += p.size();
  Buf out(size);
  std::size_t at = 0;
  for (Bytes p : parts) {
    if (!p.empty()) std::memcpy(out.data() + at, p.data(), p.size());
    at += p.size();
  }
  return out;
}

inline std::array<std::uint8_t, 2> le16(std::uint16_t v) {  // CRCs go least significant first
  return {static_cast<std::uint8_t>(v & 0xFF), static_cast<std::uint8_t>(v >> 8)};
}
inline std::array<std::uint8_t, 2> be16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v & 0xFF)};
}
inline std::array<std::uint8_t, 4> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// IEC 62056-46 frame format type 3 with an information field: HCS and FCS.
inline Buf hdlc_frame(Bytes dst, Bytes src, std::uint8_t control, Bytes info) {
  const std::size_t length = 2 + dst.size() + src.size() + 1 + 2 + info.size() + 2;
  const auto format = be16(static_cast<std::uint16_t>(0xA000 | length));
  const std::uint8_t ctrl[] = {control};
  const Buf header = concat({format, dst, src, ctrl});
  const Buf covered = concat({header, le16(crc16_x25(header)), info});
  const std::uint8_t flag[] = {hdlc::kFlag};
  return concat({flag, covered, le16(crc16_x25(covered)), flag});
}

// EN 13757-2 long frame: 68 L L 68 C A CI data CS 16.
inline Buf mbus_frame(std::uint8_t c, std::uint8_t a, std::uint8_t ci, Bytes data) {
  const std::uint8_t fields[] = {c, a, ci};
  const Buf counted = concat({fields, data});
  const auto l = static_cast<std::uint8_t>(counted.size());
  const std::uint8_t start[] = {0x68, l, l, 0x68};
  const std::uint8_t end[] = {mbus_checksum(counted), 0x16};
  return concat({start, counted, end});
}

inline Buf kfm_list3_plain() {
  return vector_bytes("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b.json");
}

// The Aidon 6525 list 3 capture: one 377-byte plain HDLC frame.
inline Buf aidon_list3() { return vector_bytes("hdlc-plain/aidon-6525-list3.json"); }

// The APDU of a one-frame HDLC telegram (LLC removed), through the engine's own framer so that
// no offset is guessed here.
inline Buf hdlc_apdu(const Buf& frame) {
  hdlc::Framer framer;
  framer.push(frame);
  const hdlc::Event ev = framer.next();
  hdlc::Reassembler segments;
  if (ev.kind != hdlc::Event::Kind::frame || !segments.push(ev.frame).has_value()) {
    throw std::runtime_error("sample_frames: the capture does not frame");
  }
  const Bytes apdu = segments.message().apdu;
  return Buf(apdu.begin(), apdu.end());
}

// The data-notification inside the KFM_001 list-3 capture.
inline Buf kfm_list3_apdu() { return hdlc_apdu(kfm_list3_plain()); }

// general-glo-ciphering (Green Book 9.3.6): DB, system title, BER length, SC, IC, ciphertext
// [, tag].
inline Buf glo_ciphered(std::uint8_t sc, const dlms::SystemTitle& st, std::uint32_t ic,
                        Bytes plaintext) {
  Buf sealed;
  dlms::encrypt(kBenchEk, kBenchAk, sc, st, ic, plaintext, sealed);
  const std::size_t content = 1 + 4 + sealed.size();  // SC, IC, ciphertext [, tag]
  const std::uint8_t head[] = {dlms::kGeneralGloCiphering, 0x08};
  // BER length (X.690 8.1.3): short form below 0x80, else 81 xx or 82 xx xx.
  const Buf length = content < 0x80 ? Buf{static_cast<std::uint8_t>(content)}
                     : content <= 0xFF
                         ? Buf{0x81, static_cast<std::uint8_t>(content)}
                         : concat({Buf{0x82}, be16(static_cast<std::uint16_t>(content))});
  const std::uint8_t sc_byte[] = {sc};
  return concat({head, st, length, sc_byte, be32(ic), sealed});
}

// The KFM_001 list-3 notification as general-glo-ciphering with security control `sc`.
inline Buf kfm_list3_glo(std::uint8_t sc) {
  return glo_ciphered(sc, kKfmTitle, kKfmCounter, kfm_list3_apdu());
}

// The same in an HDLC frame with the capture's addresses and control byte (LLC as in the plain
// frame).
inline Buf kfm_hdlc(const Buf& glo) {
  return hdlc_frame(hex("01"), hex("0201"), 0x10, concat({hex("e6e700"), glo}));
}
inline Buf kfm_list3_ciphered(std::uint8_t sc) { return kfm_hdlc(kfm_list3_glo(sc)); }

inline Buf kfm_list3_sc30() { return kfm_list3_ciphered(0x30); }

// The plaintext of the VKW Kaifa MA309M telegram as its source publishes it (seed 001, "Decrypted
// XML"): data-notification, invoke id 1C4E, date-time (bare 0C form), structure of 16 elements.
inline Buf ma309_notification() {
  return hex(
      "0f 00001c4e 0c 07e708150117170000ff8880"
      "0210"
      "  0906 0000010000ff  090c 07e708150117170000ff8880"
      "  0202 0906 0000600100ff 090e 314b464d30323030303134313936"
      "  0202 0906 00002a0000ff 0910 4b464d31323030323030303134313936"
      "  0203 0906 0100200700ff 12 0919     0202 0fff 1623"
      "  0203 0906 0100340700ff 12 090f     0202 0fff 1623"
      "  0203 0906 0100480700ff 12 0910     0202 0fff 1623"
      "  0203 0906 01001f0700ff 12 00b0     0202 0ffe 1621"
      "  0203 0906 0100330700ff 12 00d3     0202 0ffe 1621"
      "  0203 0906 0100470700ff 12 00ad     0202 0ffe 1621"
      "  0203 0906 0100010700ff 06 00000029 0202 0f00 161b"
      "  0203 0906 0100020700ff 06 00000000 0202 0f00 161b"
      "  0203 0906 0100010800ff 06 00012d4a 0202 0f00 161e"
      "  0203 0906 0100020800ff 06 000d3eb9 0202 0f00 161e"
      "  0203 0906 0100030800ff 06 0000000a 0202 0f00 1620"
      "  0203 0906 0100040800ff 06 00087f7b 0202 0f00 1620");
}

inline constexpr dlms::SystemTitle kMa309Title = {0x4B, 0x46, 0x4D, 0x10, 0x20, 0x00, 0x37, 0x74};
inline constexpr std::uint32_t kMa309Counter = 0x00001B66;

// 376 bytes: a 256-byte frame (L=FA, CI=00: segment 0) and a 120-byte frame (L=72, CI=11: FIN,
// segment 1), C=53, A=FF, each segment's data opening with STSAP/DTSAP 01 67 (IEC 62056-7-3).
inline Buf ma309_frames(const Buf& apdu) {
  constexpr std::size_t kFirstSegment = 0xFA - 5;  // L - C, A, CI, STSAP, DTSAP
  const Bytes all(apdu);
  const Buf tsap = hex("0167");  // STSAP, DTSAP
  return concat({mbus_frame(0x53, 0xFF, 0x00, concat({tsap, all.first(kFirstSegment)})),
                 mbus_frame(0x53, 0xFF, 0x11, concat({tsap, all.subspan(kFirstSegment)}))});
}

inline Buf ma309_telegram() {
  return ma309_frames(glo_ciphered(0x21, kMa309Title, kMa309Counter, ma309_notification()));
}

// ---- a meter's next telegrams ------------------------------------------------------------
// A real meter's telegrams differ from one to the next in their numbers and their clock. The
// benchmarks cycle through variants made that way, so that no frame is decoded twice in a row.

// The seconds of a 12-byte date-time (Blue Book 4.1.6.1: byte 6), moved on by `i` when specified.
inline void vary_seconds(std::uint8_t* date_time, std::size_t i) {
  if (date_time[6] < 60) date_time[6] = static_cast<std::uint8_t>((date_time[6] + i) % 60);
}

// Variant `i` of a data-notification: every integer of the body two bytes wide or more gets `i`
// added to its last byte (a reading that changed), and every date-time (the APDU's, the body's
// date-time values and 12-byte octet-strings) `i` seconds. Lengths stay, so the frames do too.
inline Buf vary_notification(const Buf& apdu, std::size_t i) {
  Buf out = apdu;
  dlms::DataNotification dn;
  axdr::Document body;
  if (!dlms::parse_data_notification(out, dn) || !axdr::parse(dn.body, body, 0)) {
    throw std::runtime_error("sample_frames: the notification does not parse");
  }
  if (!dn.date_time.empty()) {
    vary_seconds(out.data() + (dn.date_time.data() - out.data()), i);
  }
  for (const axdr::Node& n : body.nodes()) {
    std::uint8_t* content = out.data() + dn.body_offset + n.data;
    const std::size_t width =
        n.tag == axdr::Tag::long_ || n.tag == axdr::Tag::long_unsigned                ? 2
        : n.tag == axdr::Tag::double_long || n.tag == axdr::Tag::double_long_unsigned ? 4
                                                                                      : 0;
    if (width != 0) content[width - 1] = static_cast<std::uint8_t>(content[width - 1] + i);
    const bool clock =
        n.tag == axdr::Tag::date_time || (n.tag == axdr::Tag::octet_string && n.count == 12);
    if (clock) vary_seconds(content, i);
  }
  return out;
}

// A one-frame HDLC telegram with its APDU replaced by one of the same length: the header (and
// HCS) stay, the FCS is computed again.
inline Buf hdlc_replace_apdu(const Buf& frame, const Buf& apdu, const Buf& new_apdu) {
  const auto at = std::search(frame.begin(), frame.end(), apdu.begin(), apdu.end());
  if (at == frame.end() || apdu.size() != new_apdu.size()) {
    throw std::runtime_error("sample_frames: the APDU is not in the frame");
  }
  Buf out = frame;
  std::copy(new_apdu.begin(), new_apdu.end(), out.begin() + (at - frame.begin()));
  const auto fcs = le16(crc16_x25(Bytes(out).subspan(1, out.size() - 4)));
  out[out.size() - 3] = fcs[0];
  out[out.size() - 2] = fcs[1];
  return out;
}

// `count` telegrams of a one-frame plain HDLC capture: variant 0 is the capture itself.
inline std::vector<Buf> hdlc_plain_variants(const Buf& frame, std::size_t count) {
  const Buf apdu = hdlc_apdu(frame);
  std::vector<Buf> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(hdlc_replace_apdu(frame, apdu, vary_notification(apdu, i)));
  }
  return out;
}

// The KFM_001 list 3 as SC `sc` telegrams, one invocation counter after another.
inline std::vector<Buf> kfm_list3_ciphered_variants(std::uint8_t sc, std::size_t count) {
  const Buf apdu = kfm_list3_apdu();
  std::vector<Buf> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(kfm_hdlc(glo_ciphered(sc, kKfmTitle, kKfmCounter + static_cast<std::uint32_t>(i),
                                        vary_notification(apdu, i))));
  }
  return out;
}

// The MA309 telegram, likewise (two M-Bus frames each).
inline std::vector<Buf> ma309_variants(std::size_t count) {
  const Buf plain = ma309_notification();
  std::vector<Buf> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(
        ma309_frames(glo_ciphered(0x21, kMa309Title, kMa309Counter + static_cast<std::uint32_t>(i),
                                  vary_notification(plain, i))));
  }
  return out;
}

// A key ring that opens every sample: EK and AK for any system title.
inline dlms::KeyRing sample_keys() {
  dlms::KeyRing keys;
  keys.add(std::nullopt, kBenchEk, kBenchAk);
  return keys;
}

// The same with the EK only: SC 0x21 needs no AK, SC 0x30 then decrypts unverified.
inline dlms::KeyRing sample_keys_ek_only() {
  dlms::KeyRing keys;
  keys.add(std::nullopt, kBenchEk);
  return keys;
}

}  // namespace meterlab::samples
