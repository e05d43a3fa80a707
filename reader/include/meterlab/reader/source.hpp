// Where the meter's bytes come from: a serial device or pty (termios), a TCP connection
// (ser2net / socat style), a file, or stdin. Every source is non-blocking: the read loop polls
// its descriptor and pushes whatever bytes have arrived; frame boundaries are the decoder's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "meterlab/reader/config.hpp"

namespace meterlab::reader {

enum class SourceKind : std::uint8_t { serial, tcp, file, stdin_stream };
std::string_view source_kind_name(SourceKind k) noexcept;  // "serial", "tcp", "file", "stdin"

struct ReadOutcome {
  enum class Kind : std::uint8_t {
    data,   // `bytes` bytes were read
    again,  // nothing now: poll again
    end,    // the end of the input (a file or stdin at EOF)
    lost,   // the device or connection went away (hang-up, EIO, reset): reopen it
  };
  Kind kind = Kind::again;
  std::size_t bytes = 0;
  std::string reason;  // for `lost`: "hung up", "Input/output error", ...
};

class Source {
 public:
  virtual ~Source() = default;
  // Opens (or reopens) the input; an empty string on success, else why not.
  virtual std::string open() = 0;
  virtual void close() noexcept = 0;
  // The descriptor to poll for input while open, else -1.
  virtual int fd() const noexcept = 0;
  virtual ReadOutcome read(std::span<std::uint8_t> buf) = 0;
  // Whether losing this input is worth a reopen (devices and TCP: yes; files and stdin: no).
  virtual bool reopenable() const noexcept = 0;
  virtual SourceKind kind() const noexcept = 0;
  const std::string& name() const noexcept { return name_; }

 protected:
  explicit Source(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// The source for `in.device`: "-" is stdin, "tcp://HOST:PORT" a TCP client, a path that is a
// character device a serial line (line settings applied when it is a tty), anything else a file.
std::unique_ptr<Source> make_source(const InputConfig& in);

// Puts a tty into raw mode with the line's speed and character format (VMIN = VTIME = 0: reads
// return what is there). Returns why it failed, if it did.
std::optional<std::string> apply_line_settings(int fd, const LineSettings& line);
// Reads the line settings back from a tty (speed, data bits, parity, stop bits).
std::optional<LineSettings> read_line_settings(int fd);

// "tcp://HOST:PORT" -> host and port; nullopt when it is not one.
struct TcpAddress {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<TcpAddress> parse_tcp_address(std::string_view device);

}  // namespace meterlab::reader
