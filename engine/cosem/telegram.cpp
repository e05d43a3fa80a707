// Telegram storage: strings are appended to one reused buffer, so a steady stream of telegrams
// allocates nothing once the buffers have grown.
#include "meterlab/cosem/telegram.hpp"

#include <cmath>

namespace meterlab::cosem {

double Reading::number() const noexcept {
  switch (kind) {
    case ValueKind::integer: {
      double base = raw_unsigned ? static_cast<double>(static_cast<std::uint64_t>(raw))
                                 : static_cast<double>(raw);
      if (scaler == 0) return base;
      // Multiplying by a negative power of ten loses a digit ulp; dividing keeps 2276 / 10 exact.
      return scaler > 0 ? base * std::pow(10.0, scaler) : base / std::pow(10.0, -scaler);
    }
    case ValueKind::boolean:
      return static_cast<double>(raw);
    case ValueKind::real:
      return real;
    default:
      return 0;
  }
}

TextRef Telegram::store(std::string_view s) {
  TextRef ref{static_cast<std::uint32_t>(text_storage.size()),
              static_cast<std::uint32_t>(s.size())};
  text_storage.append(s);
  return ref;
}

void Telegram::clear() noexcept {
  meter_id = {};
  meter_type = {};
  list_id = {};
  layout = {};
  timestamp.reset();
  security = 0;
  system_title.reset();
  invocation_counter.reset();
  invoke_id = 0;
  readings.clear();
  transport = Transport::apdu;
  stream_offset = 0;
  length = 0;
  segments = 0;
  text_storage.clear();
}

}  // namespace meterlab::cosem
