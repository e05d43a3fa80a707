// The termios structure for a line (internal to meterlab::reader; tested directly, because a
// Linux pty forces CS8 and drops PARENB, so a pty cannot show the parity and size bits).
#pragma once

#include <termios.h>

#include <optional>
#include <string>

#include "meterlab/reader/config.hpp"

namespace meterlab::reader {

// Makes `t` raw (cfmakeraw) with the line's speed and character format, VMIN = VTIME = 0.
// Returns why not when the line cannot be expressed (speed, data bits).
std::optional<std::string> to_termios(const LineSettings& line, termios& t);
// The line a termios structure describes; nullopt for a speed outside 300..115200.
std::optional<LineSettings> from_termios(const termios& t);

}  // namespace meterlab::reader
