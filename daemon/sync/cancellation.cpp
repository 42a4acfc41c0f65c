// Cancellers are kept by handle (not erased) so a handle stays valid while others come and go.
#include "daemon/sync/cancellation.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace partnersync::sync {

void Cancellation::request() {
  if (stop_.stop_requested()) return;
  stop_.request_stop();
  auto cancellers = std::move(cancellers_);
  cancellers_.clear();
  for (auto& c : cancellers)
    if (c) c();
}

std::size_t Cancellation::on_cancel(std::function<void()> cancel) {
  if (stop_.stop_requested()) {
    cancel();
    return static_cast<std::size_t>(-1);
  }
  for (std::size_t i = 0; i < cancellers_.size(); ++i) {
    if (!cancellers_[i]) {
      cancellers_[i] = std::move(cancel);
      return i;
    }
  }
  cancellers_.push_back(std::move(cancel));
  return cancellers_.size() - 1;
}

void Cancellation::forget(std::size_t handle) {
  if (handle < cancellers_.size()) cancellers_[handle] = nullptr;
}

boost::asio::awaitable<bool> sleep_for(Cancellation& cancel,
                                       std::chrono::steady_clock::duration d) {
  namespace asio = boost::asio;
  if (cancel.requested()) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  const auto handle = cancel.on_cancel([&timer] { timer.cancel(); });
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  cancel.forget(handle);
  co_return !cancel.requested();
}

boost::asio::awaitable<bool> sleep_for(Cancellation& cancel, Cancellation& also,
                                       std::chrono::steady_clock::duration d) {
  namespace asio = boost::asio;
  if (cancel.requested() || also.requested()) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  const auto first = cancel.on_cancel([&timer] { timer.cancel(); });
  const auto second = also.on_cancel([&timer] { timer.cancel(); });
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  cancel.forget(first);
  also.forget(second);
  co_return !cancel.requested() && !also.requested();
}

}  // namespace partnersync::sync
