// JSON lines: one object per telegram, one per rejection, and the counters. The schema is
// documented in README.md ("Output schema"). Keys never appear in any of it.
#pragma once

#include <string>

#include "meterlab/decoder/decoder.hpp"

namespace meterlab {

// Appends one JSON object (no newline) for the telegram to `out`.
void append_json(const cosem::Telegram& t, std::string& out);
// {"error": {"layer", "code", "offset", "message", "frame": {...}[, "system_title"]}}
void append_json(const Rejection& r, std::string& out);
// {"bytes_in": .., "frames_ok": .., ..., "errors": {"hdlc_fcs_mismatch": n, ...}}
void append_json(const DecoderStats& s, std::string& out);

}  // namespace meterlab
