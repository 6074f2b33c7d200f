#include "broker/server/tls_context.h"

#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace symphony::server {

namespace ssl = boost::asio::ssl;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& file,
                       const boost::system::error_code& ec) {
  // OpenSSL 3 reports a file it cannot open as a bare "asio.ssl error": errno says why
  std::string why = ec.message();
  if (FILE* f = std::fopen(file.c_str(), "r")) {
    std::fclose(f);
  } else {
    why = std::strerror(errno);
  }
  throw std::runtime_error("tls: cannot load " + what + " '" + file + "': " + why);
}

}  // namespace

std::unique_ptr<ssl::context> make_server_tls_context(const TlsOptions& tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.0/1.1 are deprecated (RFC 8996); compression invites CRIME-style attacks
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);

  boost::system::error_code ec;
  ctx->use_certificate_chain_file(tls.cert_file, ec);
  if (ec) fail("certificate chain (tls.cert)", tls.cert_file, ec);
  // also checks that the key is the certificate's ("key values mismatch")
  ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
  if (ec) fail("private key (tls.key)", tls.key_file, ec);

  if (!tls.client_ca_file.empty()) {
    ctx->load_verify_file(tls.client_ca_file, ec);
    if (ec) fail("client CA bundle (tls.client_ca)", tls.client_ca_file, ec);
    // advertise the accepted issuers, so a client holding several certificates picks the right one
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    // without a session id context, OpenSSL refuses to resume sessions of verified clients
    static constexpr unsigned char kSessionContext[] = "symphonyd";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  }
  return ctx;
}

}  // namespace symphony::server
