// The store threads: SyncStore calls block, so they run on a pool of threads (one connection
// each, so windows commit in parallel: one backend is the bottleneck of a backfill) while the
// io_context goes on fetching and parsing. One more store, the lock store, holds the per-source
// advisory locks: of the passes in flight (one-shot runs), of the sources this instance owns
// (daemon mode, across passes), so the backends are database.connections + 1.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <type_traits>
#include <vector>

#include "daemon/sync/sync_store.hpp"
#include "daemon/sync/window_gate.hpp"

namespace partnersync::sync {

class StorePool {
 public:
  StorePool(const std::string& url, int connections);
  ~StorePool();

  // Runs `work(store)` on a store thread. Not a coroutine itself: it hands back co_spawn's
  // awaitable. Callers name the lambda before co_await: GCC 12 can destroy a temporary of a
  // co_await expression twice.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F, SyncStore&>> run(F work) {
    using R = std::invoke_result_t<F, SyncStore&>;
    return boost::asio::co_spawn(
        pool_.get_executor(),
        [this, work = std::move(work)]() mutable -> boost::asio::awaitable<R> {
          Lease lease(*this);  // as many stores as threads: one is always free here
          co_return work(*lease.store);
        },
        boost::asio::use_awaitable);
  }
  // Runs `work(lock_store)` on a store thread, one at a time.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F, SyncStore&>> run_on_lock_store(F work) {
    using R = std::invoke_result_t<F, SyncStore&>;
    return boost::asio::co_spawn(
        pool_.get_executor(),
        [this, work = std::move(work)]() mutable -> boost::asio::awaitable<R> {
          std::lock_guard lock(lock_mutex_);
          co_return work(*lock_store_);
        },
        boost::asio::use_awaitable);
  }

  SyncStore& store() { return *stores_.front(); }  // only before/after the io_context runs

  // The windows of every source held between fetch and commit: kWindowsPerConnection for each
  // connection (enough to keep the connections busy while others are being fetched), so
  // memory follows database.connections, not the number of sources (window_gate.hpp).
  static constexpr int kWindowsPerConnection = 8;
  WindowGate& gate() { return gate_; }

  // Closes the connections no window holds now (the lock store's too when no source holds its
  // lock); a later lease connects again.
  void close_idle();
  // Source locks held on the lock store (on the io_context's thread).
  void lock_taken() { ++locks_held_; }
  void lock_released() { --locks_held_; }
  // Ends every retry wait of the stores (shutdown).
  void stop() { stop_.request_stop(); }

 private:
  WindowGate gate_;
  struct Lease {
    explicit Lease(StorePool& p);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    StorePool& pool;
    SyncStore* store = nullptr;
  };

  std::stop_source stop_;
  boost::asio::thread_pool pool_;
  std::vector<std::unique_ptr<SyncStore>> stores_;
  std::unique_ptr<SyncStore> lock_store_;
  std::mutex mutex_;  // guards free_
  std::vector<SyncStore*> free_;
  std::mutex lock_mutex_;
  int locks_held_ = 0;
};

}  // namespace partnersync::sync
