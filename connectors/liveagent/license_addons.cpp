// Stream license_addons: the add-ons of each license synced in the same run, with their
// validity, into liveagent.license_addons.
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

model::StreamSpec license_addons_stream() {
  model::StreamSpec s;
  s.name = "license_addons";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::per_parent;
  s.parent = "licenses";
  s.parent_key = "license_code";
  // 003 "Get license addons": the same add-on fields as an account's.
  s.endpoints = {
      liveagent_endpoint("/api/resellers/{reseller}/licenses/{parent}/addons", "addons")};
  s.table = "liveagent.license_addons";
  // The add-on's own license_code (one per purchase) beside the license it was requested for.
  s.key = {"source", "license_code", "addon_id", "addon_license_code"};
  s.columns = addon_columns("license_code", "addon_license_code");
  return s;
}

}  // namespace partnersync::connectors::liveagent
