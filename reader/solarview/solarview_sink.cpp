// outputs.solarview: the text file Solarview (solarview.info) reads, as the seed 004 reader
// (kaifareader) writes it:
//   /?!
//   /KAIFA
//   1.8.0(005305.034*kWh)
//   2.8.0(000012.345*kWh)
//   !
// Active energy import (1-0:1.8.0) and export (1-0:2.8.0) in kWh, zero-padded to 10 characters
// with 3 decimals (Python's "{:010.3F}"). Rewritten atomically on each telegram that carries
// either register: a temp file in the same directory, fsync, rename over the old one, fsync of
// the directory; a reader sees the old file or the new one, never a partial one. A register
// missing from a telegram keeps its last value.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/outputs.hpp"
#include "solarview_file.hpp"

namespace meterlab::reader {
namespace {

// kWh of an active energy register 1-0:1.8.0 / 1-0:2.8.0 (index 0 / 1); none for others.
std::optional<std::pair<int, double>> energy_kwh(const cosem::Reading& r) {
  const auto& v = r.obis.v;
  if (v[0] != 1 || (v[2] != 1 && v[2] != 2) || v[3] != 8 || v[4] != 0) return std::nullopt;
  const auto n = number(r);
  if (!n) return std::nullopt;
  if (r.unit == "Wh") return std::pair{v[2] - 1, *n / 1000.0};
  if (r.unit == "kWh") return std::pair{v[2] - 1, *n};
  return std::nullopt;
}

class SolarviewSink final : public Sink {
 public:
  SolarviewSink(std::string file, std::string ident)
      : file_(std::move(file)), ident_(std::move(ident)) {}

  std::string_view name() const noexcept override { return "solarview"; }

  void telegram(const cosem::Telegram& t, const Received&) override {
    ++stats_.telegrams;
    bool seen = false;
    for (const cosem::Reading& r : t.readings) {
      if (auto e = energy_kwh(r)) {
        kwh_[static_cast<std::size_t>(e->first)] = e->second;
        seen = true;
      }
    }
    if (!seen) return;
    std::string error;
    if (solarview::write_atomically(file_, solarview::content(ident_, kwh_[0], kwh_[1]), error)) {
      ++stats_.delivered;
    } else {
      ++stats_.failed;
      stats_.last_error = error;
    }
  }

  SinkStats stats() const override { return stats_; }

 private:
  std::string file_;
  std::string ident_;
  std::array<std::optional<double>, 2> kwh_;
  SinkStats stats_;
};

}  // namespace

namespace solarview {

std::string content(std::string_view ident, std::optional<double> import_kwh,
                    std::optional<double> export_kwh) {
  std::string out = "/?!\n/" + std::string(ident) + "\n";
  const std::array<std::pair<const char*, std::optional<double>>, 2> regs{
      {{"1.8.0", import_kwh}, {"2.8.0", export_kwh}}};
  for (const auto& [code, kwh] : regs) {
    if (!kwh) continue;
    std::array<char, 64> buf{};
    const int n = std::snprintf(buf.data(), buf.size(), "%s(%010.3f*kWh)\n", code, *kwh);
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  out += "!\n";
  return out;
}

namespace {

bool fail(std::string& error, const std::string& path, const char* what) {
  error = "solarview: " + path + ": " + what + ": " + std::strerror(errno);
  return false;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

bool write_atomically(const std::string& path, std::string_view data, std::string& error) {
  std::string tmp = path + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return fail(error, path, "create temp file");
  // mkstemp makes 0600; Solarview may run as another user.
  bool ok = ::fchmod(fd, 0644) == 0 && write_all(fd, data) && ::fsync(fd) == 0;
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = err;
    return fail(error, path, "write");
  }
  // The rename itself is durable once the directory is synced.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace solarview

SinkOrError make_solarview_sink(const nlohmann::json& cfg) {
  std::string file = "/var/lib/meterlab/solarview.txt";
  std::string ident = "KAIFA";
  std::string error;
  ConfigReader c(cfg, "outputs.solarview", error);
  if (!c.only({"file", "ident"}) || !c.text("file", file) || !c.text("ident", ident)) {
    return {nullptr, error};
  }
  if (file.empty()) c.fail("file", "a file name");
  if (ident.empty() || ident.find_first_of("\r\n!") != std::string::npos) {
    c.fail("ident", "one line of text without '!'");
  }
  if (!error.empty()) return {nullptr, error};
  return {std::make_unique<SolarviewSink>(std::move(file), std::move(ident)), ""};
}

}  // namespace meterlab::reader
