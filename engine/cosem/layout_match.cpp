// Matching: which layouts may map a body. The body's keys (root, count, first OBIS code, list id,
// first child) are read once and compared with every layout's; a layout without a key of its own
// is passed over when its first child, or (positional) the types of its elements, certainly do
// not fit.
#include "layout_model.hpp"

namespace meterlab::cosem::detail {

using axdr::Node;
using axdr::Tag;

namespace {

// The body's first OBIS code: the first child, or the first child of the first structure.
std::optional<ObisCode> first_obis(const axdr::Document& doc) {
  const auto& nodes = doc.nodes();
  if (nodes.size() < 2) return std::nullopt;
  std::uint32_t idx = 1;
  if (nodes[idx].tag == Tag::structure && nodes[idx].count > 0) idx = 2;
  if (idx >= nodes.size() || !is_obis_node(nodes[idx])) return std::nullopt;
  auto code = ObisCode::from_bytes(doc.bytes(nodes[idx]), 0);
  return code ? std::optional<ObisCode>(*code) : std::nullopt;
}

// The list's id text: the value after a leading x-x:0.2.129 object, or a leading string.
std::optional<std::string_view> list_id_text(const axdr::Document& doc) {
  const auto& nodes = doc.nodes();
  if (nodes.size() < 2) return std::nullopt;
  auto obis = first_obis(doc);
  if (obis && is_list_id(*obis)) {
    std::uint32_t obis_idx = nodes[1].tag == Tag::structure ? 2u : 1u;
    std::uint32_t value_idx = doc.next_sibling(obis_idx);
    if (value_idx >= nodes.size() || !nodes[value_idx].is_string()) return std::nullopt;
    return as_text(doc.bytes(nodes[value_idx]));
  }
  if (nodes[1].is_string()) return as_text(doc.bytes(nodes[1]));
  return std::nullopt;
}

}  // namespace

// A positional layout without an identifying key is tried on every body whose shape matches, so a
// wrong one is often walked and fails on an element's type. This runs those type checks ahead of
// the walk: false when the walk would certainly end in cosem_layout_mismatch. It gives up (true)
// at the first element whose mapping could fail in another way (a clock, date or time parse),
// so that skipping the walk never hides a different error.
bool types_fit(const Layout& l, const axdr::Document& doc) {
  std::uint32_t idx = axdr::Document::first_child(0);
  for (const ElementSpec& e : l.elements) {
    if (idx >= doc.nodes().size()) return true;
    const Node& n = doc.nodes()[idx];
    if (e.role == Role::clock || e.role == Role::date || e.role == Role::time) return true;
    if (n.tag == Tag::date_time || n.tag == Tag::date || n.tag == Tag::time) return true;
    if (!e.check.accepts(n)) return false;
    idx = doc.next_sibling(idx);
  }
  return true;
}

BodyKeys body_keys(const axdr::Document& doc) {
  const Node& root = doc.root();
  const Node* first = root.is_container() && root.count > 0 ? &doc.nodes()[1] : nullptr;
  return BodyKeys{root.tag, root.count, first_obis(doc), list_id_text(doc), first};
}

// The first check each walk makes (layout_walk.cpp): a positional layout's first element and an
// OBIS layout's first prefix element are type-checked first (map_element); an OBIS layout's run
// starts with a structure, an OBIS code or a null-data placeholder (map_obis_item); a capture
// list with its array (map_capture). A layout with an identifying key is not passed over: its
// mismatch is reported.
FirstChild first_child_check(const Layout& l) {
  constexpr TypeCheck kObisItem{
      axdr::detail::tag_bit(Tag::structure) | axdr::detail::tag_bit(Tag::null_data), 6};
  if (l.identified()) return {};
  switch (l.mode) {
    case Mode::positional:
      return l.elements.empty() ? FirstChild{} : FirstChild{l.elements[0].check, 1};
    case Mode::obis:
      if (!l.prefix.empty()) return {l.prefix[0].check, 1};
      return {kObisItem, static_cast<std::uint32_t>(l.suffix.size()) + 1};
    case Mode::capture:
      return {{axdr::detail::tag_bit(Tag::array), 0}, 1};
    case Mode::generic:
      break;
  }
  return {};
}

}  // namespace meterlab::cosem::detail
