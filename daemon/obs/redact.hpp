// The one redaction function every log line and error message goes through.
// Masks bearer tokens, apikey/token/password parameters, DSN passwords and registered secrets.
#pragma once

#include <string>
#include <string_view>

namespace partnersync::obs {

// Returns `text` with every secret replaced by "***".
std::string redact(std::string_view text);

// Registers a secret value (a token, an API key, a password) so that redact() masks it
// wherever it appears, even in places no pattern recognises. Values shorter than 4
// characters are ignored: masking them would garble ordinary text.
void register_secret(std::string_view value);

}  // namespace partnersync::obs
