#include "meterlab/decoder/json.hpp"

#include <nlohmann/json.hpp>

#include "meterlab/core/hex.hpp"

namespace meterlab {
namespace {

using nlohmann::json;

json text_or_null(const cosem::Telegram& t, cosem::TextRef r) {
  if (r.empty()) return nullptr;
  return std::string(t.text(r));
}

json reading_value(const cosem::Telegram& t, const cosem::Reading& r) {
  switch (r.kind) {
    case cosem::ValueKind::none: return nullptr;
    case cosem::ValueKind::boolean: return r.raw != 0;
    case cosem::ValueKind::integer:
      // A scaled value is a decimal fraction; unscaled integers stay integers.
      if (r.scaler < 0) return r.number();
      if (r.scaler == 0) {
        if (r.raw_unsigned) return static_cast<std::uint64_t>(r.raw);
        return r.raw;
      }
      return r.number();
    case cosem::ValueKind::real: return r.real;
    case cosem::ValueKind::text: return std::string(t.text(r.text));
    case cosem::ValueKind::octets: {
      std::string_view raw = t.text(r.text);
      return to_hex(Bytes(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
    }
    case cosem::ValueKind::date_time: return r.date_time.to_iso8601();
  }
  return nullptr;
}

json frame_json(cosem::Transport transport, std::size_t offset, std::size_t length) {
  return json{{"transport", transport_name(transport)}, {"offset", offset}, {"length", length}};
}

}  // namespace

void append_json(const cosem::Telegram& t, std::string& out) {
  json j;
  j["meter_id"] = text_or_null(t, t.meter_id);
  j["meter_type"] = text_or_null(t, t.meter_type);
  j["list_id"] = text_or_null(t, t.list_id);
  j["layout"] = std::string(t.layout);
  j["timestamp"] = t.timestamp ? json(t.timestamp->to_iso8601()) : json(nullptr);
  auto utc = t.timestamp ? t.timestamp->to_utc() : std::nullopt;
  j["timestamp_utc"] = utc ? json(*utc) : json(nullptr);
  j["dst"] = t.timestamp && t.timestamp->status_known ? json(t.timestamp->dst()) : json(nullptr);
  j["security"] = dlms::state_name(static_cast<dlms::SecurityState>(t.security));
  j["system_title"] = t.system_title ? json(to_hex(*t.system_title)) : json(nullptr);
  j["invocation_counter"] = t.invocation_counter ? json(*t.invocation_counter) : json(nullptr);
  j["invoke_id"] = t.invoke_id;
  json readings = json::array();
  for (const cosem::Reading& r : t.readings) {
    readings.push_back(json{{"obis", r.obis.to_string()},
                            {"name", std::string(r.name)},
                            {"value", reading_value(t, r)},
                            {"unit", std::string(r.unit)}});
  }
  j["readings"] = std::move(readings);
  json frame = frame_json(t.transport, t.stream_offset, t.length);
  frame["segments"] = t.segments;
  j["frame"] = std::move(frame);
  out += j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void append_json(const Rejection& r, std::string& out) {
  json e{{"layer", name(r.layer())},
         {"code", name(r.error.code)},
         {"offset", r.error.offset},
         {"message", message(r.error.code)},
         {"frame", frame_json(r.transport, r.frame_offset, r.frame_length)}};
  if (r.system_title) e["system_title"] = to_hex(*r.system_title);
  out += json{{"error", std::move(e)}}.dump();
}

void append_json(const DecoderStats& s, std::string& out) {
  json errors = json::object();
  for (std::size_t i = 0; i < s.by_code.size(); ++i) {
    if (s.by_code[i] != 0) errors[std::string(name(static_cast<Errc>(i)))] = s.by_code[i];
  }
  json layers = json::object();
  for (std::size_t i = 0; i < s.by_code.size(); ++i) {
    if (s.by_code[i] == 0) continue;
    std::string layer(name(layer_of(static_cast<Errc>(i))));
    layers[layer] = layers.value(layer, std::uint64_t{0}) + s.by_code[i];
  }
  json j{{"bytes_in", s.bytes_in},
         {"bytes_in_frames", s.bytes_in_frames},
         {"bytes_discarded", s.bytes_discarded},
         {"frames_ok", s.frames_ok},
         {"resyncs", s.resyncs},
         {"messages", s.messages},
         {"telegrams", s.telegrams},
         {"rejections", s.rejections},
         {"rejections_by_layer", std::move(layers)},
         {"errors", std::move(errors)}};
  out += j.dump();
}

}  // namespace meterlab
