// Throwaway certificate authority for the simulator: a CA and a server certificate it signs,
// generated in memory with OpenSSL so tests never depend on files or the `openssl` command.
#pragma once

#include <string>

namespace partnersync::sim {

struct TlsMaterial {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
};

// EC P-256 keys, valid from an hour ago for 30 days. The server certificate's SAN holds
// DNS:hostname, IP:127.0.0.1 and IP:::1, or only DNS:hostname when `hostname_only` (so that a
// client connecting to 127.0.0.1 must reject it). Throws std::runtime_error on OpenSSL failure.
TlsMaterial make_tls_material(const std::string& hostname, bool hostname_only);

}  // namespace partnersync::sim
