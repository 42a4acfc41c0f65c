// The source's two PostgreSQL advisory locks (README.md "Run it"): the pass lock
// every pass holds, so a one-shot run and the daemon never sync one source at once, and the
// daemon's owner lock, held across passes, so of several instances one syncs a source and
// the others stand by. Locks live on the pool's lock connection (StorePool::run_on_lock_store).
#include <spdlog/spdlog.h>

#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"
#include "daemon/sync/source_runner.hpp"
#include "daemon/sync/store_pool.hpp"

namespace partnersync::sync {

using boost::asio::awaitable;

namespace {

// How often a pass asks again for a source another process holds.
constexpr auto kLockRetry = std::chrono::seconds(5);

}  // namespace

awaitable<bool> SourceRunner::lock_source() {
  const std::string source = source_.name;
  for (;;) {
    auto take = [source](SyncStore& s) { return s.try_lock_source(source); };
    if (co_await stores_.run_on_lock_store(std::move(take))) {
      stores_.lock_taken();
      if (told_locked_) spdlog::info("source {}: the other process is done, syncing", source);
      told_locked_ = false;
      co_return true;
    }
    if (!told_locked_) {
      spdlog::warn(
          "source {}: another partnersync process is syncing this source; waiting for it to "
          "finish",
          source);
      told_locked_ = true;
    }
    if (!co_await sleep_for(cancel_, kLockRetry)) co_return false;
  }
}

awaitable<void> SourceRunner::unlock_source() {
  const std::string source = source_.name;
  auto release = [source](SyncStore& s) {
    s.unlock_source(source);
    return 0;
  };
  stores_.lock_released();
  co_await stores_.run_on_lock_store(std::move(release));
}

awaitable<bool> SourceRunner::own_source(Cancellation& drain, std::chrono::seconds poll,
                                         const std::function<void()>& on_standby) {
  const std::string source = source_.name;
  while (!owned_) {
    // Held already (a lock the previous generation kept) counts: taking it again would stack.
    auto take = [source](SyncStore& s) {
      return s.holds_source_lock(source, SourceLock::owner) ||
             s.try_lock_source(source, SourceLock::owner);
    };
    bool taken = false;
    std::string error;
    try {
      taken = co_await stores_.run_on_lock_store(std::move(take));
    } catch (const std::exception&) {
      const Failure failure = classify(std::current_exception());
      if (failure.kind == FailureKind::cancelled) co_return false;
      error = failure.reason;
    }
    if (taken) {
      owned_ = true;
      stores_.lock_taken();
      if (standby_) {
        spdlog::info(
            "source {}: the instance that owned this source is gone; this one syncs it now",
            source);
      } else {
        spdlog::debug("source {}: this instance owns the source", source);
      }
      standby_ = false;
      break;
    }
    if (!error.empty()) {
      spdlog::warn("source {}: cannot take the source lock: {}; asking again in {}s", source, error,
                   poll.count());
    } else if (!standby_) {
      spdlog::warn(
          "source {}: another partnersync instance owns this source; standing by, asking again "
          "every {}s",
          source, poll.count());
      standby_ = true;
      if (on_standby) on_standby();
    }
    if (!co_await sleep_for(cancel_, drain, poll)) co_return false;
  }
  co_return true;
}

awaitable<bool> SourceRunner::still_own_source() {
  if (!owned_) co_return false;
  const std::string source = source_.name;
  auto check = [source](SyncStore& s) { return s.holds_source_lock(source, SourceLock::owner); };
  bool held = false;
  try {
    held = co_await stores_.run_on_lock_store(std::move(check));
  } catch (const std::exception& e) {
    spdlog::debug("source {}: checking the source lock: {}", source, e.what());
  }
  if (!held) {
    owned_ = false;
    stores_.lock_released();
    spdlog::error(
        "source {}: the source lock went with its database connection; no more syncing of "
        "this source until this instance holds the lock again",
        source);
  }
  co_return held;
}

awaitable<void> SourceRunner::disown_source() {
  if (!owned_) co_return;
  owned_ = false;
  const std::string source = source_.name;
  auto release = [source](SyncStore& s) {
    s.unlock_source(source, SourceLock::owner);
    return 0;
  };
  stores_.lock_released();
  try {
    co_await stores_.run_on_lock_store(std::move(release));
  } catch (const std::exception& e) {
    // The lock went with its connection.
    spdlog::debug("source {}: releasing the source lock: {}", source_.name, e.what());
  }
}

}  // namespace partnersync::sync
