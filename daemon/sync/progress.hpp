// A backfill's progress line: windows done/total, rows, rate and ETA; on a terminal it is
// redrawn in place on stderr, otherwise logged every few seconds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace partnersync::sync {

class Progress {
 public:
  explicit Progress(bool enabled);
  void planned(std::size_t windows) { total_ += windows; }
  void window_done(std::int64_t rows);
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  void report(bool final);

  bool enabled_, tty_;
  std::size_t total_ = 0, done_ = 0;
  std::int64_t rows_ = 0;
  Clock::time_point start_ = Clock::now(), last_{};
};

}  // namespace partnersync::sync
