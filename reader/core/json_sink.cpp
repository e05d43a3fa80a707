// outputs.json: one JSON line per telegram (and per rejection with "errors") to stdout or a file.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "meterlab/decoder/json.hpp"
#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
namespace {

class JsonSink final : public Sink {
 public:
  JsonSink(std::FILE* out, bool owned, bool errors, std::string where)
      : out_(out), owned_(owned), errors_(errors), where_(std::move(where)) {
    // A pipe or terminal reader wants each line as it comes; a file is flushed once a second.
    struct stat st {};
    live_ = ::fstat(::fileno(out_), &st) != 0 || !S_ISREG(st.st_mode);
  }
  ~JsonSink() override { JsonSink::close(std::chrono::milliseconds(0)); }

  std::string_view name() const noexcept override { return "json"; }
  void telegram(const cosem::Telegram& t, const Received&) override {
    ++stats_.telegrams;
    line_.clear();
    append_json(t, line_);
    write_line();
  }
  void rejection(const Rejection& r, const Received&) override {
    if (!errors_) return;
    line_.clear();
    append_json(r, line_);
    write_line();
  }
  void tick(SteadyClock::time_point) override {
    if (out_) std::fflush(out_);
  }
  void close(std::chrono::milliseconds) override {
    if (!out_) return;
    if (std::fflush(out_) != 0) note_error();
    if (owned_ && std::fclose(out_) != 0) note_error();
    out_ = nullptr;
  }
  SinkStats stats() const override { return stats_; }

 private:
  void write_line() {
    if (!out_) return;
    line_.push_back('\n');
    if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size()) {
      ++stats_.failed;
      note_error();
      return;
    }
    ++stats_.delivered;
    if (live_) std::fflush(out_);
  }
  void note_error() { stats_.last_error = where_ + ": " + std::strerror(errno); }

  std::FILE* out_;
  bool owned_;
  bool errors_;
  bool live_ = true;
  std::string where_;
  std::string line_;
  SinkStats stats_;
};

}  // namespace

SinkOrError make_json_sink(const nlohmann::json& cfg) {
  std::string file = "-";
  bool errors = false;
  bool append = false;
  std::string error;
  ConfigReader c(cfg, "outputs.json", error);
  if (!c.only({"file", "errors", "append"}) || !c.text("file", file) || !c.flag("errors", errors) ||
      !c.flag("append", append)) {
    return {nullptr, error};
  }
  if (file.empty() || file == "-")
    return {std::make_unique<JsonSink>(stdout, false, errors, "stdout"), {}};
  std::FILE* out = std::fopen(file.c_str(), append ? "ae" : "we");
  if (!out)
    return {nullptr, "outputs.json.file: cannot open " + file + ": " + std::strerror(errno)};
  return {std::make_unique<JsonSink>(out, true, errors, file), {}};
}

}  // namespace meterlab::reader
