// Bounds the windows (and child batches) of all sources held between their fetch and their
// commit. Every source fetches sync.concurrency windows at once, but the database commits only
// database.connections of them at a time: with many sources the rest waited for a connection
// holding their bodies and rows, and the daemon's memory grew with the number of sources
// (issue 16: 100 sources, 143 MiB). A window waits here before it is fetched instead.
// Used on the io_context's thread only (one thread: no atomics).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <list>

namespace partnersync::sync {

class Cancellation;

class WindowGate {
 public:
  explicit WindowGate(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
  WindowGate(const WindowGate&) = delete;
  WindowGate& operator=(const WindowGate&) = delete;

  // A place, given back when it is destroyed.
  class Place {
   public:
    Place() = default;
    explicit Place(WindowGate* gate) : gate_(gate) {}
    Place(Place&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Place& operator=(Place&&) = delete;
    Place(const Place&) = delete;
    ~Place() {
      if (gate_ != nullptr) gate_->leave();
    }

   private:
    WindowGate* gate_ = nullptr;
  };

  // Waits for a place, first come first served. Throws SyncError(cancelled) when `cancel` fires
  // first.
  boost::asio::awaitable<Place> enter(Cancellation& cancel);
  std::size_t capacity() const { return capacity_; }
  std::size_t held() const { return held_; }

 private:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& ex)
        : timer(ex, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer timer;
    bool granted = false;
  };
  void leave();

  std::size_t capacity_;
  std::size_t held_ = 0;
  std::list<Waiter> waiting_;
};

}  // namespace partnersync::sync
