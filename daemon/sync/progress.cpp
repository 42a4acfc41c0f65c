// Terminal output is throttled to 4 redraws a second, the log to one line every 5 seconds.
#include "daemon/sync/progress.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace partnersync::sync {

Progress::Progress(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1) {}

void Progress::window_done(std::int64_t rows) {
  ++done_;
  rows_ += rows;
  report(false);
}

void Progress::finish() {
  report(true);
  if (enabled_ && tty_) std::cerr << "\n";
}

void Progress::report(bool final) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!final && now - last_ < (tty_ ? std::chrono::milliseconds(250) : std::chrono::seconds(5)))
    return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(rows_) / seconds : 0;
  const double per_window = done_ > 0 ? seconds / static_cast<double>(done_) : 0;
  const double eta = per_window * static_cast<double>(total_ > done_ ? total_ - done_ : 0);
  char line[200];
  std::snprintf(line, sizeof line,
                "backfill: %zu/%zu windows, %lld rows, %.0f rows/s, elapsed %.0fs, ETA %.0fs",
                done_, total_, static_cast<long long>(rows_), rate, seconds, eta);
  if (tty_) {
    std::cerr << "\r" << line << "\x1b[K" << std::flush;
  } else {
    spdlog::info("{}", line);
  }
}

}  // namespace partnersync::sync
