// A profile over a real pty, in real time: a reader opened on the pty as a serial port receives
// the Kaifa KFM_001 frames every 2 s (+-0.2 s) at the line rate of 2400 8E1 (218 bytes/s, +-10 %),
// and the bytes it reads are exactly those the simulation produced. About 9 s of wall time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using Clock = std::chrono::steady_clock;
using test::json;

struct Arrival {
  double t;       // seconds since the reader started
  std::size_t n;  // bytes received so far, including this read
};

TEST(RealTimeProfile, KaifaListOneEveryTwoSecondsAtLineRate) {
  const Profile& p = *find_profile("kaifa-kfm001-3ph");
  SimOptions o;
  o.start =
      *parse_iso("2026-01-05T10:20:02", p.zone);  // list 1 at :02, :04, :06, :08; list 2 at :10
  o.duration = 9000;
  Simulation sim(p, o);
  std::string path;
  auto sink = open_pty(p.serial, "", &path);

  // The reader: opens the pty like a serial port (raw, 2400 8E1 asked for) and stamps each read.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  termios tio{};
  ASSERT_EQ(::tcgetattr(fd, &tio), 0);
  EXPECT_EQ(cfgetispeed(&tio), B2400);
  std::vector<Arrival> arrivals;
  Buffer received;
  std::atomic<bool> done{false};
  const auto t0 = Clock::now();
  std::thread reader([&] {
    std::array<std::uint8_t, 512> buf{};
    while (!done) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0 || (pfd.revents & POLLIN) == 0) continue;
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n <= 0) continue;
      received.insert(received.end(), buf.begin(), buf.begin() + n);
      arrivals.push_back(
          {std::chrono::duration<double>(Clock::now() - t0).count(), received.size()});
    }
  });

  Pacer pacer(p.serial, Speed{}, o.start);
  Chunk c;
  std::vector<json> truth;
  while (sim.next(c)) pacer.send(*sink, c.t, c.bytes);
  sink->flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  done = true;
  reader.join();
  ::close(fd);
  for (const std::string& line : sim.take_truth()) truth.push_back(json::parse(line));

  // Every byte arrived, in order.
  ASSERT_EQ(received.size(), sim.bytes_out());
  // When did the byte at a stream offset arrive?
  auto when = [&](std::size_t offset) {
    for (const Arrival& a : arrivals)
      if (a.n > offset) return a.t;
    return -1.0;
  };
  std::vector<double> list1;
  for (const json& t : truth)
    if (t.at("list") == "list1") list1.push_back(when(t.at("offset").get<std::size_t>()));
  ASSERT_EQ(list1.size(), 4u);
  for (std::size_t i = 1; i < list1.size(); ++i)
    EXPECT_NEAR(list1[i] - list1[i - 1], 2.0, 0.2) << i;
  // The list 2 frame (123 bytes) from its first to its last byte: 122 bytes of line time.
  const json& l2 = truth.back();
  ASSERT_EQ(l2.at("list"), "list2");
  auto first = l2.at("offset").get<std::size_t>(), length = l2.at("length").get<std::size_t>();
  double rate = static_cast<double>(length - 1) / (when(first + length - 1) - when(first));
  EXPECT_NEAR(rate, 2400.0 / 11.0, 0.1 * 2400.0 / 11.0);
  EXPECT_NEAR(when(first) - list1.front(), 8.0, 0.2);
}

}  // namespace
}  // namespace meterlab::sim
