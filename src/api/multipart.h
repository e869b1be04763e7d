// A small multipart/form-data parser (RFC 7578) for POST /file.
//
//   auto parts = parseMultipart(req.header("content-type"), req.body);   // nullopt on bad input
//   for (auto& p : *parts) if (p.name == "file") save(p.filename, p.data);
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::api {

struct MultipartPart {
    std::string name;         // form field name
    std::string filename;     // empty for plain fields
    std::string contentType;  // the part's Content-Type, if any
    std::string_view data;    // points into the request body
};

/// Returns nullopt if the content type has no boundary or the body is malformed (including a
/// part header line with a bare CR, LF or another control character).
std::optional<std::vector<MultipartPart>> parseMultipart(std::string_view contentType,
                                                         std::string_view body);

}  // namespace voxa::api
