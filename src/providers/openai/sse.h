// Incremental Server-Sent Events parser (the text/event-stream format of the WHATWG HTML
// spec): pure, no I/O, safe to feed arbitrary bytes split anywhere.
//
//   SseParser parser;
//   std::vector<SseEvent> events;
//   parser.feed(bytesFromTheSocket, events);   // appends every event completed so far
//   for (auto& e : events) if (e.isDone()) ...; else handle(e.data);
//   parser.finish(events);                     // at end of stream: flush an unterminated event
//
// Lines end with \n, \r\n or \r; `:` lines are comments; `data:` lines of one event are
// joined with \n; one space after the colon is dropped; a leading UTF-8 BOM is skipped.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::providers::openai {

struct SseEvent {
    std::string event;  // "event:" field, empty for the default "message"
    std::string data;
    std::string id;     // last "id:" seen so far in the stream

    /// OpenAI-style end-of-stream marker.
    bool isDone() const { return data == "[DONE]"; }
};

class SseParser {
public:
    /// `maxEventBytes` bounds memory held for one line or event, against a hostile server.
    explicit SseParser(size_t maxEventBytes = 4 * 1024 * 1024) : maxBytes_(maxEventBytes) {}

    /// Parses `bytes`, appending completed events to `out`. Returns false (and ignores all
    /// further input) once a line or event exceeded the size limit.
    bool feed(std::string_view bytes, std::vector<SseEvent>& out);
    /// End of stream. The spec drops an event without its closing blank line; we deliver it,
    /// since some servers end with "data: [DONE]\n" and nothing after.
    void finish(std::vector<SseEvent>& out);

    bool overflowed() const { return overflow_; }

private:
    void processLine(std::vector<SseEvent>& out);
    void dispatch(std::vector<SseEvent>& out);

    size_t maxBytes_;
    std::string line_;
    SseEvent current_;
    std::string lastId_;      // the spec's "last event ID": persists across events
    bool hasData_ = false;
    bool afterCr_ = false;    // last byte was \r: a following \n belongs to the same break
    bool started_ = false;    // BOM check done
    bool overflow_ = false;
};

}  // namespace voxa::providers::openai
