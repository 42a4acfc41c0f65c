// The documented LiveChat JSON examples in tests/fuzz/corpus (<stream>_<shape>.json), and the
// records and leaf field paths in them, for tests that hold the declarations against the docs.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors::testing {

struct CorpusFile {
  std::string name;  // file name without .json
  std::string body;
};

// Every corpus file whose name starts with "<stream>_".
std::vector<CorpusFile> corpus_for(const std::string& stream);

// The records of a body as the stream sees them: the "result" array's or the tier groups'
// elements, or the body itself (stats: split_license_stats' records), each as JSON text.
std::vector<std::string> records_of(const sync::StreamSpec& spec, const std::string& body);

// Leaf field paths of a record, nested objects joined with '/', e.g. "recurly/in_trial".
std::set<std::string> leaf_paths(const std::string& record);

// Every path alternative ('|'-separated) of the stream's json columns, its details' included.
std::vector<std::string> declared_paths(const sync::StreamSpec& spec);

}  // namespace partnersync::connectors::testing
