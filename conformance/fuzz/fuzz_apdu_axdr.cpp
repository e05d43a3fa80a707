// APDU parsing (data-notification, ciphered header) and A-XDR: the input is one APDU. The body
// of a data-notification is parsed with axdr::parse, and so is the whole input as raw A-XDR.
// Invariants on the node tape: the subtree sizes add up, every container has `count` children
// (compact arrays aside), every node's content lies inside the parsed input, the limits hold.
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/axdr/axdr.hpp"
#include "meterlab/dlms/apdu.hpp"

namespace {

using namespace meterlab;

void check_tape(const axdr::Document& doc, std::size_t used) {
  const auto& nodes = doc.nodes();
  FUZZ_CHECK(!nodes.empty());
  FUZZ_CHECK(nodes.size() <= axdr::kMaxNodes);
  FUZZ_CHECK(used <= doc.source().size());
  FUZZ_CHECK(doc.root().subtree == nodes.size());
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    const axdr::Node& n = nodes[i];
    FUZZ_CHECK(n.subtree >= 1 && i + n.subtree <= nodes.size());
    FUZZ_CHECK(n.offset <= used);
    if (n.is_string() || n.tag == axdr::Tag::bit_string || n.tag == axdr::Tag::date_time ||
        n.tag == axdr::Tag::date || n.tag == axdr::Tag::time) {
      std::size_t len = n.tag == axdr::Tag::bit_string ? (std::size_t{n.count} + 7) / 8 : n.count;
      FUZZ_CHECK(n.data <= used && len <= used - n.data);
    }
    if (!n.is_container()) {
      FUZZ_CHECK(n.subtree == 1);
      continue;
    }
    if (n.tag == axdr::Tag::compact_array) continue;
    std::uint32_t children = 0;
    std::uint32_t end = i + n.subtree;
    std::uint32_t c = axdr::Document::first_child(i);
    for (; c < end; c = doc.next_sibling(c)) ++children;
    FUZZ_CHECK(c == end);
    FUZZ_CHECK(children == n.count);
  }
}

void parse_value(Bytes in, std::size_t base) {
  static axdr::Document doc;  // reused, as the decoder does: stale nodes must not leak through
  auto used = axdr::parse(in, doc, base);
  if (!used) {
    Layer l = layer_of(used.error().code);
    FUZZ_CHECK(l == Layer::axdr || l == Layer::core);
    FUZZ_CHECK(used.error().offset >= base && used.error().offset <= base + in.size());
    return;
  }
  FUZZ_CHECK(doc.source().size() == in.size());
  check_tape(doc, *used);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes apdu(data, size);
  dlms::DataNotification n;
  if (dlms::parse_data_notification(apdu, n)) {
    FUZZ_CHECK(n.body_offset <= size && n.body.size() == size - n.body_offset);
    FUZZ_CHECK(n.date_time_form == dlms::DateTimeForm::absent || n.date_time.size() == 12);
    parse_value(n.body, n.body_offset);
  }
  dlms::CipheredApdu c;
  if (dlms::parse_ciphered(apdu, c)) {
    FUZZ_CHECK(c.ciphertext_offset + c.ciphertext.size() + c.tag_bytes.size() == size);
    FUZZ_CHECK(c.tag_bytes.empty() || c.tag_bytes.size() == 12);
  }
  parse_value(apdu, 0);
  return 0;
}
