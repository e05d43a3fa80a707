// Learned profiles (issue 18): a capture of one meter's telegrams, decoded with the engine, becomes
// a profile in the same JSON format as the built-in ones (simulator/profiles/*.json), so that the
// simulator's own encoder fills the meter's skeleton over time: link header, security, APDU form
// and each list's A-XDR skeleton as captured; known quantities from the household model in the
// list's own scalers and units; the clock and counters advancing; values of unknown meaning held.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

// A capture that cannot be learned: what is wrong and where (layer, byte offset).
class LearnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A key for one system title (a key file's entry); no title: for every other title.
struct TitledKey {
  std::optional<SystemTitle> title;
  Key ek{};
  std::optional<Key> ak;
};

struct LearnOptions {
  std::string name = "learned";  // the profile's name (it also seeds the household)
  std::optional<Key> ek;         // keys of an encrypted capture (--key / --auth-key)
  std::optional<Key> ak;
  std::vector<TitledKey> keys;  // more keys (--keys FILE), before ek/ak
  // line settings, "2400 8E1"; empty: the family's (HDLC 2400 8E1, M-Bus 2400 8N1, P1 with a CRC
  // 115200 8N1, P1 without (DSMR 2.2) 9600 7E1)
  std::string serial;
  // The capture's transport, as `meterlab decode` names it. A capture of bare APDUs given with
  // "hdlc" or "mbus" is sent in that transport's default link unless a built-in family of its
  // list gives one.
  std::string transport = "auto";
  // The cadence of a list the capture does not time (seen once, or no clock): --cadence; without
  // it the family's default (HDLC 10 s, M-Bus 5 s; P1 by DSMR version: 5 every 1 s, 4 and 2.2
  // every 10 s).
  std::optional<std::int64_t> cadence_ms;
};

// One list of the meter and the captured telegram its skeleton was taken from.
struct LearnedList {
  std::string name;  // "list1", ...
  Buffer capture;    // the telegram's bytes as captured (all its link frames)
  std::size_t capture_offset = 0;
};

struct Learned {
  std::string profile_json;  // with the keys given (for the simulator to use now)
  std::string saved_json;    // the same without keys (what --save-profile writes by default)
  std::vector<LearnedList> lists;
  std::size_t telegrams = 0;  // telegrams decoded from the capture
  // A capture of bare APDUs (no link layer): where the link it is sent in came from, the built-in
  // family's name ("aidon-6525") or "hdlc default" / "mbus default"; "" when the capture had its
  // link. The profile says it too ("link_from").
  std::string link_from;
};

// A capture file's bytes: hex text (any whitespace and newlines between digits) or binary.
Buffer capture_bytes(std::string_view file_text);

// Throws LearnError: no telegram found, encrypted without a key, two meters mixed, a list the
// profile format cannot express, bare APDUs with no link to send them in.
Learned learn_profile(ByteSpan capture, const LearnOptions& options);

}  // namespace meterlab::sim
