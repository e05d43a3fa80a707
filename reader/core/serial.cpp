// termios: raw mode, speed and character format of a serial line or pty.
#include <termios.h>

#include <cerrno>
#include <cstring>

#include "line_termios.hpp"
#include "meterlab/core/serial_line.hpp"
#include "meterlab/reader/source.hpp"

namespace meterlab::reader {
namespace {

// The character format (serial_line.hpp's one rule for the simulator's pty and the reader), and
// parity checked by the UART: bad bytes are passed on (the framer's checksum finds them).
void set_format(termios& t, const LineSettings& line) {
  serial_line::set_char_format(t, line.data_bits, line.parity, line.stop_bits);
  if (line.parity != 'N') t.c_iflag |= INPCK;
}

}  // namespace

std::optional<std::string> to_termios(const LineSettings& line, termios& t) {
  // The reader's lines use the common rates only (300..115200, as the config accepts).
  auto speed =
      serial_line::common_rate(line.baud) ? serial_line::termios_speed(line.baud) : std::nullopt;
  if (!speed) return "unsupported baud rate " + std::to_string(line.baud);
  if (!serial_line::valid_data_bits(line.data_bits)) return "data bits must be 5..8";
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
  auto baud = serial_line::baud_of(::cfgetispeed(&t));
  if (!baud || !serial_line::common_rate(*baud)) return std::nullopt;
  return LineSettings{*baud, serial_line::data_bits_of(t.c_cflag),
                      serial_line::parity_of(t.c_cflag), serial_line::stop_bits_of(t.c_cflag)};
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
