// libFuzzer target: the multipart/form-data parser of POST /file (scripts/fuzz.sh builds and
// runs it), with the header helpers that turn a part into response headers.
//
// Input: the request's Content-Type up to the first '\n', the body after it. Any input must
// be parsed or refused without a crash, every part must point into the body, no part header
// may carry a control character (it would reach a response header), and what POST /file
// derives from a part (its media type, its Content-Disposition) must be a valid header value.
// Second property: the whole input, wrapped as the one file of a well-formed body, comes back
// byte for byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/multipart.h"
#include "net/headers.h"

namespace {

bool hasControl(std::string_view s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto nl = in.find('\n');
    std::string_view type = nl == std::string_view::npos ? in : in.substr(0, nl);
    // A copy of exactly the body's bytes, so ASan sees any read past its end.
    std::string body(nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1));
    if (auto parts = voxa::api::parseMultipart(type, body)) {
        for (auto& p : *parts) {
            if (p.data.data() < body.data() || p.data.data() + p.data.size() > body.data() + body.size())
                std::abort();
            if (hasControl(p.contentType)) std::abort();
            auto media = voxa::net::mediaTypeOr(p.contentType, "application/octet-stream");
            if (!voxa::net::validHeaderValue(media) || media.find('/') == std::string::npos) std::abort();
            if (!voxa::net::validHeaderValue(voxa::net::attachment(p.filename))) std::abort();
        }
    }

    static const std::string boundary = "voxaFuzzB0undary";
    if (in.find("\r\n--" + boundary) == std::string_view::npos) {
        std::string wrapped = "--" + boundary +
                              "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
                              "Content-Type: application/octet-stream\r\n\r\n" +
                              std::string(in) + "\r\n--" + boundary + "--\r\n";
        auto parts = voxa::api::parseMultipart("multipart/form-data; boundary=" + boundary, wrapped);
        if (!parts || parts->size() != 1 || (*parts)[0].data != in || (*parts)[0].filename != "f.bin")
            std::abort();
    }
    return 0;
}
