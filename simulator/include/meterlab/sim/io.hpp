// Where the simulated meter's bytes go (a pty, a file, stdout, a TCP listener on 127.0.0.1) and
// how fast: at the profile's line rate, a multiple of it, or as fast as possible.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "meterlab/sim/time.hpp"

namespace meterlab::sim {

struct SerialSettings {
  int baud = 2400;  // one of the termios rates, 50 .. 4000000
  int data_bits = 8;
  char parity = 'E';  // 'N', 'E', 'O'
  int stop_bits = 1;

  int bits_per_byte() const noexcept { return 1 + data_bits + (parity == 'N' ? 0 : 1) + stop_bits; }
  // Time on the line for n bytes, in ms, rounded up (2400 8E1: 11 bits a byte -> 4.583 ms).
  Duration airtime_ms(std::size_t n) const noexcept;
  // "2400 8E1", "115200 8N1": a termios rate, 5..8 data bits, N/E/O (any case), 1 or 2 stop bits.
  static std::optional<SerialSettings> parse(std::string_view text);
  std::string to_string() const;
};

// A byte sink. write() never blocks for long: what the other end cannot take now is dropped
// and counted, as on a serial line with nobody listening (file and stdout are the exception: they
// wait for room, as their reader wants every byte). Setup errors throw std::system_error.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::span<const std::uint8_t> bytes) = 0;
  virtual void flush() {}
  // "pty /dev/pts/5 (link /tmp/meter)", "tcp 127.0.0.1:4059", "file out.bin", "stdout"
  virtual std::string describe() const = 0;
  // Whether something takes the bytes now (pty: the slave is open; tcp: a client is connected;
  // file and stdout: always). Lets a caller wait for a reader before it starts the clock.
  virtual bool connected() { return true; }
  // Every byte handed to write() is counted once: written when it reached the other end (tcp: at
  // least one client), dropped when nobody could take it.
  std::uint64_t bytes_written() const noexcept { return written_; }
  std::uint64_t bytes_dropped() const noexcept { return dropped_; }

 protected:
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
};

// A pseudo-terminal: the slave side is set raw at the given settings (so a reader's tcgetattr sees
// e.g. 2400 8E1; Linux's pty driver keeps the rate, PARODD and CSTOPB but forces CS8 and clears
// PARENB); `link`, when given, is a symlink to the slave path, replaced if it is a symlink (a
// regular file or directory there is refused) and removed when the sink is destroyed. Bytes
// written while no reader has the slave open are dropped; see simulator/io/pty.cpp.
std::unique_ptr<Sink> open_pty(const SerialSettings& serial, const std::string& link,
                               std::string* slave_path);
std::unique_ptr<Sink> open_file(const std::string& path);
std::unique_ptr<Sink> open_stdout();
// Listens on 127.0.0.1:port (0 = any free port, reported in *bound_port); bytes go to every
// connected client, clients may come and go.
std::unique_ptr<Sink> open_tcp(std::uint16_t port, std::uint16_t* bound_port);

struct Speed {
  bool max = false;     // as fast as possible
  double factor = 1.0;  // 1 = real time
  // "realtime", "max", or a positive number ("10", "2.5")
  static std::optional<Speed> parse(std::string_view text);
};

// Paces a stream of frames: a frame the meter starts sending at virtual time t leaves at wall time
// start + (t - t0) / factor, its bytes at the line rate times factor (sent in slices of about
// 10 ms). With Speed::max nothing waits. Uses std::chrono::steady_clock; the virtual clock itself
// never reads it.
class Pacer {
 public:
  Pacer(const SerialSettings& serial, Speed speed, SimTime t0);
  // Blocks until the frame's last slice is on the line (never with Speed::max). A frame due while
  // the previous one is still on the line waits for it; one already late leaves at once.
  void send(Sink& sink, SimTime t, std::span<const std::uint8_t> bytes);
  // Virtual time t0 is now: e.g. after waiting for a reader, so the first frames do not burst out.
  void restart(SimTime t0);

 private:
  std::chrono::steady_clock::time_point wall_at(SimTime t) const;

  SerialSettings serial_;
  Speed speed_;
  SimTime t0_;
  std::chrono::steady_clock::time_point wall0_;
  std::chrono::steady_clock::time_point line_free_;  // when the last frame's last stop bit ends
};

}  // namespace meterlab::sim
