#include "providers/openai/sse.h"

namespace voxa::providers::openai {

bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
    if (overflow_) return false;
    if (!started_) {
        // The BOM may itself arrive split; wait until we can tell.
        std::string_view bom = "\xEF\xBB\xBF";
        std::string probe = line_ + std::string(bytes.substr(0, 3));
        if (probe.size() < 3 && bom.starts_with(probe)) {
            line_ = probe;
            return true;
        }
        started_ = true;
        if (probe.starts_with(bom)) {
            size_t fromBytes = 3 - line_.size();
            line_.clear();
            bytes.remove_prefix(fromBytes);
        }
    }
    size_t i = 0;
    while (i < bytes.size()) {
        if (afterCr_ && bytes[i] == '\n') {
            afterCr_ = false;
            ++i;
            continue;
        }
        afterCr_ = false;
        // Copy the run up to the next line break in one go.
        size_t brk = bytes.find_first_of("\r\n", i);
        size_t end = brk == std::string_view::npos ? bytes.size() : brk;
        if (line_.size() + (end - i) > maxBytes_) {
            overflow_ = true;
            line_.clear();
            current_ = {};
            return false;
        }
        line_.append(bytes.substr(i, end - i));
        if (brk == std::string_view::npos) break;
        afterCr_ = bytes[brk] == '\r';
        i = brk + 1;
        processLine(out);
        if (overflow_) return false;
    }
    return true;
}

void SseParser::finish(std::vector<SseEvent>& out) {
    if (overflow_) return;
    if (!started_) started_ = true;  // a lone partial BOM is just an odd line
    if (!line_.empty()) processLine(out);
    dispatch(out);
    afterCr_ = false;
}

void SseParser::processLine(std::vector<SseEvent>& out) {
    std::string_view line = line_;
    if (line.empty()) {
        dispatch(out);
    } else if (line.front() != ':') {  // ':' starts a comment (keep-alives)
        size_t colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value;
        if (colon != std::string_view::npos) {
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "data") {
            if (current_.data.size() + value.size() + 1 > maxBytes_) {
                overflow_ = true;
                current_ = {};
                hasData_ = false;
            } else {
                if (hasData_) current_.data.push_back('\n');
                current_.data.append(value);
                hasData_ = true;
            }
        } else if (field == "event") {
            current_.event = std::string(value);
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) lastId_ = std::string(value);
        }
        // "retry" and unknown fields are ignored, as the spec says.
    }
    line_.clear();
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
    // An event without data lines is not dispatched (spec), but its fields are reset.
    if (hasData_) {
        current_.id = lastId_;
        out.push_back(std::move(current_));
    }
    current_ = {};
    hasData_ = false;
}

}  // namespace voxa::providers::openai
