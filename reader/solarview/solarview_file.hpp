// The Solarview file's text and its atomic rewrite (private to reader/solarview; tests use it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meterlab::reader::solarview {

// "/?!\n/<ident>\n1.8.0(005305.034*kWh)\n2.8.0(...)\n!\n"; a register without a value is left out.
std::string content(std::string_view ident, std::optional<double> import_kwh,
                    std::optional<double> export_kwh);
// Temp file beside `path`, fsync, rename over `path`, fsync of the directory. False and why
// (with the path and the system's reason) when any step fails; no temp file is left behind.
bool write_atomically(const std::string& path, std::string_view data, std::string& error);

}  // namespace meterlab::reader::solarview
