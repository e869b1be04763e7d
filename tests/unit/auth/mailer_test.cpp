// The mailer against a minimal SMTP server on loopback: the dialogue, AUTH PLAIN, the
// message with dot-stuffing, and a refusal that is reported, not thrown.
#include "auth/mailer.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <istream>
#include <thread>

#include "common/crypto.h"

namespace voxa::auth {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts one connection, answers like an SMTP server and records every line it reads.
class FakeSmtp {
public:
    explicit FakeSmtp(bool refuseRecipient = false)
        : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), refuse_(refuseRecipient) {
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeSmtp() { thread_.join(); }
    uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::vector<std::string> lines;  // read after the destructor has joined

private:
    void serve() {
        tcp::socket s(io_);
        acceptor_.accept(s);
        asio::streambuf buf;
        auto say = [&](const std::string& l) { asio::write(s, asio::buffer(l + "\r\n")); };
        say("220 fake ESMTP");
        bool data = false;
        for (;;) {
            boost::system::error_code ec;
            asio::read_until(s, buf, "\r\n", ec);
            if (ec) return;
            std::istream in(&buf);
            std::string line;
            std::getline(in, line);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            lines.push_back(line);
            if (data) {
                if (line == ".") data = false, say("250 queued");
                continue;
            }
            if (line.starts_with("EHLO")) say("250-fake\r\n250 AUTH PLAIN");
            else if (line.starts_with("RCPT") && refuse_) say("550 no such user");
            else if (line == "DATA") data = true, say("354 go ahead");
            else if (line == "QUIT") return say("221 bye");
            else say(line.starts_with("AUTH") ? "235 ok" : "250 ok");
        }
    }
    asio::io_context io_;
    tcp::acceptor acceptor_;
    bool refuse_;
    std::thread thread_;
};

TEST(Mailer, SpeaksSmtpWithAuthAndDotStuffing) {
    std::vector<std::string> lines;
    {
        FakeSmtp smtp;
        Mailer m("smtp://voxa:s3cret@127.0.0.1:" + std::to_string(smtp.port()), "noreply@voxa.test");
        ASSERT_TRUE(m.configured());
        EXPECT_TRUE(m.send({"ada@example.com", "Reset", "line one\r\n.starts with a dot\r\n"}));
        smtp.lines.swap(lines);  // FakeSmtp joined its thread once send() saw QUIT answered
    }
    auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
    EXPECT_TRUE(has("AUTH PLAIN " + base64Encode(std::string("\0voxa\0s3cret", 12))));
    EXPECT_TRUE(has("MAIL FROM:<noreply@voxa.test>"));
    EXPECT_TRUE(has("RCPT TO:<ada@example.com>"));
    EXPECT_TRUE(has("Subject: Reset"));
    EXPECT_TRUE(has("..starts with a dot"));
    EXPECT_TRUE(has("QUIT"));
}

TEST(Mailer, ARefusalIsReportedNotThrown) {
    FakeSmtp smtp(true);
    Mailer m("smtp://127.0.0.1:" + std::to_string(smtp.port()), "noreply@voxa.test");
    EXPECT_FALSE(m.send({"nobody@example.com", "Reset", "x"}));
}

TEST(Mailer, WithoutAServerTheMailGoesToTheLog) {
    Mailer m("", "noreply@voxa.test");
    EXPECT_FALSE(m.configured());
    EXPECT_FALSE(m.send({"ada@example.com", "Reset", "x"}));
}

}  // namespace
}  // namespace voxa::auth
