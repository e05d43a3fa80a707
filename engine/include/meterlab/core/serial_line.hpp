// The serial line of a meter's customer interface, written once for the simulator's pty and the
// reader's serial input and configuration: the baud rates with their termios speed constants, and
// the character format (data bits, parity, stop bits) with its termios flags.
//
// Header-only and POSIX (<termios.h>): no engine library source includes it, so the engine stays
// free of OS headers; the simulator io and the reader, which both already see engine/include,
// do. (The simulator must not depend on the reader, so the table cannot live in reader/.)
#pragma once

#include <termios.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace meterlab::serial_line {

struct BaudRate {
  int baud;
  speed_t code;  // the Linux <termios.h> Bxxx constant
  bool common;   // one a reader is asked for: 300 x 2^n up to 38400, 57600, 115200
};

// Every rate termios can set.
inline constexpr std::array<BaudRate, 30> kBaudRates{{
    {50, B50, false},           {75, B75, false},           {110, B110, false},
    {134, B134, false},         {150, B150, false},         {200, B200, false},
    {300, B300, true},          {600, B600, true},          {1200, B1200, true},
    {1800, B1800, false},       {2400, B2400, true},        {4800, B4800, true},
    {9600, B9600, true},        {19200, B19200, true},      {38400, B38400, true},
    {57600, B57600, true},      {115200, B115200, true},    {230400, B230400, false},
    {460800, B460800, false},   {500000, B500000, false},   {576000, B576000, false},
    {921600, B921600, false},   {1000000, B1000000, false}, {1152000, B1152000, false},
    {1500000, B1500000, false}, {2000000, B2000000, false}, {2500000, B2500000, false},
    {3000000, B3000000, false}, {3500000, B3500000, false}, {4000000, B4000000, false},
}};

inline constexpr int kMinDataBits = 5;
inline constexpr int kMaxDataBits = 8;
inline constexpr int kMinStopBits = 1;
inline constexpr int kMaxStopBits = 2;

// The parity names of a config file and the letters of "8E1".
inline constexpr std::array<std::pair<std::string_view, char>, 3> kParities{{
    {"none", 'N'},
    {"even", 'E'},
    {"odd", 'O'},
}};

inline std::optional<speed_t> termios_speed(int baud) {
  for (const BaudRate& r : kBaudRates) {
    if (r.baud == baud) return r.code;
  }
  return std::nullopt;
}

inline std::optional<int> baud_of(speed_t code) {
  for (const BaudRate& r : kBaudRates) {
    if (r.code == code) return r.baud;
  }
  return std::nullopt;
}

inline bool common_rate(int baud) {
  for (const BaudRate& r : kBaudRates) {
    if (r.baud == baud) return r.common;
  }
  return false;
}

// "300, 600, ..., 115200": the common rates, for messages.
inline std::string common_rates_text() {
  std::string out;
  for (const BaudRate& r : kBaudRates) {
    if (r.common) out += (out.empty() ? "" : ", ") + std::to_string(r.baud);
  }
  return out;
}

inline bool valid_data_bits(int bits) { return bits >= kMinDataBits && bits <= kMaxDataBits; }
inline bool valid_stop_bits(int bits) { return bits >= kMinStopBits && bits <= kMaxStopBits; }

// 'N', 'E' or 'O' in either case, upper-cased; '\0' for anything else.
inline char parity_letter(char c) {
  const char up = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  for (const auto& [name, letter] : kParities) {
    if (letter == up) return up;
  }
  return '\0';
}

inline tcflag_t char_size_flag(int data_bits) {
  switch (data_bits) {
    case 5:
      return CS5;
    case 6:
      return CS6;
    case 7:
      return CS7;
    default:
      return CS8;
  }
}

inline int data_bits_of(tcflag_t cflag) {
  switch (cflag & CSIZE) {
    case CS5:
      return 5;
    case CS6:
      return 6;
    case CS7:
      return 7;
    default:
      return 8;
  }
}

// The character format in c_cflag: size, parity (PARENB, PARODD), stop bits (CSTOPB); the
// receiver on, modem lines and hardware flow control off (a meter interface has neither).
inline void set_char_format(termios& t, int data_bits, char parity, int stop_bits) {
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= char_size_flag(data_bits) | static_cast<tcflag_t>(CREAD | CLOCAL);
  if (parity != 'N') t.c_cflag |= static_cast<tcflag_t>(PARENB);
  if (parity == 'O') t.c_cflag |= static_cast<tcflag_t>(PARODD);
  if (stop_bits == 2) t.c_cflag |= static_cast<tcflag_t>(CSTOPB);
}

inline char parity_of(tcflag_t cflag) {
  if ((cflag & PARENB) == 0) return 'N';
  return (cflag & PARODD) != 0 ? 'O' : 'E';
}

inline int stop_bits_of(tcflag_t cflag) { return (cflag & CSTOPB) != 0 ? 2 : 1; }

}  // namespace meterlab::serial_line
