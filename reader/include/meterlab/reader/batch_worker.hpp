// A bounded queue of records and the thread that delivers them in batches: the shared engine of
// the InfluxDB and PostgreSQL outputs. telegram() only appends under a mutex (never blocks on the
// network); the worker sends a batch when batch_size records wait or the oldest has waited
// flush_interval, retries a failed batch with doubling back-off, and counts everything it gives
// up on. Shared by every output that delivers in batches (header only; its options are read from
// the config by read_batch_options, one rule for every such output).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/sink.hpp"

namespace meterlab::reader {

struct BatchOptions {
  std::size_t batch_size = 500;
  std::size_t max_queue = 100000;  // records; beyond it new records are dropped and counted
  std::chrono::milliseconds flush_interval{1000};
  int retries = 5;  // retries of one batch; < 0: retry until it goes through
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
};

// The batching keys of an output's config object (batch_size 1..max_batch, flush_interval_ms,
// max_queue, backoff_initial_ms, backoff_max_ms), read over the defaults already in `b`.
inline bool read_batch_options(ConfigReader& c, BatchOptions& b, std::int64_t max_batch) {
  constexpr std::int64_t kMaxMs = 3600000;
  std::int64_t flush = b.flush_interval.count(), initial = b.backoff_initial.count(),
               max = b.backoff_max.count();
  if (!c.integer("batch_size", b.batch_size, 1, max_batch) ||
      !c.integer("flush_interval_ms", flush, 0, kMaxMs) ||
      !c.integer("max_queue", b.max_queue, 1, 10000000) ||
      !c.integer("backoff_initial_ms", initial, 1, kMaxMs) ||
      !c.integer("backoff_max_ms", max, 1, kMaxMs)) {
    return false;
  }
  b.flush_interval = std::chrono::milliseconds(flush);
  b.backoff_initial = std::chrono::milliseconds(initial);
  b.backoff_max = std::chrono::milliseconds(max);
  return true;
}

// What one delivery attempt came to.
enum class SendOutcome : std::uint8_t {
  ok,       // the far side has the batch
  retry,    // the far side is away or failing (5xx, no connection): try again after back-off
  give_up,  // the far side refuses this batch (4xx, SQL error): retrying will not help
};

template <class Record>
class BatchWorker {
 public:
  // `send` runs on the worker thread only. It fills `error` (never with a secret) when not ok.
  using Send = std::function<SendOutcome(const std::vector<Record>& batch, std::string& error)>;

  BatchWorker(BatchOptions options, Send send) : opt_(options), send_(std::move(send)) {
    thread_ = std::thread([this] { run(); });
  }
  BatchWorker(const BatchWorker&) = delete;
  BatchWorker& operator=(const BatchWorker&) = delete;
  ~BatchWorker() { close(std::chrono::milliseconds(0)); }

  void telegram_seen() {
    std::lock_guard lock(mu_);
    ++stats_.telegrams;
  }

  // Appends a record; O(1), never waits for the worker's network call.
  void push(Record r) {
    std::lock_guard lock(mu_);
    if (closing_ || queue_.size() >= opt_.max_queue) {
      ++stats_.failed;
      stats_.last_error = closing_ ? "closed: record dropped" : "queue full: record dropped";
      return;
    }
    const bool was_empty = queue_.empty();
    if (was_empty) oldest_ = SteadyClock::now();
    queue_.push_back(std::move(r));
    // The worker sleeps without a deadline while the queue is empty: the first record starts
    // its flush_interval clock, a full batch goes at once.
    if (was_empty || queue_.size() >= opt_.batch_size) cv_.notify_all();
  }

  // Delivers what is queued, waiting at most `limit`; then stops the worker. Whatever is still
  // undelivered at the deadline is counted as failed.
  void close(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    if (!thread_.joinable()) return;
    closing_ = true;
    cv_.notify_all();
    done_cv_.wait_for(lock, limit, [this] { return finished_; });
    aborting_ = true;
    cv_.notify_all();
    lock.unlock();
    thread_.join();
    lock.lock();
    stats_.failed += queue_.size() + in_flight_;
    queue_.clear();
    in_flight_ = 0;
  }

  SinkStats stats() const {
    std::lock_guard lock(mu_);
    SinkStats s = stats_;
    s.queued = queue_.size() + in_flight_;
    return s;
  }

  // For `send`: true once close() has run out of time (abort transfers and waits).
  bool aborting() const noexcept { return aborting_.load(); }

 private:
  // Waits for a batch to be due; false when the worker is to stop.
  bool take(std::vector<Record>& batch) {
    std::unique_lock lock(mu_);
    for (;;) {
      if (aborting_ || (closing_ && queue_.empty())) return false;
      const bool full = queue_.size() >= opt_.batch_size;
      const bool due = !queue_.empty() && SteadyClock::now() >= oldest_ + opt_.flush_interval;
      if (full || due || (closing_ && !queue_.empty())) break;
      if (queue_.empty()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, oldest_ + opt_.flush_interval);
      }
    }
    const std::size_t n = std::min(queue_.size(), opt_.batch_size);
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    in_flight_ = n;
    oldest_ = SteadyClock::now();  // the rest arrived while the batch waited: due no later
    return true;
  }

  // Sends one batch until it goes through, is refused, or has used its retries.
  void deliver(const std::vector<Record>& batch) {
    auto backoff = opt_.backoff_initial;
    for (int attempt = 0;; ++attempt) {
      std::string error;
      const SendOutcome out = send_(batch, error);
      std::unique_lock lock(mu_);
      if (out == SendOutcome::ok) {
        stats_.delivered += batch.size();
        if (failing_) ++stats_.reconnects;
        failing_ = false;
        in_flight_ = 0;
        break;
      }
      stats_.last_error = error;
      if (out == SendOutcome::give_up || (opt_.retries >= 0 && attempt >= opt_.retries)) {
        stats_.failed += batch.size();
        failing_ = out == SendOutcome::retry;
        in_flight_ = 0;
        break;
      }
      failing_ = true;
      cv_.wait_for(lock, backoff, [this] { return aborting_.load(); });
      if (aborting_) break;  // close() counts the batch as failed
      backoff = std::min(backoff * 2, opt_.backoff_max);
    }
  }

  void run() {
    std::vector<Record> batch;
    while (take(batch)) deliver(batch);
    std::lock_guard lock(mu_);
    finished_ = true;
    done_cv_.notify_all();
  }

  BatchOptions opt_;
  Send send_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::deque<Record> queue_;
  std::size_t in_flight_ = 0;
  SteadyClock::time_point oldest_{};
  SinkStats stats_;
  bool closing_ = false;
  bool finished_ = false;
  bool failing_ = false;
  std::atomic<bool> aborting_{false};
  std::thread thread_;
};

// An output that turns readings into records and delivers them in batches on a BatchWorker:
// the sink half every batching output shares (InfluxDB, PostgreSQL). A derived class gives
// record() and send(), calls start() at the end of its constructor and stop() first in its
// destructor (the worker calls send() until then).
template <class Record>
class BatchingSink : public Sink {
 public:
  void telegram(const cosem::Telegram& t, const Received& r) final {
    worker_->telegram_seen();
    for (const cosem::Reading& reading : t.readings) {
      if (auto rec = record(t, reading, r)) worker_->push(std::move(*rec));
    }
  }
  void close(std::chrono::milliseconds limit) final { worker_->close(limit); }
  SinkStats stats() const final { return worker_->stats(); }

 protected:
  void start(const BatchOptions& options) {
    worker_ = std::make_unique<BatchWorker<Record>>(
        options, [this](const std::vector<Record>& batch, std::string& error) {
          return send(batch, error);
        });
  }
  void stop() {
    if (worker_) worker_->close(std::chrono::milliseconds(0));
  }
  bool aborting() const noexcept { return worker_->aborting(); }

  // The record of one reading (its meter is r.meter); none for a reading not stored.
  virtual std::optional<Record> record(const cosem::Telegram& t, const cosem::Reading& reading,
                                       const Received& r) = 0;
  // On the worker thread: delivers one batch (BatchWorker::Send).
  virtual SendOutcome send(const std::vector<Record>& batch, std::string& error) = 0;

 private:
  std::unique_ptr<BatchWorker<Record>> worker_;
};

}  // namespace meterlab::reader
