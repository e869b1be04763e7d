// HTTP types shared by the server (net/server.h) and the API layer, free of Beast.
//
//   asio::awaitable<HttpResponse> handle(HttpRequest& req) {
//       if (req.method == "GET" && req.path == "/health") co_return HttpResponse::json(200, "{}");
//       ...
//   }
//
// Keeping Beast out of this header keeps Beast's compile cost inside src/net/*.cpp.
#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace voxa::net {

struct Header {
    std::string name;  // lower-case for requests
    std::string value;
};

struct HttpRequest {
    std::string method;  // "GET", "POST", ...
    std::string target;  // raw request target: path + query
    std::string path;    // percent-decoded path, no query
    std::string query;   // raw query string, without '?'
    std::vector<Header> headers;
    std::string body;
    std::string remoteAddress;
    std::string requestId;  // X-Request-Id (incoming or generated)

    /// Case-insensitive header lookup; empty if absent.
    std::string_view header(std::string_view lowerName) const {
        for (auto& h : headers)
            if (h.name == lowerName) return h.value;
        return {};
    }
};

struct HttpResponse {
    int status = 200;
    std::string contentType = "application/json; charset=utf-8";
    std::vector<Header> headers;
    std::string body;
    /// If set, the server streams this file as the body (body is ignored).
    std::string filePath;

    static HttpResponse json(int status, std::string body) {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
    static HttpResponse text(int status, std::string body,
                             std::string type = "text/plain; charset=utf-8") {
        HttpResponse r;
        r.status = status;
        r.contentType = std::move(type);
        r.body = std::move(body);
        return r;
    }
};

using Handler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest&)>;

}  // namespace voxa::net
