#include "api/multipart.h"

#include <algorithm>
#include <cctype>

namespace voxa::api {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// Finds `key=value` or `key="value"` among ';'-separated header parameters.
std::optional<std::string> headerParam(std::string_view header, std::string_view key) {
    size_t i = 0;
    while (i < header.size()) {
        size_t semi = header.find(';', i);
        // a quoted value may contain ';'
        std::string_view part = header.substr(i, semi == std::string_view::npos ? semi : semi - i);
        size_t eq = part.find('=');
        if (eq != std::string_view::npos && lower(trim(part.substr(0, eq))) == key) {
            std::string_view rest = header.substr(i + eq + 1);
            rest = trim(rest);
            if (!rest.empty() && rest.front() == '"') {
                std::string v;
                for (size_t j = 1; j < rest.size(); ++j) {
                    if (rest[j] == '\\' && j + 1 < rest.size()) {
                        v.push_back(rest[++j]);
                    } else if (rest[j] == '"') {
                        return v;
                    } else {
                        v.push_back(rest[j]);
                    }
                }
                return std::nullopt;  // unterminated quote
            }
            size_t end = rest.find(';');
            return std::string(trim(rest.substr(0, end)));
        }
        if (semi == std::string_view::npos) break;
        i = semi + 1;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::vector<MultipartPart>> parseMultipart(std::string_view contentType,
                                                         std::string_view body) {
    if (!lower(contentType).starts_with("multipart/form-data")) return std::nullopt;
    auto boundary = headerParam(contentType, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 200) return std::nullopt;
    std::string delim = "--" + *boundary;
    std::vector<MultipartPart> parts;

    size_t pos = body.find(delim);
    if (pos == std::string_view::npos) return std::nullopt;
    pos += delim.size();
    for (;;) {
        if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
        if (body.substr(pos, 2) != "\r\n") return std::nullopt;
        pos += 2;
        size_t headersEnd = body.find("\r\n\r\n", pos);
        if (headersEnd == std::string_view::npos) return std::nullopt;
        MultipartPart part;
        std::string_view headers = body.substr(pos, headersEnd - pos);
        while (!headers.empty()) {
            size_t eol = headers.find("\r\n");
            std::string_view line = headers.substr(0, eol);
            // A bare CR or LF (or any control but HTAB) is not HTTP: refuse the body rather
            // than let a value carry a line break into a header we send later.
            if (std::any_of(line.begin(), line.end(), [](char c) {
                    auto u = static_cast<unsigned char>(c);
                    return (u < 0x20 && u != '\t') || u == 0x7f;
                }))
                return std::nullopt;
            size_t colon = line.find(':');
            if (colon != std::string_view::npos) {
                std::string name = lower(trim(line.substr(0, colon)));
                std::string_view value = trim(line.substr(colon + 1));
                if (name == "content-disposition") {
                    if (auto n = headerParam(value, "name")) part.name = *n;
                    if (auto f = headerParam(value, "filename")) part.filename = *f;
                } else if (name == "content-type") {
                    part.contentType = std::string(value);
                }
            }
            if (eol == std::string_view::npos) break;
            headers.remove_prefix(eol + 2);
        }
        size_t dataStart = headersEnd + 4;
        size_t next = body.find("\r\n" + delim, dataStart);
        if (next == std::string_view::npos) return std::nullopt;
        part.data = body.substr(dataStart, next - dataStart);
        parts.push_back(std::move(part));
        pos = next + 2 + delim.size();
    }
}

}  // namespace voxa::api
