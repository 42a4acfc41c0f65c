// Field paths: the '/'-separated, '|'-alternative paths of a stream's json columns as one tree,
// matched against a record's keys as they stand in the JSON text (no unescaping, no copy).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::sync {

// A field path segment and the columns that read it. '|' alternatives in a ColumnSpec path
// ("commission_total|commission") become several leaves of one column; the lowest priority
// number present wins.
struct PathNode {
  std::string name;
  std::vector<std::pair<int, int>> leaves;  // (column index, priority)
  std::vector<PathNode> children;

  PathNode& child(std::string_view segment) {
    for (auto& c : children)
      if (c.name == segment) return c;
    children.emplace_back().name = std::string(segment);
    return children.back();
  }
  // Records of one response list their fields in the same order, so the search starts
  // where the previous match ended and usually succeeds at once.
  const PathNode* find(std::string_view segment) const {
    const std::size_t n = children.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = hint + k < n ? hint + k : hint + k - n;
      const std::string& name = children[i].name;
      if (name.size() == segment.size() &&
          std::memcmp(name.data(), segment.data(), segment.size()) == 0) {
        hint = i + 1 < n ? i + 1 : 0;
        return &children[i];
      }
    }
    return nullptr;
  }
  // The same on a key as it stands in the JSON text (`raw` points after the opening quote),
  // as simdjson's own find_field compares: no unescaping, so no copy. Names are plain
  // identifiers; a key written with escapes is matched by find() after unescaping.
  const PathNode* find_raw(const char* raw) const {
    const std::size_t n = children.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = hint + k < n ? hint + k : hint + k - n;
      if (children[i].is_key(raw)) {
        hint = i + 1 < n ? i + 1 : 0;
        return &children[i];
      }
    }
    return nullptr;
  }

  // `name` and its closing quote as 8-byte words, so that a key compares in two or three
  // loads. The body has simdjson's 64 bytes of padding, so reading a word past a shorter key
  // stays inside the buffer.
  static constexpr std::size_t kWords = 4;
  std::array<std::uint64_t, kWords> words{};
  std::uint64_t last_mask = 0;
  std::size_t word_count = 0;  // 0: name too long, compared byte by byte

  void prepare() {
    const std::size_t length = name.size() + 1;  // with the quote
    if (length <= kWords * 8) {
      std::array<char, kWords * 8> text{};
      std::memcpy(text.data(), name.data(), name.size());
      text[name.size()] = '"';
      word_count = (length + 7) / 8;
      std::memcpy(words.data(), text.data(), word_count * 8);
      std::array<unsigned char, 8> mask{};  // the bytes of the last word that are the name's
      std::fill_n(mask.begin(), length - (word_count - 1) * 8, 0xff);
      std::memcpy(&last_mask, mask.data(), 8);
    }
    for (auto& c : children) c.prepare();
  }

  bool is_key(const char* raw) const {
    if (word_count == 0) {
      std::size_t j = 0;
      while (j < name.size() && raw[j] == name[j]) ++j;
      return j == name.size() && raw[j] == '"';
    }
    std::uint64_t v;
    for (std::size_t w = 0; w + 1 < word_count; ++w) {
      std::memcpy(&v, raw + 8 * w, 8);
      if (v != words[w]) return false;
    }
    std::memcpy(&v, raw + 8 * (word_count - 1), 8);
    return (v & last_mask) == words[word_count - 1];
  }
  mutable std::size_t hint = 0;
};

// The tree of every Origin::json column's paths; leaves name the column index and the
// alternative's priority (0 for the first).
PathNode build_paths(const std::vector<model::ColumnSpec>& columns);

}  // namespace partnersync::sync
