// WindowGate (issue 16): at most `capacity` places at once, handed over first come first
// served, and a wait that shutdown ends.
#include "daemon/sync/window_gate.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;

// Enters, records its name, holds its place until `release` is set, then leaves.
struct Holder {
  std::string name;
  bool release = false;
  bool cancelled = false;
};

asio::awaitable<void> hold(WindowGate& gate, Cancellation& cancel, Holder& h,
                           std::vector<std::string>& order) {
  try {
    auto entering = gate.enter(cancel);
    const WindowGate::Place place = co_await std::move(entering);
    order.push_back(h.name);
    while (!h.release) {
      auto timer = asio::steady_timer(co_await asio::this_coro::executor,
                                      std::chrono::milliseconds(1));
      co_await timer.async_wait(asio::use_awaitable);
    }
  } catch (const SyncError& e) {
    h.cancelled = e.kind() == FailureKind::cancelled;
  }
}

// Runs the io_context until `done` holds, at most 2000 handlers' worth of 1 ms steps.
template <class Done>
bool run_until(asio::io_context& ioc, Done done) {
  for (int i = 0; i < 2000 && !done(); ++i) ioc.run_for(std::chrono::milliseconds(1));
  return done();
}

TEST(WindowGate, HoldsAtMostItsCapacityAndHandsPlacesOverInOrder) {
  asio::io_context ioc(1);
  WindowGate gate(2);
  Cancellation cancel;
  std::vector<std::string> order;
  std::vector<Holder> holders{{"a"}, {"b"}, {"c"}, {"d"}};
  for (auto& h : holders) asio::co_spawn(ioc, hold(gate, cancel, h, order), asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return order.size() == 2; }));
  ioc.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));  // c and d wait
  EXPECT_EQ(gate.held(), 2u);

  holders[1].release = true;  // b leaves: c, the first waiting, enters
  ASSERT_TRUE(run_until(ioc, [&] { return order.size() == 3; }));
  ioc.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(gate.held(), 2u);

  for (auto& h : holders) h.release = true;
  ASSERT_TRUE(run_until(ioc, [&] { return gate.held() == 0 && order.size() == 4; }));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(WindowGate, ShutdownEndsAWaitWithCancelled) {
  asio::io_context ioc(1);
  WindowGate gate(1);
  Cancellation cancel;
  std::vector<std::string> order;
  std::vector<Holder> holders{{"a"}, {"b"}};
  for (auto& h : holders) asio::co_spawn(ioc, hold(gate, cancel, h, order), asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return order.size() == 1; }));
  asio::post(ioc, [&] { cancel.request(); });
  ASSERT_TRUE(run_until(ioc, [&] { return holders[1].cancelled; }));
  EXPECT_EQ(order, (std::vector<std::string>{"a"}));
  holders[0].release = true;
  ASSERT_TRUE(run_until(ioc, [&] { return gate.held() == 0; }));
}

}  // namespace
}  // namespace partnersync::sync
