// Removes named members from JSON text before anything reads or stores it: a credential that
// upstream puts inside records (LiveAgent helpdesk authtoken) never reaches raw, a log or
// sync.quarantine. Part of ps_parse; standard library only.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace partnersync::sync {

// Removes every member `"<name>": <value>` (at any depth) whose key is one of `names`, with
// one adjacent comma, in place. Works on the text's tokens, so a body that is not valid JSON
// loses those members too (what a quarantined body keeps). Returns the members removed.
std::size_t remove_members(std::string& json, std::span<const std::string> names);

}  // namespace partnersync::sync
