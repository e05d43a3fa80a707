// `meterlab conform --keep DIR`: the evidence of each run against a program, so that a grading
// that looks wrong can be taken apart (a reader bug or an adapter bug?). Per run a folder with
// the bytes sent, the truth log, the program's raw stdout and stderr, the lines its adapter read
// (when not stdout), its files, and the mapped telegrams with the truth telegram each was
// attributed to. Keys never reach it: every copy is written with the keys' hex replaced.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace meterlab::conformance {

class Evidence {
 public:
  // `root`/`run` (the run's name made a file name), mode 700; `secrets` are replaced by
  // "<redacted>" in everything written.
  Evidence(const std::filesystem::path& root, const std::string& run,
           std::vector<std::string> secrets);
  void write(const std::string& name, std::string_view content) const;
  // A copy of a file (text, redacted) under `name`.
  void copy(const std::filesystem::path& from, const std::string& name) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> secrets_;
};

}  // namespace meterlab::conformance
