// The profiles built into the binary (simulator/profiles/*.json, embedded at build time).
#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string_view>

#include "meterlab/sim/profile.hpp"

namespace meterlab::sim {
namespace detail {
std::string_view builtin_profile(std::size_t i) noexcept;
std::string_view builtin_profile_name(std::size_t i) noexcept;
std::size_t builtin_profile_count() noexcept;
}  // namespace detail

const std::vector<Profile>& builtin_profiles() {
  static const std::vector<Profile> profiles = [] {
    std::vector<Profile> out;
    for (std::size_t i = 0; i < detail::builtin_profile_count(); ++i) {
      out.push_back(parse_profile(detail::builtin_profile(i)));
      std::string file(detail::builtin_profile_name(i));
      if (file != out.back().name + ".json")  // a build-time mistake, caught by the tests
        throw std::logic_error("profile file " + file + " names itself " + out.back().name);
    }
    std::sort(out.begin(), out.end(),
              [](const Profile& a, const Profile& b) { return a.name < b.name; });
    return out;
  }();
  return profiles;
}

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : builtin_profiles())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace meterlab::sim
