// Real-time pacing. Every wall time is computed from the Pacer's origin (wall0_, t0_) and the
// frame's start, never by adding up sleeps, so lateness (a busy machine, a slow sink) does not
// accumulate: a late slice goes at once and the next ones are on time again.
#include <algorithm>
#include <chrono>
#include <thread>

#include "meterlab/sim/io.hpp"

namespace meterlab::sim {
namespace {

using Clock = std::chrono::steady_clock;

// About this much line time goes to the sink in one write.
constexpr double kSliceSeconds = 0.010;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

Pacer::Pacer(const SerialSettings& serial, Speed speed, SimTime t0)
    : serial_(serial), speed_(speed), t0_(t0), wall0_(Clock::now()), line_free_(wall0_) {}

void Pacer::restart(SimTime t0) {
  t0_ = t0;
  wall0_ = Clock::now();
  line_free_ = wall0_;
}

Clock::time_point Pacer::wall_at(SimTime t) const {
  return wall0_ + seconds(static_cast<double>(t - t0_) / 1000.0 / speed_.factor);
}

void Pacer::send(Sink& sink, SimTime t, std::span<const std::uint8_t> bytes) {
  if (speed_.max) {
    sink.write(bytes);
    return;
  }
  // The line is busy until the previous frame's last stop bit: a frame cannot overtake it.
  const Clock::time_point start = std::max(wall_at(t), line_free_);
  const double byte_seconds =
      static_cast<double>(serial_.bits_per_byte()) / serial_.baud / speed_.factor;
  const auto slice = static_cast<std::size_t>(std::max(1.0, kSliceSeconds / byte_seconds));
  for (std::size_t done = 0; done < bytes.size();) {
    const std::size_t n = std::min(slice, bytes.size() - done);
    // A UART hands a byte over after its stop bit: a slice goes when its last byte has arrived.
    std::this_thread::sleep_until(start + seconds(static_cast<double>(done + n) * byte_seconds));
    sink.write(bytes.subspan(done, n));
    done += n;
  }
  line_free_ = start + seconds(static_cast<double>(bytes.size()) * byte_seconds);
}

}  // namespace meterlab::sim
