#include "auth/mailer.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <istream>

#include "common/crypto.h"

namespace voxa::auth {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Mailer::Mailer(std::string smtpUrl, std::string from) : from_(std::move(from)) {
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

namespace {

// One SMTP exchange: send a line (unless empty), read the whole reply, check its code.
class Smtp {
public:
    explicit Smtp(tcp::socket& s) : s_(s) {}
    void step(const std::string& line, char expect) {
        if (!line.empty()) asio::write(s_, asio::buffer(line + "\r\n"));
        std::string reply;
        for (;;) {  // multi-line replies: "250-..." lines, then "250 ..."
            asio::read_until(s_, buf_, "\r\n");
            std::istream in(&buf_);
            std::getline(in, reply);
            if (reply.size() < 4 || reply[3] != '-') break;
        }
        if (reply.empty() || reply[0] != expect)
            throw std::runtime_error("SMTP server answered '" + reply + "' to '" +
                                     line.substr(0, line.find(' ')) + "'");
    }

private:
    tcp::socket& s_;
    asio::streambuf buf_;
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
        asio::io_context io;
        tcp::socket socket(io);
        // --smtp-url is the operator's: not held to the egress policy (net/egress.h).
        asio::connect(socket, tcp::resolver(io).resolve(host_, port_));
        timeval tv{10, 0};
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        Smtp smtp(socket);
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
