// ApiError: the one place where failures become Vapi's (NestJS) error body.
//
//   throw ApiError::notFound("Couldn't Get Assistant. Assistant Not Found");
//   throw ApiError::badRequest(std::vector<std::string>{"property foo should not exist"});
//   ...
//   catch (const ApiError& e) { return e.toResponse(); }
//   // -> 404 {"message":"...","error":"Not Found","statusCode":404}
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "net/http.h"

namespace voxa::api {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string message);
    ApiError(int status, std::vector<std::string> messages);

    static ApiError badRequest(std::string m) { return {400, std::move(m)}; }
    static ApiError badRequest(std::vector<std::string> m) { return {400, std::move(m)}; }
    static ApiError unauthorized(std::string m = "Unauthorized") { return {401, std::move(m)}; }
    static ApiError forbidden(std::string m = "Forbidden resource") { return {403, std::move(m)}; }
    static ApiError notFound(std::string m = "Not Found") { return {404, std::move(m)}; }
    static ApiError conflict(std::string m) { return {409, std::move(m)}; }
    static ApiError tooLarge(std::string m = "request entity too large") { return {413, std::move(m)}; }
    static ApiError internal(std::string m = "Internal server error") { return {500, std::move(m)}; }

    int status() const { return status_; }
    const std::vector<std::string>& messages() const { return messages_; }
    bool isList() const { return list_; }
    net::HttpResponse toResponse() const;
    /// Extra response headers (e.g. Retry-After on 429).
    ApiError& withHeader(std::string name, std::string value) {
        headers_.push_back({std::move(name), std::move(value)});
        return *this;
    }
    /// An extra field of the body (e.g. subscriptionLimits of a call over the limit).
    ApiError& withField(std::string_view name, boost::json::value value) {
        extra_[name] = std::move(value);
        return *this;
    }

private:
    std::vector<net::Header> headers_;
    boost::json::object extra_;
    int status_;
    std::vector<std::string> messages_;
    bool list_;
};

/// The HTTP reason phrase NestJS puts in "error" ("Bad Request", "Not Found", ...).
const char* reasonPhrase(int status);

}  // namespace voxa::api
