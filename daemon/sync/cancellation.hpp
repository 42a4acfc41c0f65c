// One shutdown signal per source that every wait of its sync listens to: HTTP requests, retry
// backoffs and pacing (through the client), sleeps of the scheduler, and database retries on
// the store threads (through a std::stop_token).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <stop_token>
#include <vector>

namespace partnersync::sync {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  bool requested() const { return stop_.stop_requested(); }
  std::stop_token token() const { return stop_.get_token(); }
  // Called on the io_context's thread: runs every registered canceller once.
  void request();
  // `cancel` runs when the signal fires (at once if it already has). Returns its handle.
  std::size_t on_cancel(std::function<void()> cancel);
  void forget(std::size_t handle);

 private:
  std::stop_source stop_;
  std::vector<std::function<void()>> cancellers_;
};

// Sleeps for `duration` unless `cancel` fires first. Returns false when cancelled.
boost::asio::awaitable<bool> sleep_for(Cancellation& cancel, std::chrono::steady_clock::duration d);
// The same, ended by either signal.
boost::asio::awaitable<bool> sleep_for(Cancellation& cancel, Cancellation& also,
                                       std::chrono::steady_clock::duration d);

}  // namespace partnersync::sync
