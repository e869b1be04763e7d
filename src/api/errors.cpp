#include "api/errors.h"

#include <boost/json.hpp>

namespace voxa::api {

namespace json = boost::json;

ApiError::ApiError(int status, std::string message)
    : std::runtime_error(message), status_(status), messages_{std::move(message)}, list_(false) {}

ApiError::ApiError(int status, std::vector<std::string> messages)
    : std::runtime_error(messages.empty() ? "error" : messages.front()),
      status_(status),
      messages_(std::move(messages)),
      list_(true) {}

const char* reasonPhrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 402: return "Payment Required";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Error";
    }
}

net::HttpResponse ApiError::toResponse() const {
    json::object body;
    if (list_) {
        json::array arr;
        for (auto& m : messages_) arr.emplace_back(m);
        body["message"] = std::move(arr);
    } else {
        body["message"] = messages_.empty() ? std::string() : messages_.front();
    }
    body["error"] = reasonPhrase(status_);
    body["statusCode"] = status_;
    for (auto& kv : extra_) body[kv.key()] = kv.value();
    auto res = net::HttpResponse::json(status_, json::serialize(body));
    res.headers = headers_;
    return res;
}

}  // namespace voxa::api
