// The /readyz rule of interface.md as a pure function: the database reachable and no enabled
// stream more than 3 of its intervals past its last success (or the daemon's start).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/service/http_server.hpp"

namespace partnersync::service {

struct StreamReadiness {
  std::string source;
  std::string stream;
  std::chrono::seconds interval{};
  std::optional<std::chrono::sys_seconds> last_success;
  bool not_applicable = false;  // upstream said 403: does not count
};

struct ReadinessInput {
  bool database_reachable = true;
  std::string database_error;  // one line, no secrets, when unreachable
  std::chrono::sys_seconds now;
  std::chrono::sys_seconds daemon_started;  // streams that never succeeded count from here
  std::vector<StreamReadiness> streams;     // the enabled ones
};

inline constexpr int kReadyIntervals = 3;

// 200 "ready" or 503 with one plain-text line per reason.
HttpAnswer readiness_answer(const ReadinessInput& input);

}  // namespace partnersync::service
