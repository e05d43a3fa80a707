// The matching's first-child check (layout_match.cpp first_child_check) against the walk it
// stands for: a layout the check passes over must be one whose walk ends in
// cosem_layout_mismatch, for every built-in layout on every vector body.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "layout_model.hpp"
#include "layout_test_util.hpp"

namespace meterlab::cosem {

namespace detail {
std::string_view builtin_layouts_json(std::size_t i) noexcept;  // generated: builtin_layouts.cpp
std::size_t builtin_layouts_json_count() noexcept;
}  // namespace detail

namespace {

using namespace layout_testing;

std::deque<detail::Layout> builtin_layouts(std::deque<std::string>& names) {
  std::deque<detail::Layout> layouts;
  for (std::size_t i = 0; i < detail::builtin_layouts_json_count(); ++i) {
    detail::parse_layouts(detail::builtin_layouts_json(i), layouts, names);
  }
  return layouts;
}

// Whether the first-child check passes layout `l` over on this body: keys_match() with no other
// key than the first child.
bool passed_over(const detail::Layout& l, const axdr::Document& doc) {
  LayoutSet::Impl::Keys only_first;
  only_first.first = detail::first_child_check(l);
  return !detail::keys_match(only_first, detail::body_keys(doc));
}

// Bodies: every vector's, a flat list of 30 numbers (the generic benchmark's), a flat run of
// OBIS, value pairs and a structure that starts with an array of numbers.
std::vector<std::string> bodies() {
  std::vector<std::string> hex;
  for (const auto& v : kVectorApdus) hex.emplace_back(v.hex);
  std::string flat = "0f0000000100021e";
  for (int i = 0; i < 30; ++i) flat += "0600010010";
  hex.push_back(flat);
  hex.emplace_back(
      "0f0000000100"
      "0204"
      "09060100010700ff"
      "0600000010"
      "09060100020700ff"
      "120010");
  hex.emplace_back(
      "0f0000000100"
      "0202"
      "0102"
      "120001"
      "120002"
      "0600000001");
  return hex;
}

TEST(LayoutMatch, FirstChildCheckPassesOverOnlyLayoutsWhoseWalkMismatches) {
  std::deque<std::string> names;
  const std::deque<detail::Layout> layouts = builtin_layouts(names);
  std::size_t skipped = 0, kept = 0;
  for (const std::string& hex : bodies()) {
    Apdu a;
    parse_apdu(a, hex);
    for (const detail::Layout& l : layouts) {
      if (!passed_over(l, a.doc)) {
        ++kept;
        continue;
      }
      ++skipped;
      Telegram t;
      const Result<void> r = detail::walk(l, a.context(), t);
      ASSERT_FALSE(r) << l.name << " on " << hex;
      EXPECT_EQ(Errc::cosem_layout_mismatch, r.error().code) << l.name << " on " << hex;
    }
  }
  // The check is tried on real bodies both ways (not vacuous).
  EXPECT_GT(skipped, 100u);
  EXPECT_GT(kept, 50u);
}

// A layout with an identifying key is never passed over by its first child: its walk reports
// the mismatch (LayoutErrors.WrongElementTypeIsLayoutMismatchAtItsOffset).
TEST(LayoutMatch, IdentifiedLayoutsHaveNoFirstChildCheck) {
  std::deque<std::string> names;
  std::size_t identified = 0;
  for (const detail::Layout& l : builtin_layouts(names)) {
    if (!l.identified()) continue;
    ++identified;
    const detail::FirstChild first = detail::first_child_check(l);
    EXPECT_EQ(~std::uint32_t{0}, first.check.tags) << l.name;
  }
  EXPECT_GT(identified, 0u);
}

}  // namespace
}  // namespace meterlab::cosem
