#include "tests/tls/test_pki.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace symphony::testing {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const { X509_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

[[noreturn]] void fail(const std::string& what) {
  char detail[256];
  ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
  throw std::runtime_error("test PKI: " + what + ": " + detail);
}

Key make_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) fail("EC key generation");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) fail(std::string("extension ") + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct CertSpec {
  const char* common_name;
  long serial;
  bool ca = false;
  const char* subject_alt_name = nullptr;
  const char* extended_key_usage = nullptr;
};

/// Self-signed when `issuer` is null.
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  Cert cert(X509_new());
  if (!cert) fail("X509_new");
  X509* c = cert.get();
  X509_set_version(c, 2);  // v3, for the extensions
  ASN1_INTEGER_set(X509_get_serialNumber(c), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);  // tolerate a little clock skew
  X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
  X509_set_pubkey(c, key);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : c;
  X509_set_issuer_name(c, X509_get_subject_name(signer));
  add_ext(c, signer, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_ext(c, signer, NID_key_usage,
          spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_ext(c, signer, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(c, signer, NID_authority_key_identifier, "keyid");
  if (spec.subject_alt_name) add_ext(c, signer, NID_subject_alt_name, spec.subject_alt_name);
  if (spec.extended_key_usage) add_ext(c, signer, NID_ext_key_usage, spec.extended_key_usage);
  if (X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) == 0) fail("X509_sign");
  return cert;
}

void write_cert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("test PKI: cannot write " + path);
  const int ok = PEM_write_X509(f, cert);
  std::fclose(f);
  if (!ok) fail("PEM_write_X509 " + path);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("test PKI: cannot write " + path);
  const int ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  if (!ok) fail("PEM_write_PrivateKey " + path);
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
  TestPki p;
  p.dir = dir;
  p.ca_cert = dir + "/ca.pem";
  p.server_cert = dir + "/server.pem";
  p.server_key = dir + "/server.key";
  p.client_cert = dir + "/client.pem";
  p.client_key = dir + "/client.key";
  p.other_ca_cert = dir + "/other-ca.pem";
  p.other_client_cert = dir + "/other-client.pem";
  p.other_client_key = dir + "/other-client.key";

  const Key ca_key = make_key();
  const Cert ca = make_cert({"Symphony Test CA", 1, true}, ca_key.get(), nullptr, nullptr);
  const Key server_key = make_key();
  const Cert server = make_cert({"localhost", 2, false, "IP:127.0.0.1,DNS:localhost", "serverAuth"},
                                server_key.get(), ca.get(), ca_key.get());
  const Key client_key = make_key();
  const Cert client = make_cert({"symphony-test-client", 3, false, nullptr, "clientAuth"},
                                client_key.get(), ca.get(), ca_key.get());
  const Key other_ca_key = make_key();
  const Cert other_ca =
      make_cert({"Unrelated Test CA", 1, true}, other_ca_key.get(), nullptr, nullptr);
  const Key other_client_key = make_key();
  const Cert other_client = make_cert({"intruder", 2, false, nullptr, "clientAuth"},
                                      other_client_key.get(), other_ca.get(), other_ca_key.get());

  write_cert(p.ca_cert, ca.get());
  write_cert(p.server_cert, server.get());
  write_key(p.server_key, server_key.get());
  write_cert(p.client_cert, client.get());
  write_key(p.client_key, client_key.get());
  write_cert(p.other_ca_cert, other_ca.get());
  write_cert(p.other_client_cert, other_client.get());
  write_key(p.other_client_key, other_client_key.get());
  return p;
}

}  // namespace symphony::testing
