// termios: raw mode, speed and character format of a serial line or pty.
#include <termios.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "line_termios.hpp"
#include "meterlab/reader/source.hpp"

namespace meterlab::reader {
namespace {

constexpr std::array<std::pair<int, speed_t>, 10> kSpeeds = {{
    {300, B300},
    {600, B600},
    {1200, B1200},
    {2400, B2400},
    {4800, B4800},
    {9600, B9600},
    {19200, B19200},
    {38400, B38400},
    {57600, B57600},
    {115200, B115200},
}};

std::optional<speed_t> to_speed(int baud) {
  for (const auto& [rate, code] : kSpeeds) {
    if (rate == baud) return code;
  }
  return std::nullopt;
}

std::optional<int> from_speed(speed_t code) {
  for (const auto& [rate, c] : kSpeeds) {
    if (c == code) return rate;
  }
  return std::nullopt;
}

tcflag_t size_flag(int data_bits) {
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

// The character format: size, parity (PARENB, PARODD), stop bits (CSTOPB); the receiver on,
// modem lines ignored (a meter interface has no carrier detect).
void set_format(termios& t, const LineSettings& line) {
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= size_flag(line.data_bits) | CREAD | CLOCAL;
  if (line.parity != 'N') t.c_cflag |= PARENB;
  if (line.parity == 'O') t.c_cflag |= PARODD;
  if (line.stop_bits == 2) t.c_cflag |= CSTOPB;
  // Parity is checked by the UART; bad bytes are passed on (the framer's checksum finds them).
  if (line.parity != 'N') t.c_iflag |= INPCK;
}

}  // namespace

std::optional<std::string> to_termios(const LineSettings& line, termios& t) {
  auto speed = to_speed(line.baud);
  if (!speed) return "unsupported baud rate " + std::to_string(line.baud);
  if (line.data_bits < 5 || line.data_bits > 8) return "data bits must be 5..8";
  ::cfmakeraw(&t);  // no echo, no line editing, no CR/NL mapping, no signals
  set_format(t, line);
  // VMIN = VTIME = 0: a read returns what has arrived; the loop polls for more.
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  if (::cfsetispeed(&t, *speed) != 0 || ::cfsetospeed(&t, *speed) != 0) {
    return std::string("cfsetspeed: ") + std::strerror(errno);
  }
  return std::nullopt;
}

std::optional<LineSettings> from_termios(const termios& t) {
  auto baud = from_speed(::cfgetispeed(&t));
  if (!baud) return std::nullopt;
  LineSettings line;
  line.baud = *baud;
  switch (t.c_cflag & CSIZE) {
    case CS5:
      line.data_bits = 5;
      break;
    case CS6:
      line.data_bits = 6;
      break;
    case CS7:
      line.data_bits = 7;
      break;
    default:
      line.data_bits = 8;
      break;
  }
  line.parity = (t.c_cflag & PARENB) == 0 ? 'N' : ((t.c_cflag & PARODD) != 0 ? 'O' : 'E');
  line.stop_bits = (t.c_cflag & CSTOPB) != 0 ? 2 : 1;
  return line;
}

std::optional<std::string> apply_line_settings(int fd, const LineSettings& line) {
  termios t{};
  if (::tcgetattr(fd, &t) != 0) return std::string("tcgetattr: ") + std::strerror(errno);
  if (auto err = to_termios(line, t)) return err;
  if (::tcsetattr(fd, TCSANOW, &t) != 0) return std::string("tcsetattr: ") + std::strerror(errno);
  ::tcflush(fd, TCIFLUSH);  // bytes queued before the settings were right are noise
  return std::nullopt;
}

std::optional<LineSettings> read_line_settings(int fd) {
  termios t{};
  if (::tcgetattr(fd, &t) != 0) return std::nullopt;
  return from_termios(t);
}

}  // namespace meterlab::reader
