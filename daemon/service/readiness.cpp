// Each reason names the stream and how far behind it is, so the 503 body alone says what to
// look at.
#include "daemon/service/readiness.hpp"

namespace partnersync::service {
namespace {

std::string duration_text(std::chrono::seconds d) {
  const auto s = d.count();
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace

HttpAnswer readiness_answer(const ReadinessInput& input) {
  std::string reasons;
  if (!input.database_reachable)
    reasons += "database unreachable" +
               (input.database_error.empty() ? std::string() : ": " + input.database_error) + "\n";
  for (const auto& s : input.streams) {
    if (s.not_applicable || s.interval.count() <= 0) continue;
    const auto since = s.last_success.value_or(input.daemon_started);
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(input.now - since);
    if (age <= kReadyIntervals * s.interval) continue;
    reasons += s.source + "/" + s.stream + ": " +
               (s.last_success ? "last success " : "no success since the start ") +
               duration_text(age) + " ago, over " + std::to_string(kReadyIntervals) +
               " intervals of " + duration_text(s.interval) + "\n";
  }
  if (reasons.empty()) return {200, "text/plain; charset=utf-8", "ready\n"};
  return {503, "text/plain; charset=utf-8", reasons};
}

}  // namespace partnersync::service
