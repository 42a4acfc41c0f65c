// Leases hand out the free stores; the pool has as many threads as stores, so a lease never
// waits.
#include "daemon/sync/store_pool.hpp"

#include <algorithm>

namespace partnersync::sync {

StorePool::StorePool(const std::string& url, int connections)
    : gate_(static_cast<std::size_t>(kWindowsPerConnection * std::max(1, connections))),
      pool_(static_cast<std::size_t>(std::max(1, connections))),
      lock_store_(std::make_unique<SyncStore>(url)) {
  lock_store_->set_stop_token(stop_.get_token());
  for (int i = 0; i < std::max(1, connections); ++i) {
    stores_.push_back(std::make_unique<SyncStore>(url));
    stores_.back()->set_stop_token(stop_.get_token());
    free_.push_back(stores_.back().get());
  }
}

StorePool::~StorePool() { pool_.join(); }

StorePool::Lease::Lease(StorePool& p) : pool(p) {
  std::lock_guard lock(pool.mutex_);
  store = pool.free_.back();
  pool.free_.pop_back();
}

StorePool::Lease::~Lease() {
  std::lock_guard lock(pool.mutex_);
  pool.free_.push_back(store);
}

void StorePool::close_idle() {
  const bool locks_held = locks_held_ > 0;
  {
    std::lock_guard lock(mutex_);
    for (SyncStore* store : free_) store->disconnect();
  }
  if (!locks_held) {
    std::lock_guard lock(lock_mutex_);
    lock_store_->disconnect();
  }
}

}  // namespace partnersync::sync
