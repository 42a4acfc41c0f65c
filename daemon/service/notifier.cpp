// sd_notify/sd_watchdog_enabled from libsystemd do the protocol (abstract sockets, credentials,
// WATCHDOG_PID checks); this file only words the messages.
#include "daemon/service/notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "daemon/obs/redact.hpp"

namespace partnersync::service {

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
}

void Notifier::ready() { send("READY=1"); }

void Notifier::status(std::string_view line) {
  if (!enabled_) return;
  std::string text = obs::redact(std::string(line));
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  send("STATUS=" + text);
}

void Notifier::watchdog() { send("WATCHDOG=1"); }

void Notifier::reloading() {
  if (!enabled_) return;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
                    static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Notifier::stopping() { send("STOPPING=1"); }

void Notifier::send(const std::string& message) {
  if (!enabled_) return;
  const int rc = sd_notify(0, message.c_str());
  // A lost notification is not worth stopping for, but one warning says why systemd may
  // think the daemon is not ready or hung.
  if (rc < 0 && !warned_) {
    warned_ = true;
    spdlog::warn("sd_notify failed: {}", std::strerror(-rc));
  }
}

}  // namespace partnersync::service
