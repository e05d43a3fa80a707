// The telegram shape memory (meterlab/p1/parser_memory.hpp, shape_memory.hpp).
#include "shape_memory.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "value.hpp"

namespace meterlab::p1::detail {
namespace {

constexpr std::size_t kWord = sizeof(std::uint64_t);
constexpr char kOpen = '(';  // a next line that starts so continues the object (DSMR 2.2 gas)

std::uint64_t load(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, kWord);
  return w;
}

enum class Match : std::uint8_t { no, same, digits };

// How the `n` bytes at `p` compare with those at `want`: the same, or different only where
// `mask` is 0 (the variable digits: the caller reads them by the value rules), or not the
// line. A word at a time, the last word overlapping the one before.
Match compare(const char* p, const char* want, const char* mask, std::size_t n) noexcept {
  std::uint64_t any = 0;
  if (n < kWord) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto d = static_cast<std::uint8_t>(p[i] ^ want[i]);
      if ((d & static_cast<std::uint8_t>(mask[i])) != 0) return Match::no;
      any |= d;
    }
    return any == 0 ? Match::same : Match::digits;
  }
  const auto word = [&](std::size_t i) {
    const std::uint64_t d = load(p + i) ^ load(want + i);
    any |= d;
    return (d & load(mask + i)) == 0;
  };
  for (std::size_t i = 0; i + kWord <= n; i += kWord) {
    if (!word(i)) return Match::no;
  }
  if (!word(n - kWord)) return Match::no;
  return any == 0 ? Match::same : Match::digits;
}

// The number of the line at `p`, read by the number rule where the learnt one was: it must end
// where that ended (its digits are digits), in the learnt unit.
bool number(const ShapeLine& s, const char* p, const char* end, cosem::Reading& r) noexcept {
  const char* const at = p + s.number_at;
  NumberText n;
  if (read_number(at, end, n) != at + s.number_length || !n.valid) return false;
  const Number v = to_number(n, BaseUnit{s.unit_symbol, s.unit_scale});
  r.kind = cosem::ValueKind::integer;
  r.raw = v.raw;
  r.scaler = v.scaler;
  r.unit = v.unit;
  return true;
}

// The variable values of a line given from the memory, into its one reading.
bool values(const ShapeLine& s, const char* p, const char* end, const Zone& zone,
            cosem::Reading& r) noexcept {
  if (s.stamp_at != ShapeLine::kNone) {
    const std::string_view text(p + s.stamp_at, kStampDigits + 1);
    if (parse_timestamp(text, false, zone, r.date_time) != Stamp::ok) return false;
  }
  return s.number_at == ShapeLine::kNone || number(s, p, end, r);
}

// Unmasks the variable digits of `s` (mask 0: not compared).
void mark_variable(const std::string& bytes, std::string& mask, const ShapeLine& s) {
  const auto clear = [&](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i) {
      if (bytes[i] >= '0' && bytes[i] <= '9') mask[i] = 0;
    }
  };
  if (s.number_at != ShapeLine::kNone) clear(s.at + s.number_at, s.number_length);
  if (s.stamp_at != ShapeLine::kNone) clear(s.at + s.stamp_at, kStampDigits);
}

}  // namespace

bool ShapeAccess::start(ParserMemory& m, const Zone& zone) noexcept {
  m.pending_.clear();
  m.runs_.clear();
  if (!m.on_) return false;
  ++m.stats_.telegrams;
  return m.ready_ && m.zone_.winter_minutes == zone.winter_minutes &&
         m.zone_.summer_minutes == zone.summer_minutes;
}

// Memory line `s` at `p`, if the text there is it: when its digits changed, its values read
// anew into the memory's reading, and its bytes kept, so that the next telegram finds them the
// same (the memory follows the meter).
bool ShapeAccess::line(ParserMemory& m, const ShapeLine& s, const char* p, const char* end) {
  // The learnt line was followed by a line that does not continue it; so must this one be.
  if (static_cast<std::size_t>(end - p) <= s.length || p[s.length] == kOpen) return false;
  char* const learnt = m.bytes_.data() + s.at;
  const Match match = compare(p, learnt, m.mask_.data() + s.at, s.length);
  if (match != Match::digits) return match == Match::same;
  cosem::Reading r = m.readings_[s.first];  // a line of the Known shapes: one reading
  if (!values(s, p, end, m.zone_, r)) return false;
  m.readings_[s.first] = r;
  std::memcpy(learnt, p, s.length);
  return true;
}

// The readings of memory lines [from, to) (consecutive in the memory), into `out`, their text
// stored in its text storage.
void ShapeAccess::copy(const ParserMemory& m, std::size_t from, std::size_t to,
                       cosem::Telegram& out) {
  const std::size_t first = m.lines_[from].first;
  const std::size_t last = m.lines_[to - 1].first + m.lines_[to - 1].count;
  const std::size_t at = out.readings.size();
  out.readings.insert(out.readings.end(), m.readings_.begin() + static_cast<std::ptrdiff_t>(first),
                      m.readings_.begin() + static_cast<std::ptrdiff_t>(last));
  for (std::size_t k = from; k < to; ++k) {
    const ShapeLine& s = m.lines_[k];
    if (!s.text) continue;
    for (std::size_t j = 0; j < s.count; ++j) {
      cosem::Reading& r = out.readings[at + (s.first - first) + j];
      if (r.kind != cosem::ValueKind::text && r.kind != cosem::ValueKind::octets) continue;
      r.text = out.store(std::string_view(m.texts_).substr(r.text.offset, r.text.length));
    }
  }
}

const char* ShapeAccess::give(ParserMemory& m, std::size_t& i, const char* begin, const char* p,
                              const char* end, cosem::Telegram& out, std::size_t& index) {
  const std::size_t from = i;
  const char* const at = p;
  for (; i < m.lines_.size(); ++i) {
    const ShapeLine& s = m.lines_[i];
    if (!line(m, s, p, end)) break;
    index += s.object ? 1 : 0;
    p += s.length;
  }
  if (i == from) return p;
  m.runs_.push_back(ParserMemory::Run{m.pending_.size(), from, i,
                                      static_cast<std::uint32_t>(at - begin),
                                      static_cast<std::uint32_t>(out.readings.size())});
  copy(m, from, i, out);
  m.stats_.lines_hit += i - from;
  return p;
}

// The lines of the telegram just parsed, in order: those read the general way (pending_) and
// the runs given from the memory, with their places in this telegram.
void ShapeAccess::merge(ParserMemory& m) {
  m.next_.clear();
  std::size_t r = 0;
  const auto runs_before = [&](std::size_t pending) {
    for (; r < m.runs_.size() && m.runs_[r].pending == pending; ++r) {
      const ParserMemory::Run& run = m.runs_[r];
      std::uint32_t at = run.at, first = run.first;
      for (std::size_t k = run.from; k < run.to; ++k) {
        ShapeLine& s = m.next_.emplace_back(m.lines_[k]);
        s.at = at;
        s.first = first;
        at += s.length;
        first += s.count;
      }
    }
  };
  for (std::size_t k = 0; k < m.pending_.size(); ++k) {
    runs_before(k);
    m.next_.push_back(m.pending_[k]);
  }
  runs_before(m.pending_.size());
  m.lines_.swap(m.next_);
}

void ShapeAccess::finish(ParserMemory& m, std::string_view text, const cosem::Telegram& out,
                         const Problems& problems, bool all_hit, const Zone& zone) {
  if (!m.on_) return;
  if (all_hit && !m.runs_.empty()) ++m.stats_.all_hit;
  if (all_hit || problems.count != 0) return;
  merge(m);
  m.bytes_.assign(text);
  m.mask_.assign(text.size(), static_cast<char>(0xFF));
  m.readings_.assign(out.readings.begin(), out.readings.end());
  m.texts_.clear();
  for (cosem::Reading& r : m.readings_) {
    if (r.kind != cosem::ValueKind::text && r.kind != cosem::ValueKind::octets) continue;
    const std::string_view t = out.text(r.text);
    r.text = cosem::TextRef{static_cast<std::uint32_t>(m.texts_.size()), r.text.length};
    m.texts_.append(t);
  }
  std::size_t kept = 0;
  for (ShapeLine& s : m.lines_) {
    // A line that reached the end of the text was read knowing that: never given again.
    if (s.at + s.length >= text.size()) break;
    mark_variable(m.bytes_, m.mask_, s);
    s.text =
        std::any_of(m.readings_.begin() + s.first, m.readings_.begin() + s.first + s.count,
                    [](const cosem::Reading& r) {
                      return r.kind == cosem::ValueKind::text || r.kind == cosem::ValueKind::octets;
                    });
    ++kept;
  }
  m.lines_.resize(kept);
  m.zone_ = zone;
  m.ready_ = true;
  ++m.stats_.learnt;
}

}  // namespace meterlab::p1::detail
