// Affiliate license keys: the ordinal of a (creation time, e-mail) pair within one response,
// counted without allocating per row (tuned against tests/bench/parse_bench, see its README).
#include "connectors/livechat/affiliate_license_key.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace partnersync::connectors::livechat {
namespace {

// How often each key has been seen in one response: open addressing over an arena of the
// keys, reused from response to response, so counting a key allocates nothing. A slot is 8
// bytes (hash tag, entry index); the entries are only read when a tag matches.
class KeyCounts {
 public:
  void clear() {
    std::fill(slots_.begin(), slots_.end(), 0);
    entries_.clear();
    arena_.clear();
  }

  // The number of times `key` was seen before, counting this time.
  int next(std::string_view key) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t hash = std::hash<std::string_view>{}(key);
    const std::uint64_t tag = (hash >> 32) | 1;  // never 0: a 0 slot is empty
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint64_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = (tag << 32) | entries_.size();
        entries_.push_back(Entry{arena_.size(), key.size(), 1});
        arena_.append(key);
        return 0;
      }
      if ((slot >> 32) == tag) {
        Entry& e = entries_[slot & 0xffffffffu];
        if (std::string_view(arena_).substr(e.offset, e.length) == key) return e.count++;
      }
    }
  }

 private:
  struct Entry {
    std::size_t offset, length;
    int count;
  };

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 4096 : old.size() * 2, 0);
    const std::size_t mask = slots_.size() - 1;
    for (const std::uint64_t slot : old) {
      if (slot == 0) continue;
      const Entry& e = entries_[slot & 0xffffffffu];
      std::size_t i =
          std::hash<std::string_view>{}(std::string_view(arena_).substr(e.offset, e.length)) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<std::uint64_t> slots_;
  std::vector<Entry> entries_;
  std::string arena_;
};

// The n of affiliate license keys: how often a (creation time, e-mail) pair has been seen in
// one response. Responses list licenses in creation order (newest first in the documents'
// examples), so while the times keep one direction, a pair's earlier occurrences all lie in
// the current run of equal times, and counting looks at that run only: a few bytes that are
// in cache, where a hash table over the whole response costs a cache miss per record. A time
// that turns back, or a run longer than kRunLimit, moves every key seen so far into
// KeyCounts, which counts the rest of the response. The counts are exact in any order; only
// the cost depends on it.
class OrdinalCounter {
 public:
  void clear() {
    hashed_ = false;
    started_ = false;
    direction_ = 0;
    time_.clear();
    run_.clear();
    seen_.clear();
    seen_ends_.clear();
    table_.clear();
  }

  // `key` is `time` + "|" + the e-mail: what the table counts once hashed.
  int next(std::string_view time, std::string_view key) {
    if (!hashed_) {
      const int order = started_ ? time.compare(time_) : 1;
      if (order != 0) {
        if (started_) {
          const int direction = order < 0 ? -1 : 1;
          if (direction_ == 0) direction_ = direction;
          if (direction != direction_) return hash_all(key);
        }
        started_ = true;
        time_.assign(time);
        run_.clear();
      }
      for (auto& [offset, length, count] : run_) {
        if (std::string_view(seen_).substr(offset, length) == key) {
          remember(key);
          return count++;
        }
      }
      if (run_.size() == kRunLimit) return hash_all(key);
      run_.push_back(RunEntry{seen_.size(), key.size(), 1});
      remember(key);
      return 0;
    }
    return table_.next(key);
  }

 private:
  static constexpr std::size_t kRunLimit = 16;
  struct RunEntry {
    std::size_t offset, length;
    int count;
  };

  void remember(std::string_view key) {
    seen_.append(key);
    seen_ends_.push_back(seen_.size());
  }

  int hash_all(std::string_view key) {
    hashed_ = true;
    std::size_t begin = 0;
    for (const std::size_t end : seen_ends_) {
      table_.next(std::string_view(seen_).substr(begin, end - begin));
      begin = end;
    }
    seen_.clear();
    seen_ends_.clear();
    return table_.next(key);
  }

  bool hashed_ = false;
  bool started_ = false;
  int direction_ = 0;  // of the times: -1 newest first (as the documents' examples), 1 oldest
  std::string time_;
  std::vector<RunEntry> run_;
  std::string seen_;                    // every key counted while not hashed, in order
  std::vector<std::size_t> seen_ends_;  // where each ends in seen_
  KeyCounts table_;
};

class AffiliateLicenseKey final : public model::KeyDeriver {
 public:
  void start() override { ordinals_.clear(); }

  std::string_view derive(std::span<const std::string_view> inputs) override {
    const std::string_view time = inputs[0], email = inputs[1];
    key_.clear();
    key_.append(time);
    key_.push_back('|');
    key_.append(email);
    const int n = ordinals_.next(std::string_view(key_).substr(0, time.size()), key_);
    char digits[16];
    const auto written = std::to_chars(digits, digits + sizeof digits, n).ptr;
    key_.push_back('|');
    key_.append(digits, written);
    return key_;
  }

 private:
  OrdinalCounter ordinals_;
  std::string key_;
};

}  // namespace

model::KeyDerivation affiliate_license_key() {
  model::KeyDerivation d;
  d.name = "affiliate_license_key";
  d.inputs = {"created_at", "client_email"};
  d.make = []() -> std::unique_ptr<model::KeyDeriver> {
    return std::make_unique<AffiliateLicenseKey>();
  };
  return d;
}

model::KeyDerivation expert_comment_key() {
  model::KeyDerivation d;
  d.name = "expert_comment_key";
  d.inputs = {"created_at", "author"};
  d.make = []() -> std::unique_ptr<model::KeyDeriver> {
    return std::make_unique<AffiliateLicenseKey>();  // the same "<time>|<text>|<n>" counting
  };
  return d;
}

}  // namespace partnersync::connectors::livechat
