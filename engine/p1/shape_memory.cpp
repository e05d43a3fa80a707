// The telegram shape memory (meterlab/p1/parser_memory.hpp, shape_memory.hpp).
#include "shape_memory.hpp"

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

// Whether the `n` bytes at `p` equal those at `want` wherever `mask` has 0xFF: a word at a time,
// the last word overlapping the one before.
bool same(const char* p, const char* want, const char* mask, std::size_t n) noexcept {
  if (n < kWord) {
    for (std::size_t i = 0; i < n; ++i) {
      if (((p[i] ^ want[i]) & mask[i]) != 0) return false;
    }
    return true;
  }
  for (std::size_t i = 0; i + kWord <= n; i += kWord) {
    if (((load(p + i) ^ load(want + i)) & load(mask + i)) != 0) return false;
  }
  const std::size_t last = n - kWord;
  return ((load(p + last) ^ load(want + last)) & load(mask + last)) == 0;
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

// Zeroes the variable digits of `s` in the learnt bytes and its mask.
void mark_variable(std::string& bytes, std::string& mask, const ShapeLine& s) {
  const auto clear = [&](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i) {
      if (bytes[i] >= '0' && bytes[i] <= '9') bytes[i] = mask[i] = 0;
    }
  };
  if (s.number_at != ShapeLine::kNone) clear(s.at + s.number_at, s.number_length);
  if (s.stamp_at != ShapeLine::kNone) clear(s.at + s.stamp_at, kStampDigits);
}

}  // namespace

bool ShapeAccess::start(ParserMemory& m, const Zone& zone) noexcept {
  m.pending_.clear();
  if (!m.on_) return false;
  ++m.stats_.telegrams;
  return m.ready_ && m.zone_.winter_minutes == zone.winter_minutes &&
         m.zone_.summer_minutes == zone.summer_minutes;
}

const char* ShapeAccess::give(ParserMemory& m, std::size_t i, const char* begin, const char* p,
                              const char* end, cosem::Telegram& out, std::size_t& index) {
  if (i >= m.lines_.size()) return nullptr;
  const ShapeLine& s = m.lines_[i];
  // The learnt line was followed by a line that does not continue it; so must this one be.
  const auto left = static_cast<std::size_t>(end - p);
  if (left <= s.length || p[s.length] == kOpen) return nullptr;
  if (!same(p, m.bytes_.data() + s.at, m.mask_.data() + s.at, s.length)) return nullptr;
  const std::size_t first = out.readings.size();
  if (s.number_at != ShapeLine::kNone || s.stamp_at != ShapeLine::kNone) {
    cosem::Reading r = m.readings_[s.first];  // a line of the Known shapes: one reading
    if (!values(s, p, end, m.zone_, r)) return nullptr;
    out.readings.push_back(r);
  } else {
    for (std::size_t k = 0; k < s.count; ++k) {
      cosem::Reading& r = out.readings.emplace_back(m.readings_[s.first + k]);
      if (r.kind == cosem::ValueKind::text || r.kind == cosem::ValueKind::octets) {
        r.text = out.store(std::string_view(m.texts_).substr(r.text.offset, r.text.length));
      }
    }
  }
  ShapeLine& seen = m.pending_.emplace_back(s);
  seen.at = static_cast<std::uint32_t>(p - begin);
  seen.first = static_cast<std::uint32_t>(first);
  ++m.stats_.lines_hit;
  if (s.object) ++index;
  return p + s.length;
}

void ShapeAccess::finish(ParserMemory& m, std::string_view text, const cosem::Telegram& out,
                         const Problems& problems, bool all_hit, const Zone& zone) {
  if (!m.on_) return;
  if (all_hit && !m.pending_.empty()) ++m.stats_.all_hit;
  if (all_hit || problems.count != 0) return;
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
  m.lines_.clear();
  for (const ShapeLine& s : m.pending_) {
    // A line that reached the end of the text was read knowing that: never given again.
    if (s.at + s.length >= text.size()) break;
    mark_variable(m.bytes_, m.mask_, s);
    m.lines_.push_back(s);
  }
  m.zone_ = zone;
  m.ready_ = true;
  ++m.stats_.learnt;
}

}  // namespace meterlab::p1::detail
