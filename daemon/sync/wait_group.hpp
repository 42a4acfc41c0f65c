// Waits for a number of coroutines spawned on a single-threaded io_context (no atomics), and
// hands back the first exception one of them ended with.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace partnersync::sync {

class WaitGroup {
 public:
  explicit WaitGroup(const boost::asio::any_io_executor& ex)
      : timer_(ex, std::chrono::steady_clock::time_point::max()) {}
  void add() { ++count_; }
  void done(const std::exception_ptr& e) {
    if (e && !first_error_) first_error_ = e;
    if (--count_ == 0) timer_.cancel();
  }
  boost::asio::awaitable<void> wait() {
    while (count_ > 0) {
      boost::system::error_code ec;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    if (first_error_) std::rethrow_exception(first_error_);
  }

 private:
  boost::asio::steady_timer timer_;
  int count_ = 0;
  std::exception_ptr first_error_;
};

}  // namespace partnersync::sync
