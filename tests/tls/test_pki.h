#pragma once
// Certificates made at test time with the OpenSSL C API (no `openssl` binary needed): a CA, a
// server certificate for 127.0.0.1 and localhost, a client certificate, both signed by the CA, and
// a second, unrelated CA with its own client certificate. EC P-256 keys, valid for one day.
#include <string>

namespace symphony::testing {

struct TestPki {
  std::string dir;  ///< holds every file below
  std::string ca_cert;
  std::string server_cert;  ///< SAN IP:127.0.0.1, DNS:localhost; signed by ca_cert
  std::string server_key;
  std::string client_cert;  ///< CN symphony-test-client; signed by ca_cert
  std::string client_key;
  std::string other_ca_cert;      ///< unrelated to ca_cert
  std::string other_client_cert;  ///< signed by other_ca_cert
  std::string other_client_key;
};

/// Writes the PEM files into `dir` (which must exist); throws std::runtime_error on failure.
TestPki make_test_pki(const std::string& dir);

}  // namespace symphony::testing
