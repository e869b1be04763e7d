// Internal to src/net: the TLS client context shared by fetch() and connectWebSocket().
// Certificates are verified against the system store (OpenSSL's default paths, which the
// SSL_CERT_FILE / SSL_CERT_DIR environment variables replace, e.g. for a private CA).
#pragma once
#include <boost/asio/ssl/context.hpp>

namespace voxa::net::detail {

boost::asio::ssl::context& clientTlsContext();

}  // namespace voxa::net::detail
