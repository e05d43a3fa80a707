// Telegram storage: strings are appended to one reused buffer, so a steady stream of telegrams
// allocates nothing once the buffers have grown.
#include "meterlab/cosem/telegram.hpp"

#include <cmath>
#include <iterator>
#include <limits>

namespace meterlab::cosem {

namespace {

// 10^0 .. 10^22 are exact doubles, so this table gives what std::pow(10.0, n) gives for them,
// without a call to pow per reading.
constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double power_of_ten(int n) noexcept {
  if (n < static_cast<int>(std::size(kPowersOfTen))) return kPowersOfTen[n];
  return std::pow(10.0, n);
}

}  // namespace

std::optional<Reading::Whole> Reading::whole() const noexcept {
  if (kind != ValueKind::integer || scaler < 0) return std::nullopt;
  if (scaler == 0) return Whole{raw, raw_unsigned};  // the common case, no arithmetic
  std::uint64_t magnitude = raw_unsigned || raw >= 0 ? static_cast<std::uint64_t>(raw)
                                                     : 0 - static_cast<std::uint64_t>(raw);
  const bool negative = !raw_unsigned && raw < 0;
  for (int i = 0; i < scaler; ++i) {
    if (magnitude > std::numeric_limits<std::uint64_t>::max() / 10) return std::nullopt;
    magnitude *= 10;
  }
  constexpr auto kMaxSigned = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative && magnitude > kMaxSigned) return Whole{static_cast<std::int64_t>(magnitude), true};
  if (negative && magnitude > kMaxSigned + 1) return std::nullopt;
  return Whole{
      negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude),
      false};
}

double Reading::number() const noexcept {
  switch (kind) {
    case ValueKind::integer: {
      double base = raw_unsigned ? static_cast<double>(static_cast<std::uint64_t>(raw))
                                 : static_cast<double>(raw);
      if (scaler == 0) return base;
      // Multiplying by a negative power of ten loses a digit ulp; dividing keeps 2276 / 10 exact.
      return scaler > 0 ? base * power_of_ten(scaler) : base / power_of_ten(-scaler);
    }
    case ValueKind::boolean:
      return static_cast<double>(raw);
    case ValueKind::real:
      return real;
    default:
      return 0;
  }
}

std::size_t Reading::write_position(char* out) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < position.size() && position[i] != 0; ++i) {
    if (i > 0) out[n++] = '.';
    const unsigned v = position[i];
    if (v >= 100) out[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) out[n++] = static_cast<char>('0' + v / 10 % 10);
    out[n++] = static_cast<char>('0' + v % 10);
  }
  return n;
}

std::string Reading::position_text() const {
  char buf[kPositionMax];
  return std::string(buf, write_position(buf));
}

std::string_view clock_source_name(ClockSource s) noexcept {
  switch (s) {
    case ClockSource::meter:
      return "meter";
    case ClockSource::zone:
      return "zone";
    case ClockSource::none:
      break;
  }
  return "";
}

std::size_t Telegram::write_utc(char* out) const noexcept {
  if (!timestamp || timestamp_source == ClockSource::none) return 0;
  DateTime local = *timestamp;
  local.deviation = utc_deviation;
  return local.write_utc(out);
}

std::optional<std::string> Telegram::utc() const {
  char buf[DateTime::kTextMax];
  const std::size_t n = write_utc(buf);
  if (n == 0) return std::nullopt;
  return std::string(buf, n);
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
  family_zone = {};
  deviation_unreliable = false;
  timestamp_source = ClockSource::none;
  utc_deviation = 0;
  clock_warnings.clear();
  security = 0;
  system_title.reset();
  invocation_counter.reset();
  invoke_id = 0;
  readings.clear();
  transport = Transport::apdu;
  stream_offset = 0;
  length = 0;
  segments = 0;
  check = 0;
  warning = {};
  text_storage.clear();
}

}  // namespace meterlab::cosem
