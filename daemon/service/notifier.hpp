// systemd's notification protocol for the daemon: readiness, status lines, watchdog beats,
// reload and stop. Every call is a no-op when systemd did not set NOTIFY_SOCKET.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace partnersync::service {

class Notifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once; the environment is left as it
  // is (children the daemon starts do not inherit a socket meant for it: it starts none).
  Notifier();

  bool enabled() const { return enabled_; }

  void ready();                        // READY=1 (also after a reload)
  void status(std::string_view line);  // STATUS=<line>; newlines become spaces, secrets redacted
  void watchdog();                     // WATCHDOG=1
  void reloading();                    // RELOADING=1 and MONOTONIC_USEC=<now>
  void stopping();                     // STOPPING=1

  // How often to call watchdog(): half of WATCHDOG_USEC, or none when systemd wants no
  // watchdog for this process.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }

 private:
  void send(const std::string& message);

  bool enabled_ = false;
  bool warned_ = false;
  std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace partnersync::service
