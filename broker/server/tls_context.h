#pragma once
// The server-side TLS context that both of symphonyd's ports share (docs/tls.md). Built once at
// start-up, before anything is served, so a bad certificate stops symphonyd with a clear message.
//
// Thread-safety: the context is immutable once built; connections only reference it.
#include <memory>

#include "broker/server/asio.h"

#include <boost/asio/ssl.hpp>

#include "broker/server/server.h"

namespace symphony::server {

/// TLS 1.2 or later, no compression. With `tls.client_ca_file`, every client must present a
/// certificate that CA signed (mutual TLS). Throws std::runtime_error naming the file that is
/// missing or not usable (certificate, key, key not matching the certificate, CA bundle).
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsOptions& tls);

}  // namespace symphony::server
