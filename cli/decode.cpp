// meterlab decode: bytes from a file or stdin (binary or hex text) through the engine, one JSON
// line per telegram on stdout, rejections with --errors, the counters on stderr at the end.
#include "decode.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "keys.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"

namespace meterlab::cli {
namespace {

struct DecodeOptions {
  std::string input = "-";
  bool hex = false;
  bool errors = false;
  std::string transport = "auto";
  KeyOptions keys;
};

// Hex text arriving in chunks: white space and ':' '-' separators ignored, a digit pair may be
// split across chunks.
class HexStream {
 public:
  // Converts `text` into bytes appended to `out`; false on a non-hex character (at bad_offset()).
  bool feed(std::string_view text, std::vector<std::uint8_t>& out) {
    for (char c : text) {
      ++consumed_;
      int v = nibble(c);
      if (v == -2) continue;
      if (v < 0) return false;
      if (high_ < 0) {
        high_ = v;
      } else {
        out.push_back(static_cast<std::uint8_t>((high_ << 4) | v));
        high_ = -1;
      }
    }
    return true;
  }
  bool complete() const { return high_ < 0; }
  std::size_t bad_offset() const { return consumed_ - 1; }

 private:
  static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':' || c == '-') return -2;
    return -1;
  }
  int high_ = -1;
  std::size_t consumed_ = 0;
};

std::optional<InputTransport> parse_transport(const std::string& s) {
  if (s == "auto") return InputTransport::auto_detect;
  if (s == "hdlc") return InputTransport::hdlc;
  if (s == "mbus") return InputTransport::mbus;
  if (s == "apdu") return InputTransport::apdu;
  return std::nullopt;
}

// Prints every event the decoder has ready.
void drain(Decoder& dec, bool errors, std::string& line) {
  for (;;) {
    Decoder::Event ev = dec.next();
    if (ev == Decoder::Event::need_more) break;
    line.clear();
    if (ev == Decoder::Event::telegram) {
      append_json(dec.telegram(), line);
    } else if (errors) {
      append_json(dec.rejection(), line);
    } else {
      continue;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
}

int run_decode(const DecodeOptions& o) {
  auto transport = parse_transport(o.transport);
  if (!transport) {
    std::cerr << "meterlab decode: --transport must be auto, hdlc, mbus or apdu\n";
    return 2;
  }
  dlms::KeyRing ring;
  if (auto err = build_key_ring(o.keys, ring)) {
    std::cerr << "meterlab decode: " << *err << "\n";
    return 2;
  }
  int fd = o.input == "-" ? STDIN_FILENO : ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::cerr << "meterlab decode: cannot open " << o.input << ": " << std::strerror(errno) << "\n";
    return 2;
  }
  auto dec = std::make_unique<Decoder>(*transport, std::move(ring));
  HexStream hex;
  std::vector<std::uint8_t> bytes;
  std::string line;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EIO && ::isatty(fd)) break;  // a pty or serial device hung up: the end
    if (n < 0) {
      std::cerr << "meterlab decode: read failed: " << std::strerror(errno) << "\n";
      break;
    }
    if (n == 0) break;
    bytes.clear();
    if (o.hex) {
      if (!hex.feed(std::string_view(buf, static_cast<std::size_t>(n)), bytes)) {
        dec->push(bytes);
        drain(*dec, o.errors, line);
        std::cerr << "meterlab decode: not hex text at character " << hex.bad_offset() << "\n";
        return 2;
      }
    } else {
      bytes.assign(buf, buf + n);
    }
    dec->push(bytes);
    drain(*dec, o.errors, line);
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (!hex.complete()) std::cerr << "meterlab decode: odd number of hex digits; last one ignored\n";
  dec->finish();
  drain(*dec, o.errors, line);
  line.assign("{\"summary\":");
  append_json(dec->stats(), line);
  line += "}\n";
  std::cerr << line;
  const DecoderStats& s = dec->stats();
  return (s.telegrams == 0 && s.rejections > 0) ? 1 : 0;
}

}  // namespace

void add_decode_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<DecodeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decode", "Decode meter bytes (file or - for stdin) into JSON lines, one per telegram");
  cmd->add_option("input", opts->input, "Input file, or - for standard input")->capture_default_str();
  cmd->add_flag("--hex", opts->hex, "Input is hex text (white space ignored)");
  cmd->add_flag("--errors", opts->errors, "Also print one JSON line per rejected frame");
  cmd->add_option("--transport", opts->transport, "auto, hdlc, mbus or apdu")->capture_default_str();
  cmd->add_option("--key", opts->keys.key_hex, "Encryption key (EK/GUEK), 32 hex digits");
  cmd->add_option("--auth-key", opts->keys.auth_key_hex, "Authentication key (AK), 32 hex digits");
  cmd->add_option("--system-title", opts->keys.system_title,
                  "Use --key only for this system title (16 hex digits)");
  cmd->add_option("--keys", opts->keys.keys_file,
                  "Key file (JSON): {\"keys\": [{\"system_title\", \"ek\", \"ak\"}]}");
  cmd->footer(
      "Keys may also come from METERLAB_KEY / METERLAB_AUTH_KEY. Keys are never printed.\n"
      "Exit status: 0 when telegrams were decoded or nothing was rejected, 1 when everything "
      "was rejected, 2 on usage or input errors.");
  cmd->callback([opts, &status] { status = run_decode(*opts); });
}

}  // namespace meterlab::cli
