// The telegram shape memory (meterlab/p1/parser_memory.hpp, shape_memory.hpp).
#include "shape_memory.hpp"

#include <algorithm>
#include <array>
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

// Two words, as one vector register where the target has them (a GCC and Clang extension).
using Pair = std::uint64_t __attribute__((vector_size(2 * kWord)));

Pair load_pair(const char* p) noexcept {
  Pair v;
  std::memcpy(&v, p, sizeof v);
  return v;
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
bool number(const ShapeLine& s, const char* p, const char* end, Number& v) noexcept {
  const char* const at = p + s.number_at;
  NumberText n;
  if (read_number(at, end, n) != at + s.number_length || !n.valid) return false;
  v = to_number(n, BaseUnit{s.unit_symbol, s.unit_scale});
  return true;
}

// The variable values of a line given from the memory, into its one reading `r`: read whole
// first, so that a line whose number fails leaves `r` as it was (the memory never keeps half a
// line).
bool values(const ShapeLine& s, const char* p, const char* end, const Zone& zone,
            cosem::Reading& r) noexcept {
  const bool stamp = s.stamp_at != ShapeLine::kNone;
  const bool numeric = s.number_at != ShapeLine::kNone;
  cosem::DateTime when;
  if (stamp && parse_timestamp(std::string_view(p + s.stamp_at, kStampDigits + 1), false, zone,
                               when) != Stamp::ok) {
    return false;
  }
  Number v;
  if (numeric && !number(s, p, end, v)) return false;
  if (stamp) r.date_time = when;
  if (numeric) {
    r.kind = cosem::ValueKind::integer;
    r.raw = v.raw;
    r.scaler = v.scaler;
    r.unit = v.unit;
  }
  return true;
}

constexpr std::size_t kNoted = 64;  // words differing in digits that whole() takes
constexpr std::size_t kNotSame = kNoted + 1;

// Compares text[from, to) with the learnt bytes under the mask (to - from >= a word): a word at
// a time where a block of eight differs (a block the same, most of a telegram, at once), the last
// word overlapping the one before.
// The offsets of the words that differ in variable digits only, into `changed`; their count, or
// kNotSame when a compared byte differs or more than kNoted words differ.
std::size_t differing_words(const char* text, const char* want, const char* mask, std::size_t from,
                            std::size_t to, std::array<std::uint32_t, kNoted>& changed) noexcept {
  std::size_t count = 0;
  const auto word = [&](std::size_t o) {
    const std::uint64_t d = load(text + o) ^ load(want + o);
    if (d == 0) return true;
    if ((d & load(mask + o)) != 0 || count == kNoted) return false;
    changed[count++] = static_cast<std::uint32_t>(o);
    return true;
  };
  // Four pairs of words a block, in the compiler's vector registers (SSE2, NEON).
  constexpr std::size_t kBlock = 4 * sizeof(Pair);
  const auto diff = [&](std::size_t at) { return load_pair(text + at) ^ load_pair(want + at); };
  std::size_t o = from;
  for (; o + kBlock <= to; o += kBlock) {
    const Pair any = diff(o) | diff(o + 16) | diff(o + 32) | diff(o + 48);
    if ((any[0] | any[1]) == 0) continue;
    for (std::size_t w = 0; w < kBlock; w += kWord) {
      if (!word(o + w)) return kNotSame;
    }
  }
  for (; o + kWord <= to; o += kWord) {
    if (!word(o)) return kNotSame;
  }
  return word(to - kWord) ? count : kNotSame;
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

bool ShapeAccess::start(ParserMemory& m, const Zone& zone, const cosem::Telegram& out) noexcept {
  m.pending_.clear();
  m.runs_.clear();
  m.changed_.clear();
  m.learnt_now_ = false;
  const ParserMemory::Written& w = m.written_;
  m.in_place_ = w.telegram == &out && w.data == out.readings.data() &&
                w.size == out.readings.size() && w.size == m.readings_.size();
  m.written_ = {};
  if (!m.on_) return false;
  ++m.stats_.telegrams;
  return m.ready_ && m.zone_.winter_minutes == zone.winter_minutes &&
         m.zone_.summer_minutes == zone.summer_minutes;
}

// Memory line `s` at `p`, if the text there is it (its digits read anew when they changed).
bool ShapeAccess::line(ParserMemory& m, const ShapeLine& s, const char* p, const char* end) {
  // The learnt line was followed by a line that does not continue it; so must this one be.
  if (static_cast<std::size_t>(end - p) <= s.length || p[s.length] == kOpen) return false;
  char* const learnt = m.bytes_.data() + s.at;
  const Match match = compare(p, learnt, m.mask_.data() + s.at, s.length);
  if (match != Match::digits) return match == Match::same;
  return reread(m, s, p, end);
}

// Memory line `s`, whose digits differ at `p` (its other bytes compared the same): its values
// read anew into the memory's reading (a line of the Known shapes: one), and its bytes kept,
// so that the next telegram finds them the same (the memory follows the meter).
bool ShapeAccess::reread(ParserMemory& m, const ShapeLine& s, const char* p, const char* end) {
  if (!values(s, p, end, m.zone_, m.readings_[s.first])) return false;
  std::memcpy(m.bytes_.data() + s.at, p, s.length);
  if (m.in_place_) m.changed_.push_back(s.first);
  return true;
}

// The readings of memory lines [from, to) (consecutive in the memory), into `out` from its
// `at`th reading on; their texts, consecutive in the memory's text too, stored in its text
// storage in one piece. Into the Telegram the memory last wrote whole, at their own places and
// before any line went the general way, only the readings read anew are written (the others
// are there already). Else over readings already there (the last telegram's) the copy is one
// memmove; appended, it is element by element (a Reading is not trivial, only trivially copyable).
void ShapeAccess::copy(ParserMemory& m, std::size_t from, std::size_t to, cosem::Telegram& out,
                       std::size_t at) {
  static_assert(std::is_trivially_copyable_v<cosem::Reading>);
  const std::size_t first = m.lines_[from].first;
  const std::size_t last = m.lines_[to - 1].first + m.lines_[to - 1].count;
  const auto source = m.readings_.begin();
  const auto place = out.readings.begin() + static_cast<std::ptrdiff_t>(at);
  if (m.in_place_ && at == first && m.pending_.empty()) {
    m.stats_.in_place += from == 0 ? 1 : 0;
    for (const std::uint32_t k : m.changed_) {
      if (k >= first && k < last) out.readings[k] = m.readings_[k];
    }
  } else if (out.readings.size() >= at + (last - first)) {
    std::copy(source + static_cast<std::ptrdiff_t>(first),
              source + static_cast<std::ptrdiff_t>(last), place);
  } else {
    out.readings.erase(place, out.readings.end());
    out.readings.insert(out.readings.end(), source + static_cast<std::ptrdiff_t>(first),
                        source + static_cast<std::ptrdiff_t>(last));
  }
  const auto base = static_cast<std::uint32_t>(out.text_storage.size());
  const auto& texts = m.text_readings_;
  auto k = std::lower_bound(texts.begin(), texts.end(), first);
  if (k == texts.end() || *k >= last) return;
  const std::uint32_t lo = m.readings_[*k].text.offset;  // the texts' span in the memory's text
  std::uint32_t hi = lo;
  for (; k != texts.end() && *k < last; ++k) {
    const cosem::TextRef& t = m.readings_[*k].text;
    hi = t.offset + t.length;
    out.readings[at + (*k - first)].text = cosem::TextRef{base + (t.offset - lo), t.length};
  }
  out.store(std::string_view(m.texts_).substr(lo, hi - lo));
}

// Every line of the memory at once, when the text from `p` starts where the learnt lines did:
// the bytes to their end compared a word at a time under the mask (as compare() does, the lines
// being consecutive), then the lines the differing words touch read anew. False when a byte
// other than a variable digit differs, when more words differ than it notes, or when a line's
// values fail: the line-by-line way then tells which lines are the memory's (the lines read
// anew here compare the same there).
bool ShapeAccess::whole(ParserMemory& m, const char* begin, const char* p, const char* end) {
  if (!m.plain_ || m.lines_.empty()) return false;
  const std::size_t from = m.lines_.front().at;
  const std::size_t to = m.lines_.back().at + m.lines_.back().length;
  const auto size = static_cast<std::size_t>(end - begin);
  if (static_cast<std::size_t>(p - begin) != from || size <= to || begin[to] == kOpen ||
      to - from < kWord) {
    return false;
  }
  std::array<std::uint32_t, kNoted> changed;
  const std::size_t count =
      differing_words(begin, m.bytes_.data(), m.mask_.data(), from, to, changed);
  if (count == kNotSame) return false;
  std::size_t k = 0, unread = 0;  // the first line the word may touch; the first not read anew
  for (std::size_t c = 0; c < count; ++c) {
    const std::size_t o = changed[c];
    while (m.lines_[k].at + m.lines_[k].length <= o) ++k;
    for (std::size_t j = std::max(k, unread); j < m.lines_.size() && m.lines_[j].at < o + kWord;
         ++j) {
      const ShapeLine& s = m.lines_[j];
      unread = j + 1;
      if (s.number_at == ShapeLine::kNone && s.stamp_at == ShapeLine::kNone) continue;  // same
      if (!reread(m, s, begin + s.at, end)) return false;
    }
  }
  return true;
}

const char* ShapeAccess::give(ParserMemory& m, std::size_t& i, const char* begin, const char* p,
                              const char* end, cosem::Telegram& out, std::size_t& written,
                              std::size_t& index) {
  const std::size_t from = i;
  const char* const at = p;
  if (i == 0 && whole(m, begin, p, end)) {
    ++m.stats_.at_once;
    i = m.lines_.size();
    index += m.objects_;
    p = begin + m.lines_.back().at + m.lines_.back().length;
  }
  for (; i < m.lines_.size(); ++i) {
    const ShapeLine& s = m.lines_[i];
    if (!line(m, s, p, end)) break;
    index += s.object ? 1 : 0;
    p += s.length;
  }
  if (i == from) return p;
  m.runs_.push_back(ParserMemory::Run{m.pending_.size(), from, i,
                                      static_cast<std::uint32_t>(at - begin),
                                      static_cast<std::uint32_t>(written)});
  copy(m, from, i, out, written);
  written += m.lines_[i - 1].first + m.lines_[i - 1].count - m.lines_[from].first;
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
  if (all_hit || problems.count != 0) {
    if (given_whole(m) && out.readings.size() == m.readings_.size()) wrote(m, out);
    return;
  }
  merge(m);
  m.bytes_.assign(text);
  m.mask_.assign(text.size(), static_cast<char>(0xFF));
  m.readings_.assign(out.readings.begin(), out.readings.end());
  m.texts_.clear();
  m.text_readings_.clear();
  for (cosem::Reading& r : m.readings_) {
    if (!r.has_text()) continue;
    m.text_readings_.push_back(static_cast<std::uint32_t>(&r - m.readings_.data()));
    const std::string_view t = out.text(r.text);
    r.text = cosem::TextRef{static_cast<std::uint32_t>(m.texts_.size()), r.text.length};
    m.texts_.append(t);
  }
  std::size_t kept = 0;
  for (ShapeLine& s : m.lines_) {
    // A line that reached the end of the text was read knowing that: never given again.
    if (s.at + s.length >= text.size()) break;
    mark_variable(m.bytes_, m.mask_, s);
    ++kept;
  }
  m.lines_.resize(kept);
  learn_whole(m);
  m.zone_ = zone;
  m.ready_ = true;
  m.learnt_now_ = true;
  ++m.stats_.learnt;
  wrote(m, out);
}

// What whole() needs of the lines learnt: their object lines, and whether they may be compared
// at once: consecutive, and no line followed by one that starts as a continuation (a byte
// compared, so the next telegram's is not one either).
void ShapeAccess::learn_whole(ParserMemory& m) {
  m.objects_ = 0;
  m.plain_ = true;
  for (std::size_t k = 0; k < m.lines_.size(); ++k) {
    const ShapeLine& s = m.lines_[k];
    m.objects_ += s.object ? 1 : 0;
    if (k + 1 == m.lines_.size()) break;
    const std::size_t next = s.at + s.length;
    m.plain_ = m.plain_ && m.lines_[k + 1].at == next && m.bytes_[next] != kOpen &&
               m.mask_[next] == static_cast<char>(0xFF);
  }
}

}  // namespace meterlab::p1::detail
