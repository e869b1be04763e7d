#include "common/log.h"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace voxa {

namespace {

void appendEscaped(std::string_view s, spdlog::memory_buf_t& dest) {
    static const char* hex = "0123456789abcdef";
    for (unsigned char c : s) {
        switch (c) {
            case '"': dest.append(std::string_view("\\\"")); break;
            case '\\': dest.append(std::string_view("\\\\")); break;
            case '\n': dest.append(std::string_view("\\n")); break;
            case '\r': dest.append(std::string_view("\\r")); break;
            case '\t': dest.append(std::string_view("\\t")); break;
            default:
                if (c < 0x20) {
                    char buf[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                    dest.append(buf, buf + 6);
                } else {
                    dest.push_back(static_cast<char>(c));
                }
        }
    }
}

// %* : the message as JSON fields. A message that is itself a JSON object ("{...}") is
// spliced in as-is; anything else becomes "msg":"<escaped text>".
class JsonFields final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        std::string_view p(msg.payload.data(), msg.payload.size());
        if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
            dest.append(p.substr(1, p.size() - 2));
        } else {
            dest.append(std::string_view("\"msg\":\""));
            appendEscaped(p, dest);
            dest.push_back('"');
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonFields>();
    }
};

}  // namespace

void initLogging(const std::string& level, bool async) {
    std::shared_ptr<spdlog::logger> logger;
    if (async) {
        if (!spdlog::thread_pool()) spdlog::init_thread_pool(8192, 1);
        spdlog::drop("voxa");
        logger = spdlog::create_async_nb<spdlog::sinks::stderr_sink_mt>("voxa");
    } else {
        logger = std::make_shared<spdlog::logger>(
            "voxa", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    }
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonFields>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%*})");
    logger->set_formatter(std::move(formatter));
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

void flushLogging() {
    if (auto l = spdlog::default_logger()) l->flush();
}

}  // namespace voxa
