// Layout mapping: the input is a notification body (one A-XDR value), mapped with the built-in
// layouts into a Telegram, which is then written as JSON. Invariants: a mapped body names its
// layout and that layout is among matching(); every text reference lies inside the telegram's
// text storage; errors are cosem (or axdr) errors at offsets inside the body.
#include <string>

#include "fuzz_common.hpp"
#include "meterlab/axdr/axdr.hpp"
#include "meterlab/cosem/layout.hpp"
#include "meterlab/decoder/json.hpp"

namespace {

using namespace meterlab;

constexpr std::size_t kBodyOffset = 20;  // as if the body followed a data-notification header

void check_ref(const cosem::Telegram& t, cosem::TextRef r) {
  FUZZ_CHECK(r.offset <= t.text_storage.size() && r.length <= t.text_storage.size() - r.offset);
}

void check_telegram(const cosem::Telegram& t) {
  check_ref(t, t.meter_id);
  check_ref(t, t.meter_type);
  check_ref(t, t.list_id);
  for (const cosem::Reading& r : t.readings) {
    if (r.has_text()) check_ref(t, r.text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static axdr::Document body;
  static cosem::Telegram telegram;  // reused, as the decoder does
  auto used = axdr::parse(Bytes(data, size), body, kBodyOffset);
  if (!used) return 0;
  const cosem::LayoutSet& layouts = cosem::LayoutSet::builtin();
  const cosem::LayoutContext ctx{&body, kBodyOffset};
  telegram.clear();
  auto mapped = layouts.map(ctx, telegram);
  if (!mapped) {
    Layer l = layer_of(mapped.error().code);
    FUZZ_CHECK(l == Layer::cosem || l == Layer::axdr);
    FUZZ_CHECK(mapped.error().offset >= kBodyOffset && mapped.error().offset <= kBodyOffset + size);
    return 0;
  }
  FUZZ_CHECK(!telegram.layout.empty());
  check_telegram(telegram);
  bool listed = false;
  for (std::string_view name : layouts.matching(ctx)) listed = listed || name == telegram.layout;
  FUZZ_CHECK(listed);
  static std::string json;
  json.clear();
  append_json(telegram, json);
  FUZZ_CHECK(!json.empty() && json.front() == '{' && json.back() == '}');
  return 0;
}
