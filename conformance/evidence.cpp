#include "evidence.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace meterlab::conformance {
namespace {

namespace fs = std::filesystem;

// "pty-kaifa-ma309-evn [pty]" -> "pty-kaifa-ma309-evn_pty_"
std::string file_name(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  return s.empty() ? "run" : s;
}

void replace_all(std::string& text, const std::string& what) {
  if (what.empty()) return;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at))
    text.replace(at, what.size(), "<redacted>");
}

}  // namespace

Evidence::Evidence(const fs::path& root, const std::string& run, std::vector<std::string> secrets)
    : dir_(root / file_name(run)), secrets_(std::move(secrets)) {
  // Upper and lower case hex: a program may print a key either way.
  for (std::size_t i = 0, n = secrets_.size(); i < n; ++i) {
    std::string upper = secrets_[i], lower = secrets_[i];
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    secrets_.push_back(upper);
    secrets_.push_back(lower);
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  fs::permissions(root, fs::perms::owner_all, ec);
  fs::permissions(dir_, fs::perms::owner_all, ec);
  if (!fs::is_directory(dir_)) throw std::runtime_error("--keep: cannot create " + dir_.string());
}

void Evidence::write(const std::string& name, std::string_view content) const {
  std::string text(content);
  for (const std::string& s : secrets_) replace_all(text, s);
  const fs::path p = dir_ / name;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("--keep: cannot write " + p.string());
}

void Evidence::copy(const fs::path& from, const std::string& name) const {
  std::ifstream in(from, std::ios::binary);
  if (!in) return;  // the program removed it
  std::stringstream ss;
  ss << in.rdbuf();
  write(name, ss.str());
}

}  // namespace meterlab::conformance
