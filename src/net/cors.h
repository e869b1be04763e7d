// CorsPolicy: which browser origins may call the server, and whether with the session cookie.
//
//   net::CorsPolicy cors("*", "https://voxa.example.com");   // --cors-origins, --public-url
//   cors.grant("https://voxa.example.com")   // {"https://voxa.example.com", credentials=true}
//   cors.grant("https://shop.example")       // {"*", credentials=false}: bearer keys only
//   cors.grant("https://shop.example", "/sdk/voxa-web.js")  // {"*", false} whatever is configured
//   cors.trustedSource(req)                  // may this browser request use the cookie?
//
// Credentialed CORS (the cookie, Access-Control-Allow-Credentials) is for the public URL's
// origin and the origins listed in --cors-origins; the entry "*" lets every other origin call
// the API with a key (Authorization: Bearer) but never with the cookie. trustedSource() is the
// CSRF check for cookie-authenticated changes: the request's Origin (or, when a browser sent
// none, Sec-Fetch-Site, then Referer) must be an allowed origin or the page's own origin.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace voxa::net {

class CorsPolicy {
public:
    /// Any origin may use keys; none may use the cookie (tests, servers without a public URL).
    CorsPolicy() = default;
    /// `configured`: comma-separated origins and/or "*". Throws std::invalid_argument on an
    /// entry that is not an origin (scheme://host[:port], no path). A `publicUrl` that has no
    /// origin is ignored.
    CorsPolicy(std::string_view configured, std::string_view publicUrl);

    struct Grant {
        std::string allowOrigin;   // Access-Control-Allow-Origin ("" = no CORS headers)
        bool credentials = false;  // Access-Control-Allow-Credentials: true
    };
    Grant grant(std::string_view origin) const;
    /// The same for a request to `path`: the browser SDK's files (/sdk/...) and POST /call/web
    /// are for every website that embeds an assistant, so they get "*" (never the cookie)
    /// whatever --cors-origins lists.
    Grant grant(std::string_view origin, std::string_view path) const;

    /// The origin may send the cookie (public URL's origin or a configured one).
    bool credentialed(std::string_view origin) const;

    /// Whether a browser request may act with the session cookie: its Origin is credentialed
    /// or the page's own (same scheme as the public URL, host[:port] equal to Host); without
    /// Origin, Sec-Fetch-Site must be same-origin/none, or the Referer's origin must pass the
    /// same test. A request with none of the three is not from a browser and passes.
    bool trustedSource(const HttpRequest& req) const;

    /// "scheme://host[:port]" of an http(s) URL, lower-cased, default port dropped; nullopt
    /// for anything else (including the "null" origin).
    static std::optional<std::string> originOf(std::string_view url);

private:
    bool ownOrigin(std::string_view origin, std::string_view host) const;
    bool allowedOrigin(std::string_view origin, std::string_view host) const;

    std::vector<std::string> origins_;  // credentialed, normalized
    bool anyOrigin_ = true;             // "*": bearer-only CORS for every other origin
    std::string publicScheme_ = "http";
};

/// POST, PUT, PATCH, DELETE (anything but GET, HEAD, OPTIONS): a state change.
bool unsafeMethod(std::string_view method);

}  // namespace voxa::net
