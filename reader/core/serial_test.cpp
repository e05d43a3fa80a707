// termios on a real pty pair: the settings applied are the settings read back, raw mode is on,
// reads return at once (VMIN = VTIME = 0), and a bad speed is refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "line_termios.hpp"
#include "meterlab/reader/source.hpp"

namespace meterlab::reader {
namespace {

// A pty pair, closed at the end of the test.
struct PtyPair {
  int master = -1;
  int slave = -1;
  std::string slave_path;
  PtyPair() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return;
    slave_path = ::ptsname(master);
    slave = ::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
  }
  ~PtyPair() {
    if (slave >= 0) ::close(slave);
    if (master >= 0) ::close(master);
  }
};

class SerialTest : public ::testing::TestWithParam<LineSettings> {};

// The structure holds every field of the line (size, parity, stop bits, speed) and raw mode.
TEST_P(SerialTest, TermiosStructureHoldsTheLine) {
  const LineSettings want = GetParam();
  termios t{};
  t.c_lflag = ICANON | ECHO | ISIG;
  t.c_iflag = ICRNL | IXON;
  ASSERT_FALSE(to_termios(want, t));
  EXPECT_EQ(*from_termios(t), want) << from_termios(t)->to_string() << " != " << want.to_string();
  EXPECT_EQ(t.c_lflag & (ICANON | ECHO | ISIG), 0u);
  EXPECT_EQ(t.c_iflag & (ICRNL | IXON), 0u);
  EXPECT_EQ(t.c_cflag & CRTSCTS, 0u);
  EXPECT_EQ((t.c_iflag & INPCK) != 0, want.parity != 'N');
}

// A real pty keeps the speed, stop bits and raw mode; Linux forces CS8 and clears PARENB on a
// pty (drivers/tty/pty.c), so those two read back as 8 and none.
TEST_P(SerialTest, PtyReadsBackSpeedStopBitsAndRawMode) {
  PtyPair pty;
  ASSERT_GE(pty.slave, 0);
  const LineSettings want = GetParam();
  ASSERT_FALSE(apply_line_settings(pty.slave, want));
  auto got = read_line_settings(pty.slave);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->baud, want.baud);
  EXPECT_EQ(got->stop_bits, want.stop_bits);
  EXPECT_EQ(got->data_bits, 8);
  EXPECT_EQ(got->parity, 'N');
  termios t{};
  ASSERT_EQ(::tcgetattr(pty.slave, &t), 0);
  EXPECT_EQ(t.c_lflag & (ICANON | ECHO | ISIG), 0u);  // raw: no line editing, echo, signals
  EXPECT_EQ(t.c_iflag & (ICRNL | IXON), 0u);          // no CR mapping, no XON/XOFF
  EXPECT_EQ(t.c_oflag & OPOST, 0u);
  EXPECT_NE(t.c_cflag & CREAD, 0u);
  EXPECT_NE(t.c_cflag & CLOCAL, 0u);
  EXPECT_EQ(t.c_cc[VMIN], 0);
  EXPECT_EQ(t.c_cc[VTIME], 0);
}

INSTANTIATE_TEST_SUITE_P(
    Lines, SerialTest,
    ::testing::Values(LineSettings{2400, 8, 'E', 1}, LineSettings{2400, 8, 'N', 1},
                      LineSettings{300, 7, 'O', 2}, LineSettings{115200, 8, 'N', 1},
                      LineSettings{9600, 5, 'N', 2}, LineSettings{19200, 6, 'E', 1}));

TEST(SerialRawTest, BytesPassUnchanged) {
  PtyPair pty;
  ASSERT_GE(pty.slave, 0);
  ASSERT_FALSE(apply_line_settings(pty.slave, {2400, 8, 'E', 1}));
  // 0x0D would become 0x0A with ICRNL, 0x7E / 0x11 / 0x13 / 0x03 must not be interpreted.
  const std::uint8_t sent[] = {0x7E, 0x0D, 0x0A, 0x11, 0x13, 0x03, 0x7F, 0x00, 0xFF};
  ASSERT_EQ(::write(pty.master, sent, sizeof sent), static_cast<ssize_t>(sizeof sent));
  std::uint8_t got[32];
  ssize_t n = 0;
  for (int i = 0; i < 100 && n < static_cast<ssize_t>(sizeof sent); ++i) {
    ssize_t r = ::read(pty.slave, got + n, sizeof got - static_cast<std::size_t>(n));
    if (r > 0) n += r;
    if (r <= 0) ::usleep(1000);
  }
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof sent));
  EXPECT_EQ(std::vector<std::uint8_t>(got, got + n),
            std::vector<std::uint8_t>(sent, sent + sizeof sent));
}

TEST(SerialRawTest, ReadReturnsAtOnceWithNothingThere) {
  PtyPair pty;
  ASSERT_GE(pty.slave, 0);
  ASSERT_FALSE(apply_line_settings(pty.slave, {2400, 8, 'N', 1}));
  std::uint8_t buf[8];
  ssize_t r = ::read(pty.slave, buf, sizeof buf);
  EXPECT_LE(r, 0);  // 0 (VMIN = VTIME = 0) or EAGAIN; never blocks
}

TEST(SerialRefusalTest, UnsupportedSpeedAndNotATty) {
  PtyPair pty;
  ASSERT_GE(pty.slave, 0);
  EXPECT_EQ(*apply_line_settings(pty.slave, {2401, 8, 'N', 1}), "unsupported baud rate 2401");
  EXPECT_EQ(*apply_line_settings(pty.slave, {2400, 9, 'N', 1}), "data bits must be 5..8");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto err = apply_line_settings(fds[0], {2400, 8, 'N', 1});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->rfind("tcgetattr: ", 0), 0u);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(SerialSourceTest, PtyPathIsASerialSourceWithTheLineSettings) {
  PtyPair pty;
  ASSERT_GE(pty.slave, 0);
  InputConfig in;
  in.device = pty.slave_path;
  in.line = {4800, 7, 'E', 2};
  auto src = make_source(in);
  EXPECT_EQ(src->kind(), SourceKind::serial);
  EXPECT_TRUE(src->reopenable());
  ASSERT_EQ(src->open(), "");
  EXPECT_EQ(read_line_settings(src->fd())->baud, 4800);
  EXPECT_EQ(read_line_settings(src->fd())->stop_bits, 2);
  src->close();
  EXPECT_EQ(src->fd(), -1);
}

TEST(SerialSourceTest, KindsByName) {
  InputConfig in;
  EXPECT_EQ(make_source(in)->kind(), SourceKind::stdin_stream);
  in.device = "tcp://127.0.0.1:2000";
  EXPECT_EQ(make_source(in)->kind(), SourceKind::tcp);
  in.device = std::string(MLAB_SOURCE_DIR) + "/README.md";
  EXPECT_EQ(make_source(in)->kind(), SourceKind::file);
  EXPECT_FALSE(make_source(in)->reopenable());
  in.device = "/dev/ttyNOSUCH0";
  auto src = make_source(in);
  EXPECT_EQ(src->kind(), SourceKind::serial);
  EXPECT_EQ(src->open(), "cannot open /dev/ttyNOSUCH0: No such file or directory");
}

TEST(TcpAddressTest, Parse) {
  auto a = parse_tcp_address("tcp://127.0.0.1:2000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2000);
  EXPECT_EQ(parse_tcp_address("tcp://[::1]:8080")->host, "::1");
  EXPECT_FALSE(parse_tcp_address("tcp://host"));
  EXPECT_FALSE(parse_tcp_address("tcp://host:0"));
  EXPECT_FALSE(parse_tcp_address("tcp://host:65536"));
  EXPECT_FALSE(parse_tcp_address("tcp://:80"));
  EXPECT_FALSE(parse_tcp_address("/dev/ttyUSB0"));
}

}  // namespace
}  // namespace meterlab::reader
