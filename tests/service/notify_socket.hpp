// A datagram socket of the test standing in for systemd's notification socket: the test
// points NOTIFY_SOCKET at it and reads what the daemon (or Notifier) sent, in order.
#pragma once

#include <optional>
#include <string>

namespace partnersync::testing {

class NotifySocket {
 public:
  NotifySocket();  // bound to a fresh path in a temporary directory
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  // The next datagram, or none after `timeout_ms`.
  std::optional<std::string> receive(int timeout_ms);

 private:
  int fd_ = -1;
  std::string dir_;
  std::string path_;
};

}  // namespace partnersync::testing
