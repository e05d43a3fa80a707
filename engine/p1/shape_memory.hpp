// The telegram shape memory's work (meterlab/p1/parser_memory.hpp), for parse_telegram():
// a line given again from the memory, a line the general way recorded, the telegram learnt.
// Internal to the p1 layer.
#pragma once

#include <cstddef>

#include "meterlab/p1/parser_memory.hpp"

namespace meterlab::p1::detail {

struct ShapeAccess {
  // Before a telegram into `out`: whether the memory may give lines (on, learnt, in the same
  // zone).
  static bool start(ParserMemory& m, const Zone& zone, const cosem::Telegram& out) noexcept;
  // The lines of the memory from the `i`th, as long as the text from `p` is them: their
  // readings written to `out` from its `written`th on (over the last telegram's readings there,
  // else appended), `written` and `i` advanced, the start of the first line that is not returned
  // (`p` when none was); that line goes the general way. `index` counts the object lines.
  static const char* give(ParserMemory& m, std::size_t& i, const char* begin, const char* p,
                          const char* end, cosem::Telegram& out, std::size_t& written,
                          std::size_t& index);
  // A line the general way: `line` as parse_telegram() read it (at, length, readings, values).
  static void record(ParserMemory& m, const ShapeLine& line) {
    if (!m.on_) return;
    m.pending_.push_back(line);
    ++m.stats_.lines_read;
  }
  // After a telegram: learnt when a line went the general way and nothing was wrong; `out`
  // remembered when its readings are then the memory's.
  static void finish(ParserMemory& m, std::string_view text, const cosem::Telegram& out,
                     const Problems& problems, bool all_hit, const Zone& zone);
  // After finish(): the field readings of the telegram learnt, when this one was given whole
  // from the memory (every line, in one run: its readings are the learnt ones, anew); else null.
  static const FieldReadings* fields(const ParserMemory& m) noexcept {
    return given_whole(m) ? &m.fields_ : nullptr;
  }
  // The field readings found the general way: kept when the memory learnt this telegram.
  static void learn_fields(ParserMemory& m, const FieldReadings& f) noexcept {
    if (m.learnt_now_) m.fields_ = f;
  }

 private:
  static bool line(ParserMemory& m, const ShapeLine& s, const char* p, const char* end);
  static bool reread(ParserMemory& m, const ShapeLine& s, const char* p, const char* end);
  static bool whole(ParserMemory& m, const char* begin, const char* p, const char* end);
  static void learn_whole(ParserMemory& m);
  // `out`'s readings are the memory's (but for the texts' places): remembered for the next one.
  static void wrote(ParserMemory& m, const cosem::Telegram& out) noexcept {
    m.written_ = ParserMemory::Written{&out, out.readings.data(), out.readings.size()};
  }
  // The telegram just parsed was given whole from the memory (every line, in one run).
  static bool given_whole(const ParserMemory& m) noexcept {
    return m.on_ && !m.learnt_now_ && m.pending_.empty() && m.runs_.size() == 1 &&
           m.runs_[0].from == 0 && m.runs_[0].to == m.lines_.size();
  }
  static void copy(ParserMemory& m, std::size_t from, std::size_t to, cosem::Telegram& out,
                   std::size_t at);
  static void merge(ParserMemory& m);
};

}  // namespace meterlab::p1::detail
