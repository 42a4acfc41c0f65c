#include "daemon/sync/window_gate.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"

namespace partnersync::sync {

boost::asio::awaitable<WindowGate::Place> WindowGate::enter(Cancellation& cancel) {
  if (cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
  if (held_ < capacity_ && waiting_.empty()) {
    ++held_;
    co_return Place(this);
  }
  const auto ex = co_await boost::asio::this_coro::executor;
  auto waiter = waiting_.emplace(waiting_.end(), ex);
  const std::size_t handle = cancel.on_cancel([waiter] { waiter->timer.cancel(); });
  boost::system::error_code ec;
  while (!waiter->granted && !cancel.requested())
    co_await waiter->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  cancel.forget(handle);
  const bool granted = waiter->granted;
  waiting_.erase(waiter);
  if (!granted) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
  co_return Place(this);  // leave() handed its place over: held_ counts it already
}

void WindowGate::leave() {
  for (auto& w : waiting_) {
    if (w.granted) continue;
    w.granted = true;
    w.timer.cancel();
    return;
  }
  --held_;
}

}  // namespace partnersync::sync
