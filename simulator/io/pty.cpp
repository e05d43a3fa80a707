// A pseudo-terminal standing in for the meter's serial port.
//
// What Linux does with the master side (measured on 6.x; drivers/tty/pty.c, n_tty.c):
// - Slave never opened: poll() on the master shows no POLLHUP and writes succeed; the bytes are
//   queued (about 16 KB, then EAGAIN) and the first reader to open the slave gets them, stale.
// - Slave opened and then closed by every reader: the master shows POLLHUP and reading it fails
//   with EIO, but writing it still succeeds and queues (EAGAIN once about 16 KB are queued); the
//   next reader gets those stale bytes, and also whatever the last reader left unread. Writes to
//   the master never fail with EIO while it is open; opening the slave fails with EIO only once
//   the master is closed (TTY_OTHER_CLOSED).
// - Reader open but not reading: writes are taken until about 16 KB are queued, then a
//   non-blocking write returns a short count or EAGAIN.
// - termios set on the slave outlives its closing (the tty lives as long as the master), but the
//   pty driver forces CS8 and clears PARENB on every tcsetattr (pty_set_termios); the rate,
//   PARODD, CSTOPB stay. Debian's glibc then reports EINVAL from tcsetattr (see set_termios).
//
// A serial line behaves otherwise: what is sent while nobody listens is gone. So this sink:
// - opens the slave once at setup to set termios and closes it, so "never opened" looks like
//   "closed" (POLLHUP) from then on;
// - polls the master before each write: with POLLHUP nobody has the slave open and the bytes are
//   dropped (counted). When the reader has just gone (POLLHUP after a reader was seen), it opens
//   the slave for a moment to flush what the reader left unread and to put the profile's termios
//   back (a reader such as socat may have changed them); closing it restores POLLHUP. A reader
//   that opens (or re-opens) the slave later gets the frames sent from then on;
// - writes the non-blocking master with a reader present: what does not fit is dropped;
// - reads and discards whatever a reader writes to the slave, so that direction never fills up.
// A reader that closes and another that opens between two writes is not noticed: the newcomer may
// get what the first left unread (at most one queue's worth).
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <memory>
#include <string>
#include <thread>

#include "fd.hpp"
#include "meterlab/core/serial_line.hpp"
#include "meterlab/sim/io.hpp"

namespace meterlab::sim {
namespace {

// Raw mode (no echo, no line editing, no CR/NL mapping, no signals) at the profile's settings.
termios raw_termios(termios t, const SerialSettings& serial, speed_t rate) {
  ::cfmakeraw(&t);
  serial_line::set_char_format(t, serial.data_bits, serial.parity, serial.stop_bits);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  ::cfsetispeed(&t, rate);
  ::cfsetospeed(&t, rate);
  return t;
}

bool set_termios(int fd, const SerialSettings& serial) {
  termios t{};
  const auto rate = serial_line::termios_speed(serial.baud);
  if (!rate || ::tcgetattr(fd, &t) != 0) return false;
  t = raw_termios(t, serial, *rate);
  if (::tcsetattr(fd, TCSANOW, &t) == 0) return true;
  if (errno != EINVAL) return false;
  // Debian's and Fedora's glibc read the settings back after TCSETS and report EINVAL when
  // PARENB or the character size did not stick, which on a pty they never do (the kernel applied
  // the rest). Ask for what a pty can hold so the call succeeds.
  t.c_cflag = (t.c_cflag & ~static_cast<tcflag_t>(CSIZE | PARENB)) | static_cast<tcflag_t>(CS8);
  return ::tcsetattr(fd, TCSANOW, &t) == 0;
}

// Opens the slave for a moment: termios back to the profile's, anything queued flushed. Closing
// it leaves the master in the "no reader" (POLLHUP) state unless a reader has it open too.
bool reset_slave(const std::string& slave, const SerialSettings& serial) {
  const detail::UniqueFd fd(::open(slave.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return false;
  const bool set = set_termios(fd.get(), serial);
  return ::tcflush(fd.get(), TCIOFLUSH) == 0 && set;
}

// `link` -> `target`, made under a temporary name and renamed over `link` so that a reader never
// finds it missing. Only a symlink may be replaced.
void make_link(const std::string& link, const std::string& target) {
  struct stat st {};
  if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
    errno = EEXIST;
    detail::throw_errno("refusing to replace " + link + " (not a symlink)");
  }
  const std::string tmp = link + ".tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) detail::throw_errno("symlink " + tmp);
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    detail::throw_errno("rename " + tmp + " to " + link);
  }
}

// Removes `link` if it still points at `target` (another simulator may have taken it over).
void remove_link(const std::string& link, const std::string& target) noexcept {
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size() - 1);
  if (n >= 0 && std::string(buf.data(), static_cast<std::size_t>(n)) == target) {
    ::unlink(link.c_str());
  }
}

class PtySink final : public Sink {
 public:
  PtySink(detail::UniqueFd master, std::string slave, std::string link,
          const SerialSettings& serial)
      : master_(std::move(master)),
        slave_(std::move(slave)),
        link_(std::move(link)),
        serial_(serial) {}
  ~PtySink() override {
    if (!link_.empty()) remove_link(link_, slave_);
  }
  PtySink(const PtySink&) = delete;
  PtySink& operator=(const PtySink&) = delete;

  void write(std::span<const std::uint8_t> bytes) override {
    if (!connected()) {
      dropped_ += bytes.size();
      return;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(master_.get(), bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // EAGAIN: the reader's queue is full, the rest is lost as on a busy line
      }
    }
    written_ += done;
    dropped_ += bytes.size() - done;
  }

  // Waits (up to 3 s) until the reader has taken every queued byte, so that closing the master
  // at the end of a run does not throw away the last frames (a pty's unread input is lost on
  // hang-up). The queue is read through a second, non-reading slave descriptor (FIONREAD).
  void flush() override {
    if (!connected()) return;
    detail::UniqueFd probe(::open(slave_.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    if (probe.get() < 0) return;
    // The pty moves written bytes to the reader's queue asynchronously (a work item), so an
    // empty queue counts only when it is seen empty twice, 20 ms apart.
    int empty_seen = 0;
    for (int i = 0; i < 150 && empty_seen < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      int queued = 0;
      if (::ioctl(probe.get(), FIONREAD, &queued) != 0) return;
      empty_seen = queued == 0 ? empty_seen + 1 : 0;
    }
  }

  bool connected() override {
    discard_reader_output();
    pollfd p{master_.get(), POLLOUT, 0};
    while (::poll(&p, 1, 0) < 0 && errno == EINTR) {
    }
    const bool present = (p.revents & POLLHUP) == 0;
    if (!present && had_reader_) reset_slave(slave_, serial_);
    had_reader_ = present;
    return present;
  }

  std::string describe() const override {
    return "pty " + slave_ + (link_.empty() ? "" : " (link " + link_ + ")");
  }

 private:
  // What a reader writes to the slave arrives on the master; nobody wants it.
  void discard_reader_output() noexcept {
    std::array<std::uint8_t, 4096> buf{};
    for (int i = 0; i < 16; ++i) {
      if (::read(master_.get(), buf.data(), buf.size()) <= 0) return;  // EAGAIN, or EIO: no reader
    }
  }

  detail::UniqueFd master_;
  std::string slave_;
  std::string link_;
  SerialSettings serial_;
  bool had_reader_ = false;
};

}  // namespace

std::unique_ptr<Sink> open_pty(const SerialSettings& serial, const std::string& link,
                               std::string* slave_path) {
  if (!serial_line::termios_speed(serial.baud)) {
    errno = EINVAL;
    detail::throw_errno("pty: no termios rate for " + std::to_string(serial.baud) + " baud");
  }
  detail::UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!master) detail::throw_errno("posix_openpt");
  if (::grantpt(master.get()) != 0) detail::throw_errno("grantpt");
  if (::unlockpt(master.get()) != 0) detail::throw_errno("unlockpt");
  std::array<char, 128> name{};
  if (const int e = ::ptsname_r(master.get(), name.data(), name.size()); e != 0) {
    if (e > 0) errno = e;  // glibc returns the error number; older ones set errno and return -1
    detail::throw_errno("ptsname_r");
  }
  const std::string slave(name.data());
  if (!reset_slave(slave, serial)) detail::throw_errno("pty: setting termios on " + slave);
  if (!link.empty()) make_link(link, slave);
  if (slave_path != nullptr) *slave_path = slave;
  return std::make_unique<PtySink>(std::move(master), slave, link, serial);
}

}  // namespace meterlab::sim
