// Builds the field path tree of a stream's columns once per parser.
#include "daemon/sync/field_paths.hpp"

namespace partnersync::sync {

PathNode build_paths(const std::vector<model::ColumnSpec>& columns) {
  PathNode root;
  for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
    const auto& c = columns[i];
    if (c.origin != model::Origin::json) continue;
    int priority = 0;
    std::string_view alternatives = c.path;
    while (!alternatives.empty()) {
      const auto bar = alternatives.find('|');
      std::string_view path = alternatives.substr(0, bar);
      PathNode* node = &root;
      while (!path.empty()) {
        const auto slash = path.find('/');
        node = &node->child(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
      }
      node->leaves.emplace_back(i, priority++);
      alternatives =
          bar == std::string_view::npos ? std::string_view{} : alternatives.substr(bar + 1);
    }
  }
  root.prepare();
  return root;
}

}  // namespace partnersync::sync
