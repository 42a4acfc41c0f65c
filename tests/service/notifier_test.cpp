// Notifier against a real datagram socket named by NOTIFY_SOCKET, as systemd sets it.
#include "daemon/service/notifier.hpp"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "daemon/obs/redact.hpp"
#include "tests/service/notify_socket.hpp"

namespace partnersync {
namespace {

using service::Notifier;
using testing::NotifySocket;

constexpr int kWaitMs = 5000;  // a datagram on loopback arrives at once; this only bounds a bug

std::uint64_t monotonic_usec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
  }
  NotifySocket socket;
};

TEST_F(NotifierTest, SendsEveryMessageInOrder) {
  Notifier notifier;
  ASSERT_TRUE(notifier.enabled());
  notifier.ready();
  notifier.status("pass 3 started\nsecond line");
  notifier.watchdog();
  const auto before = monotonic_usec();
  notifier.reloading();
  const auto after = monotonic_usec();
  notifier.ready();
  notifier.stopping();

  EXPECT_EQ(socket.receive(kWaitMs), "READY=1");
  EXPECT_EQ(socket.receive(kWaitMs), "STATUS=pass 3 started second line");
  EXPECT_EQ(socket.receive(kWaitMs), "WATCHDOG=1");
  const auto reloading = socket.receive(kWaitMs).value_or("");
  ASSERT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  const auto usec = std::stoull(reloading.substr(reloading.find('=', 12) + 1));
  EXPECT_GE(usec, before);
  EXPECT_LE(usec, after);
  EXPECT_EQ(socket.receive(kWaitMs), "READY=1");
  EXPECT_EQ(socket.receive(kWaitMs), "STOPPING=1");
}

TEST_F(NotifierTest, StatusLineHasSecretsMasked) {
  obs::register_secret("s3cr3t-token-value");
  Notifier notifier;
  notifier.status("failed: 401 for token s3cr3t-token-value");
  const auto message = socket.receive(kWaitMs).value_or("");
  EXPECT_EQ(message.find("s3cr3t-token-value"), std::string::npos) << message;
  EXPECT_EQ(message.rfind("STATUS=failed: 401", 0), 0u) << message;
}

TEST_F(NotifierTest, WithoutNotifySocketEveryCallIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  Notifier notifier;
  EXPECT_FALSE(notifier.enabled());
  notifier.ready();
  notifier.status("x");
  notifier.watchdog();
  notifier.reloading();
  notifier.stopping();
  EXPECT_EQ(socket.receive(200), std::nullopt);
  setenv("WATCHDOG_USEC", "2000000", 1);
  EXPECT_EQ(Notifier().watchdog_interval(), std::nullopt);
}

TEST_F(NotifierTest, WatchdogIntervalIsHalfOfWatchdogUsec) {
  EXPECT_EQ(Notifier().watchdog_interval(), std::nullopt);
  setenv("WATCHDOG_USEC", "3000000", 1);
  EXPECT_EQ(Notifier().watchdog_interval(), std::chrono::microseconds(1500000));
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(Notifier().watchdog_interval(), std::chrono::microseconds(1500000));
  // A watchdog meant for another process (e.g. the parent that forked us) is not ours.
  setenv("WATCHDOG_PID", std::to_string(getppid()).c_str(), 1);
  EXPECT_EQ(Notifier().watchdog_interval(), std::nullopt);
}

}  // namespace
}  // namespace partnersync
