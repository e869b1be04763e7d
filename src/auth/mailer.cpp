#include "auth/mailer.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <istream>
#include <optional>

#include "common/crypto.h"

namespace voxa::auth {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Mailer::Mailer(std::string smtpUrl, std::string from, Limits limits)
    : from_(std::move(from)), limits_(limits), worker_(1, std::max<size_t>(1, limits.maxPending), 0) {
    if (smtpUrl.empty()) return;
    auto u = boost::urls::parse_uri(smtpUrl);
    if (!u || u->scheme() != "smtp" || u->host().empty()) {
        spdlog::error("--smtp-url must look like smtp://[user:password@]host[:port]; mails go to the log");
        return;
    }
    host_ = std::string(u->host());
    if (u->has_port()) port_ = std::string(u->port());
    user_ = std::string(u->user());
    password_ = std::string(u->password());
}

Mailer::~Mailer() { stop(); }

void Mailer::stop() {
    stopping_ = true;
    worker_.join();
}

bool Mailer::post(Mail m) {
    std::string to = m.to, subject = m.subject;
    bool queued = !stopping_ && worker_.post([this, m = std::move(m)] {
        if (!stopping_) send(m);
    });
    if (!queued && stopping_)
        spdlog::error(R"({{"msg":"mail dropped: the server is stopping","subject":"{}","to":"{}"}})", subject, to);
    else if (!queued)
        spdlog::error(R"({{"msg":"mail dropped: {} mails are waiting for the SMTP server already","subject":"{}","to":"{}"}})",
                      limits_.maxPending, subject, to);
    return queued;
}

namespace {

// One SMTP conversation on a private io_context, run by the calling thread: every step is
// an asynchronous operation given at most its timeout (and never past the exchange's
// deadline, or a stop()), after which the socket is closed.
class Smtp {
public:
    Smtp(const Mailer::Limits& limits, const std::atomic<bool>& stopping)
        : limits_(limits), stopping_(stopping), deadline_(Clock::now() + limits.totalTimeout) {}

    void connect(const std::string& host, const std::string& port) {
        // Name resolution blocks this (the mailer's) thread; an IP literal does not resolve.
        auto endpoints = tcp::resolver(io_).resolve(host, port);
        await([&](auto handler) { asio::async_connect(socket_, endpoints, handler); },
              limits_.connectTimeout, "connect");
    }

    // Sends a line (unless empty), reads the whole reply, checks its code.
    void step(const std::string& line, char expect) {
        if (!line.empty()) {
            out_ = line + "\r\n";
            await([&](auto handler) { asio::async_write(socket_, asio::buffer(out_), handler); },
                  limits_.replyTimeout, "write");
        }
        std::string reply;
        for (;;) {  // multi-line replies: "250-..." lines, then "250 ..."
            await([&](auto handler) { asio::async_read_until(socket_, buf_, "\r\n", handler); },
                  limits_.replyTimeout, "reply");
            std::istream in(&buf_);
            std::getline(in, reply);
            if (reply.size() < 4 || reply[3] != '-') break;
        }
        if (reply.empty() || reply[0] != expect)
            throw std::runtime_error("SMTP server answered '" + reply + "' to '" +
                                     line.substr(0, line.find(' ')) + "'");
    }

private:
    template <class Start>
    void await(Start start, milliseconds limit, const char* what) {
        std::optional<boost::system::error_code> result;
        start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
        auto until = std::min(Clock::now() + limit, deadline_);
        io_.restart();
        while (!result && !stopping_.load() && Clock::now() < until)
            io_.run_one_for(std::min<Clock::duration>(until - Clock::now(), milliseconds(100)));
        if (!result) {
            boost::system::error_code ignored;
            socket_.close(ignored);  // the operation completes as aborted
            io_.restart();
            io_.run();
            if (stopping_.load()) throw std::runtime_error(std::string("stopped during ") + what);
            auto ms = std::chrono::duration_cast<milliseconds>(limit).count();
            throw std::runtime_error(std::string("no ") + what + " within " + std::to_string(ms) + " ms");
        }
        if (*result) throw boost::system::system_error(*result, what);
    }

    const Mailer::Limits& limits_;
    const std::atomic<bool>& stopping_;
    Clock::time_point deadline_;
    asio::io_context io_;
    tcp::socket socket_{io_};
    asio::streambuf buf_;
    std::string out_;
};

// RFC 5321 transparency: a line starting with '.' gets another one.
std::string dotStuff(const std::string& body) {
    std::string out;
    bool lineStart = true;
    for (char c : body) {
        if (lineStart && c == '.') out += '.';
        out += c;
        lineStart = c == '\n';
    }
    return out;
}

}  // namespace

bool Mailer::send(const Mail& m) const {
    if (!configured()) {
        spdlog::warn("no --smtp-url: mail to {} not sent. Subject: {}\n{}", m.to, m.subject, m.body);
        return false;
    }
    try {
        Smtp smtp(limits_, stopping_);
        // --smtp-url is the operator's: not held to the egress policy (net/egress.h).
        smtp.connect(host_, port_);
        smtp.step("", '2');
        smtp.step("EHLO voxa", '2');
        if (!user_.empty())
            smtp.step("AUTH PLAIN " + base64Encode(std::string(1, '\0') + user_ + '\0' + password_), '2');
        smtp.step("MAIL FROM:<" + from_ + ">", '2');
        smtp.step("RCPT TO:<" + m.to + ">", '2');
        smtp.step("DATA", '3');
        std::string msg = "From: Voxa <" + from_ + ">\r\nTo: <" + m.to + ">\r\nSubject: " +
                          m.subject + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
                          dotStuff(m.body) + "\r\n.";
        smtp.step(msg, '2');
        smtp.step("QUIT", '2');
        spdlog::info("mail \"{}\" sent to {}", m.subject, m.to);
        return true;
    } catch (const std::exception& e) {
        spdlog::error("mail \"{}\" to {} failed: {}", m.subject, m.to, e.what());
        return false;
    }
}

}  // namespace voxa::auth
