// Tests of simulator/io: serial settings, the sinks (file, TCP, pty) and the Pacer.
// Tests whose names start with RealTime wait on the wall clock (about 10 s together); the rest
// take well under a second. `--gtest_filter=-RealTime*` (or `ctest -E RealTime`) leaves them out.
#include "meterlab/sim/io.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace meterlab::sim {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7);
  return out;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mlab_io_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category());
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const char* name) const { return path_ / name; }

 private:
  fs::path path_;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Reads until `n` bytes arrived or nothing came for `quiet_ms`.
Bytes read_bytes(int fd, std::size_t n, int quiet_ms = 1000) {
  Bytes out;
  std::array<std::uint8_t, 4096> buf{};
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, quiet_ms) <= 0) break;
    const ssize_t r = ::read(fd, buf.data(), std::min(buf.size(), n - out.size()));
    if (r <= 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + r);
  }
  return out;
}

// Everything still queued for `fd`, waiting at most `quiet_ms` for each further chunk.
Bytes read_rest(int fd, int quiet_ms = 100) { return read_bytes(fd, SIZE_MAX, quiet_ms); }

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

Fd open_reader(const std::string& slave) {
  return Fd(::open(slave.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC));
}

// ---------------------------------------------------------------------------------------------
// SerialSettings, Speed

TEST(SerialSettings, ParsesAndPrints) {
  const auto s = SerialSettings::parse("2400 8E1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->baud, 2400);
  EXPECT_EQ(s->data_bits, 8);
  EXPECT_EQ(s->parity, 'E');
  EXPECT_EQ(s->stop_bits, 1);
  EXPECT_EQ(s->bits_per_byte(), 11);  // start + 8 data + parity + stop
  EXPECT_EQ(s->to_string(), "2400 8E1");

  const auto fast = SerialSettings::parse("115200 8N1");
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->bits_per_byte(), 10);
  EXPECT_EQ(fast->to_string(), "115200 8N1");

  const auto odd = SerialSettings::parse("300  7o2");  // lower case, two spaces
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->parity, 'O');
  EXPECT_EQ(odd->bits_per_byte(), 11);
  EXPECT_EQ(odd->to_string(), "300 7O2");
}

TEST(SerialSettings, RejectsMalformed) {
  for (const char* bad : {"", "2400", "2400 ", "8E1", "2400 8X1", "2400 9E1", "2400 4E1",
                          "2400 8E3", "2400 8E0", "abc 8E1", "2400 8E1 ", "2400 8E11", "2401 8E1",
                          "-2400 8E1", "+2400 8E1", "0 8N1", "2400\t8E1", " 2400 8E1"}) {
    EXPECT_FALSE(SerialSettings::parse(bad)) << '"' << bad << '"';
  }
}

TEST(SerialSettings, AirtimeRoundsUp) {
  const SerialSettings s;             // 2400 8E1: 4.583 ms a byte
  EXPECT_EQ(s.airtime_ms(157), 720);  // 719.58 ms
  EXPECT_EQ(s.airtime_ms(1), 5);
  EXPECT_EQ(s.airtime_ms(0), 0);
  EXPECT_EQ(s.airtime_ms(2400), 11000);  // exact: no rounding
  const SerialSettings mbus{.baud = 9600, .data_bits = 8, .parity = 'N', .stop_bits = 1};
  EXPECT_EQ(mbus.airtime_ms(240), 250);
  EXPECT_EQ(mbus.airtime_ms(241), 252);  // 251.04 ms
}

TEST(Speed, Parses) {
  const auto rt = Speed::parse("realtime");
  ASSERT_TRUE(rt);
  EXPECT_FALSE(rt->max);
  EXPECT_EQ(rt->factor, 1.0);
  const auto mx = Speed::parse("max");
  ASSERT_TRUE(mx);
  EXPECT_TRUE(mx->max);
  const auto ten = Speed::parse("10");
  ASSERT_TRUE(ten);
  EXPECT_FALSE(ten->max);
  EXPECT_EQ(ten->factor, 10.0);
  const auto frac = Speed::parse("2.5");
  ASSERT_TRUE(frac);
  EXPECT_EQ(frac->factor, 2.5);
  for (const char* bad : {"", "0", "0.0", "-1", "10x", "x10", "nan", "inf", "1e3", "Max", " 10"}) {
    EXPECT_FALSE(Speed::parse(bad)) << '"' << bad << '"';
  }
}

// ---------------------------------------------------------------------------------------------
// File and TCP sinks

TEST(FileSink, DeliversExactlyTheBytesWritten) {
  TempDir dir;
  const std::string path = (dir / "out.bin").string();
  const Bytes a = pattern(1000, 1);
  const Bytes b = pattern(3, 200);
  {
    auto sink = open_file(path);
    sink->write(a);
    sink->write(b);
    sink->write({});
    sink->flush();
    EXPECT_EQ(sink->bytes_written(), 1003u);
    EXPECT_EQ(sink->bytes_dropped(), 0u);
    EXPECT_EQ(sink->describe(), "file " + path);
    EXPECT_TRUE(sink->connected());
  }
  std::ifstream in(path, std::ios::binary);
  const Bytes got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(got, want);
}

TEST(FileSink, UnwritablePathThrows) {
  TempDir dir;
  EXPECT_THROW(open_file((dir / "missing" / "out.bin").string()), std::system_error);
}

// The listening socket is bound to 127.0.0.1, as /proc/net/tcp shows it ("0100007F:PORT", state
// 0A = LISTEN), never to 0.0.0.0.
std::string listen_address(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", static_cast<unsigned>(port));
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == want) {
      return local.substr(0, local.size() - 5);
    }
  }
  return "";
}

TEST(TcpSink, ListensOnLoopbackOnlyWithAnEphemeralPort) {
  std::uint16_t port = 0;
  auto sink = open_tcp(0, &port);
  ASSERT_NE(port, 0);
  EXPECT_EQ(sink->describe(), "tcp 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(listen_address(port), "0100007F");
}

TEST(TcpSink, TwoClientsReceiveExactlyTheBytesWritten) {
  std::uint16_t port = 0;
  auto sink = open_tcp(0, &port);
  const Bytes before = pattern(50, 9);
  sink->write(before);  // nobody connected: gone
  EXPECT_EQ(sink->bytes_dropped(), 50u);
  EXPECT_FALSE(sink->connected());

  Fd a(connect_loopback(port));
  Fd b(connect_loopback(port));
  ASSERT_GE(a.get(), 0);
  ASSERT_GE(b.get(), 0);
  const Bytes one = pattern(700, 1);
  const Bytes two = pattern(20000, 2);
  sink->write(one);
  sink->write(two);
  Bytes want = one;
  want.insert(want.end(), two.begin(), two.end());
  EXPECT_EQ(read_bytes(a.get(), want.size()), want);
  EXPECT_EQ(read_bytes(b.get(), want.size()), want);
  EXPECT_EQ(sink->bytes_written(), want.size());
  EXPECT_EQ(sink->bytes_dropped(), 50u);
}

TEST(TcpSink, AClientThatLeavesDoesNotBreakTheSink) {
  std::uint16_t port = 0;
  auto sink = open_tcp(0, &port);
  Fd stays(connect_loopback(port));
  Fd leaves(connect_loopback(port));
  Fd resets(connect_loopback(port));
  ASSERT_TRUE(stays.get() >= 0 && leaves.get() >= 0 && resets.get() >= 0);
  const Bytes first = pattern(100, 3);
  sink->write(first);
  EXPECT_EQ(read_bytes(leaves.get(), first.size()), first);
  leaves.close();  // an orderly close (FIN)
  // An abortive close (RST). The sink notices both on its next write and drops them; had it sent
  // to them, the send would fail with EPIPE/ECONNRESET (and without MSG_NOSIGNAL raise SIGPIPE,
  // ending this program), and the counts below would be off.
  const linger abort_close{1, 0};
  ::setsockopt(resets.get(), SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
  resets.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Bytes want = first;
  for (std::uint8_t i = 0; i < 20; ++i) {
    const Bytes more = pattern(500, i);
    sink->write(more);
    want.insert(want.end(), more.begin(), more.end());
  }
  EXPECT_EQ(read_bytes(stays.get(), want.size()), want);
  EXPECT_EQ(sink->bytes_written(), want.size());
  EXPECT_EQ(sink->bytes_dropped(), 0u);
  EXPECT_TRUE(sink->connected());
  stays.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(sink->connected());
}

// ---------------------------------------------------------------------------------------------
// pty sink

TEST(PtySink, ReaderSeesTheProfileSettings) {
  std::string slave;
  auto sink = open_pty(*SerialSettings::parse("2400 8E1"), "", &slave);
  ASSERT_FALSE(slave.empty());
  EXPECT_EQ(sink->describe(), "pty " + slave);
  Fd reader = open_reader(slave);
  ASSERT_GE(reader.get(), 0) << slave;
  termios t{};
  ASSERT_EQ(::tcgetattr(reader.get(), &t), 0);
  EXPECT_EQ(::cfgetispeed(&t), static_cast<speed_t>(B2400));
  EXPECT_EQ(::cfgetospeed(&t), static_cast<speed_t>(B2400));
  EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  EXPECT_EQ(t.c_cflag & PARODD, 0u);
  EXPECT_EQ(t.c_cflag & CSTOPB, 0u);
  EXPECT_EQ(t.c_lflag & (ICANON | ECHO | ISIG), 0u);  // raw
  EXPECT_EQ(t.c_iflag & (ICRNL | IXON | ISTRIP), 0u);
  EXPECT_EQ(t.c_oflag & OPOST, 0u);
  // PARENB is set by the sink but Linux's pty driver clears it (and forces CS8) on every
  // tcsetattr (drivers/tty/pty.c pty_set_termios), so a reader cannot see "E" on a pty.
}

TEST(PtySink, OddParityAndTwoStopBitsReachTheReader) {
  std::string slave;
  auto sink = open_pty(*SerialSettings::parse("1200 7O2"), "", &slave);
  Fd reader = open_reader(slave);
  ASSERT_GE(reader.get(), 0);
  termios t{};
  ASSERT_EQ(::tcgetattr(reader.get(), &t), 0);
  EXPECT_EQ(::cfgetispeed(&t), static_cast<speed_t>(B1200));
  EXPECT_NE(t.c_cflag & PARODD, 0u);
  EXPECT_NE(t.c_cflag & CSTOPB, 0u);
}

TEST(PtySink, ReaderReceivesExactlyTheBytesWritten) {
  std::string slave;
  auto sink = open_pty(SerialSettings{}, "", &slave);
  Fd reader = open_reader(slave);
  ASSERT_GE(reader.get(), 0);
  EXPECT_TRUE(sink->connected());
  // Every byte value, including those a cooked tty would eat or map (CR, NL, ^C, ^S, 0xFF).
  Bytes want = pattern(256, 0);
  for (std::size_t i = 0; i < want.size(); ++i) want[i] = static_cast<std::uint8_t>(i);
  const Bytes frame = pattern(1500, 0x7E);
  sink->write(want);
  sink->write(frame);
  want.insert(want.end(), frame.begin(), frame.end());
  EXPECT_EQ(read_bytes(reader.get(), want.size()), want);
  EXPECT_EQ(sink->bytes_written(), want.size());
  EXPECT_EQ(sink->bytes_dropped(), 0u);
}

TEST(PtySink, LinkPointsToTheSlaveAndIsRemoved) {
  TempDir dir;
  const std::string link = (dir / "meter").string();
  fs::create_symlink("/nonexistent/old", link);  // an old link is replaced
  std::string slave;
  {
    auto sink = open_pty(SerialSettings{}, link, &slave);
    EXPECT_EQ(fs::read_symlink(link).string(), slave);
    EXPECT_EQ(sink->describe(), "pty " + slave + " (link " + link + ")");
    Fd reader(::open(link.c_str(), O_RDONLY | O_NOCTTY));
    ASSERT_GE(reader.get(), 0);
    const Bytes frame = pattern(41, 5);
    sink->write(frame);
    EXPECT_EQ(read_bytes(reader.get(), frame.size()), frame);
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(link)));
}

TEST(PtySink, RefusesToReplaceARegularFile) {
  TempDir dir;
  const std::string path = (dir / "precious").string();
  std::ofstream(path) << "keep me";
  EXPECT_THROW(open_pty(SerialSettings{}, path, nullptr), std::system_error);
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "keep me");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(path)));
}

TEST(PtySink, WritingWithNoReaderNeverBlocksAndCountsDrops) {
  std::string slave;
  auto sink = open_pty(SerialSettings{}, "", &slave);
  EXPECT_FALSE(sink->connected());
  const Bytes chunk = pattern(1024, 1);
  const auto t0 = Clock::now();
  for (int i = 0; i < 1024; ++i) sink->write(chunk);  // 1 MiB, far more than a pty queues
  EXPECT_LT(seconds_between(t0, Clock::now()), 2.0);
  EXPECT_EQ(sink->bytes_written(), 0u);
  EXPECT_EQ(sink->bytes_dropped(), 1024u * 1024u);
  // A reader that opens now gets nothing of it, only what comes next.
  Fd reader = open_reader(slave);
  ASSERT_GE(reader.get(), 0);
  const Bytes fresh = pattern(41, 9);
  sink->write(fresh);
  EXPECT_EQ(read_rest(reader.get()), fresh);
}

TEST(PtySink, AReaderThatDoesNotReadNeverBlocksTheWriter) {
  std::string slave;
  auto sink = open_pty(SerialSettings{}, "", &slave);
  Fd reader = open_reader(slave);
  ASSERT_GE(reader.get(), 0);
  const Bytes chunk = pattern(1000, 2);
  const auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) sink->write(chunk);
  EXPECT_LT(seconds_between(t0, Clock::now()), 2.0);
  EXPECT_EQ(sink->bytes_written() + sink->bytes_dropped(), 1000u * 1000u);
  EXPECT_GT(sink->bytes_dropped(), 0u);
  EXPECT_GT(sink->bytes_written(), 0u);
  // What the sink counts as written is what the reader finds queued.
  EXPECT_EQ(read_rest(reader.get()).size(), sink->bytes_written());
}

TEST(PtySink, AReaderCanLeaveAndComeBack) {
  std::string slave;
  auto sink = open_pty(SerialSettings{}, "", &slave);
  const Bytes a = pattern(41, 1), b = pattern(41, 2), c = pattern(41, 3), d = pattern(300, 4);
  {
    Fd reader = open_reader(slave);
    ASSERT_GE(reader.get(), 0);
    sink->write(a);
    EXPECT_EQ(read_bytes(reader.get(), a.size()), a);
  }
  sink->write(b);  // unplugged: lost
  EXPECT_EQ(sink->bytes_dropped(), b.size());
  {
    Fd reader = open_reader(slave);
    ASSERT_GE(reader.get(), 0);
    sink->write(c);
    EXPECT_EQ(read_rest(reader.get()), c);
    sink->write(d);  // left unread when this reader goes
  }
  sink->write(b);  // notices the reader left: flushes d, drops b
  {
    Fd reader = open_reader(slave);
    ASSERT_GE(reader.get(), 0);
    // The reader's termios were put back after a reader changed them.
    termios t{};
    ASSERT_EQ(::tcgetattr(reader.get(), &t), 0);
    EXPECT_EQ(t.c_lflag & ICANON, 0u);
    sink->write(a);
    EXPECT_EQ(read_rest(reader.get()), a);
  }
  EXPECT_EQ(sink->bytes_written(), a.size() + c.size() + d.size() + a.size());
  EXPECT_EQ(sink->bytes_dropped(), 2 * b.size());
}

// ---------------------------------------------------------------------------------------------
// Pacer

TEST(Pacer, MaxNeverSleeps) {
  TempDir dir;
  const std::string path = (dir / "out.bin").string();
  auto sink = open_file(path);
  Pacer pacer(SerialSettings{}, *Speed::parse("max"), 0);
  const Bytes frame = pattern(157, 1);
  const auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) pacer.send(*sink, SimTime{i} * 3'600'000, frame);  // hourly
  EXPECT_LT(seconds_between(t0, Clock::now()), 1.0);
  EXPECT_EQ(sink->bytes_written(), 157'000u);
}

// A reader on the pty's slave that timestamps every chunk it reads.
class TimedReader {
 public:
  TimedReader(const std::string& slave, std::size_t expect, double timeout_s)
      : fd_(open_reader(slave)), thread_([this, expect, timeout_s] { run(expect, timeout_s); }) {}
  ~TimedReader() { join(); }
  TimedReader(const TimedReader&) = delete;
  TimedReader& operator=(const TimedReader&) = delete;
  bool ok() const { return fd_.get() >= 0; }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  struct Chunk {
    Clock::time_point at;
    std::size_t end;  // stream offset just past the chunk
  };
  // The chunk holding stream offset `offset`.
  const Chunk* chunk_at(std::size_t offset) const {
    for (const Chunk& c : chunks_) {
      if (c.end > offset) return &c;
    }
    return nullptr;
  }
  std::size_t received() const { return chunks_.empty() ? 0 : chunks_.back().end; }

 private:
  void run(std::size_t expect, double timeout_s) {
    std::array<std::uint8_t, 4096> buf{};
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    std::size_t total = 0;
    while (fd_.get() >= 0 && total < expect && Clock::now() < deadline) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t r = ::read(fd_.get(), buf.data(), buf.size());
      const auto now = Clock::now();
      if (r <= 0) break;
      total += static_cast<std::size_t>(r);
      chunks_.push_back({now, total});
    }
  }

  Fd fd_;
  std::vector<Chunk> chunks_;
  std::thread thread_;
};

struct PacedRun {
  std::vector<double> frame_starts;  // arrival of each 41-byte frame's first byte, seconds
  double rate = 0;                   // bytes/s within the large frame, first byte to last
};

// Kaifa list-1-like cadence: a 41-byte frame at virtual 0, 2, 4, 6 s, then a large frame at 7 s
// to measure the line rate inside a frame.
PacedRun paced_run(Speed speed, std::size_t large) {
  std::string slave;
  auto sink = open_pty(SerialSettings{}, "", &slave);
  const std::size_t small = 41;
  TimedReader reader(slave, 4 * small + large, 7.0 / speed.factor + 5.0);
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE(sink->connected());
  Pacer pacer(SerialSettings{}, speed, 0);
  for (SimTime t : {0, 2000, 4000, 6000}) pacer.send(*sink, t, pattern(small, 1));
  pacer.send(*sink, 7000, pattern(large, 2));
  reader.join();
  EXPECT_EQ(reader.received(), 4 * small + large);
  EXPECT_EQ(sink->bytes_dropped(), 0u);

  PacedRun run;
  const auto* origin = reader.chunk_at(0);
  if (origin == nullptr) return run;
  for (std::size_t k = 0; k < 4; ++k) {
    const auto* c = reader.chunk_at(k * small);
    if (c != nullptr) run.frame_starts.push_back(seconds_between(origin->at, c->at));
  }
  const auto* first = reader.chunk_at(4 * small);
  const auto* last = reader.chunk_at(4 * small + large - 1);
  if (first != nullptr && last != nullptr && last != first) {
    // Bytes after the first chunk over the time they took to arrive.
    run.rate = static_cast<double>(last->end - first->end) / seconds_between(first->at, last->at);
  }
  if (run.frame_starts.size() == 4) {
    std::printf("  measured: frames at %.3f %.3f %.3f %.3f s, %.1f bytes/s\n", run.frame_starts[0],
                run.frame_starts[1], run.frame_starts[2], run.frame_starts[3], run.rate);
  }
  return run;
}

// The "must show": cadence 2 s +- 0.2 s and about 218 bytes/s (2400 8E1, 11 bits a byte)
// at the reader of a real pty. About 8.4 s of wall time.
TEST(RealTimePacing, PtyCadenceAndLineRate) {
  const PacedRun run = paced_run(Speed{}, 300);
  ASSERT_EQ(run.frame_starts.size(), 4u);
  for (std::size_t k = 1; k < 4; ++k) {
    EXPECT_NEAR(run.frame_starts[k] - run.frame_starts[k - 1], 2.0, 0.2) << "frame " << k;
  }
  EXPECT_NEAR(run.frame_starts[3], 6.0, 0.2);  // no drift over the run
  const double line_rate = 2400.0 / 11.0;      // 218.2 bytes/s
  EXPECT_NEAR(run.rate, line_rate, 0.1 * line_rate);
}

// --speed 10: the same frames ten times as fast. About 0.9 s of wall time.
TEST(RealTimePacing, SpeedTenIsTenTimesFaster) {
  const PacedRun run = paced_run(*Speed::parse("10"), 1000);
  ASSERT_EQ(run.frame_starts.size(), 4u);
  for (std::size_t k = 1; k < 4; ++k) {
    EXPECT_NEAR(run.frame_starts[k] - run.frame_starts[k - 1], 0.2, 0.03) << "frame " << k;
  }
  const double line_rate = 10 * 2400.0 / 11.0;
  EXPECT_NEAR(run.rate, line_rate, 0.1 * line_rate);
}

// Every frame's time comes from the Pacer's origin, not from the end of the previous sleep:
// 100 frames of 300 bytes (1.375 ms of line time each at --speed 1000) every 2 ms of wall time
// take 99 * 2 + 1.375 = 199.4 ms; sleeping "gap after the frame" would take 337 ms.
TEST(RealTimePacing, NoDriftOverManyFrames) {
  TempDir dir;
  auto sink = open_file((dir / "out.bin").string());
  const Bytes frame = pattern(300, 1);
  Pacer pacer(SerialSettings{}, *Speed::parse("1000"), 0);
  const auto t0 = Clock::now();
  for (SimTime i = 0; i < 100; ++i) pacer.send(*sink, i * 2000, frame);
  const double elapsed = seconds_between(t0, Clock::now());
  EXPECT_GE(elapsed, 0.199);
  EXPECT_LT(elapsed, 0.26);
  EXPECT_EQ(sink->bytes_written(), 30'000u);
}

// Two frames due at the same virtual time: the second waits until the first is off the line.
// 2 x 300 bytes at --speed 10 (137.5 ms each) take 275 ms.
TEST(RealTimePacing, AFrameWaitsForTheLine) {
  TempDir dir;
  auto sink = open_file((dir / "out.bin").string());
  const Bytes frame = pattern(300, 1);
  Pacer pacer(SerialSettings{}, *Speed::parse("10"), 5000);
  const auto t0 = Clock::now();
  pacer.send(*sink, 5000, frame);
  pacer.send(*sink, 5000, frame);
  const double elapsed = seconds_between(t0, Clock::now());
  EXPECT_GE(elapsed, 0.275);
  EXPECT_LT(elapsed, 0.33);
}

// restart() makes "now" the new origin: a frame 100 ms of wall time after it (1 s virtual at
// --speed 10) leaves then, not at its time counted from the Pacer's construction.
TEST(RealTimePacing, RestartMovesTheOrigin) {
  TempDir dir;
  auto sink = open_file((dir / "out.bin").string());
  Pacer pacer(SerialSettings{}, *Speed::parse("10"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const auto t0 = Clock::now();
  pacer.restart(1000);
  pacer.send(*sink, 2000, pattern(41, 1));  // 100 ms, then 18.8 ms of line time
  const double elapsed = seconds_between(t0, Clock::now());
  EXPECT_GE(elapsed, 0.118);
  EXPECT_LT(elapsed, 0.17);
}

// ---------------------------------------------------------------------------------------------
// socat relaying the pty to TCP (the tooling the issue names)

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::uint16_t free_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return 0;
  }
  return ntohs(addr.sin_port);
}

class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// socat listens on 127.0.0.1 first (-U: it writes to the first address and reads the second),
// and opens the pty once a client is connected. About 0.2 s of wall time.
TEST(RealTimeSocat, RelaysThePtyToTcp) {
  const std::string socat = find_in_path("socat");
  ASSERT_FALSE(socat.empty()) << "socat is not installed (ci/setup installs it)";
  std::string slave;
  auto sink = open_pty(SerialSettings{}, "", &slave);
  const std::uint16_t port = free_loopback_port();
  ASSERT_NE(port, 0);
  Child relay({socat, "-U", "TCP-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1,reuseaddr",
               "OPEN:" + slave + ",rawer"});
  ASSERT_TRUE(relay.started());

  int client = -1;
  for (int i = 0; i < 100 && client < 0; ++i) {  // socat needs a moment to listen
    client = connect_loopback(port);
    if (client < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Fd conn(client);
  ASSERT_GE(conn.get(), 0) << "socat did not listen on 127.0.0.1:" << port;
  bool open = false;
  for (int i = 0; i < 100 && !open; ++i) {  // then it opens the slave
    open = sink->connected();
    if (!open) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(open) << "socat did not open " << slave;

  Pacer pacer(SerialSettings{}, *Speed::parse("10"), 0);
  Bytes want;
  for (SimTime t : {0, 200, 400}) {
    Bytes frame = pattern(41, static_cast<std::uint8_t>(t));
    frame[0] = 0x7E;
    frame[40] = 0x7E;
    frame[7] = 0x0A;  // socat must not map line ends (rawer)
    frame[8] = 0x0D;
    pacer.send(*sink, t, frame);
    want.insert(want.end(), frame.begin(), frame.end());
  }
  EXPECT_EQ(read_bytes(conn.get(), want.size()), want);
  EXPECT_EQ(sink->bytes_dropped(), 0u);
}

}  // namespace
}  // namespace meterlab::sim
