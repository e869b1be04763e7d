// The mailer against a minimal SMTP server on loopback: the dialogue, AUTH PLAIN, the
// message with dot-stuffing, a refusal that is reported, not thrown, and a server that
// never answers.
#include "auth/mailer.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <istream>
#include <memory>
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

// #20 finding 9: a server that accepts and never answers costs one step's timeout, not a
// thread for ever; mails beyond maxPending are dropped at once; stop() cuts an exchange off.
class SilentSmtp {
public:
    SilentSmtp() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this] {
            for (;;) {
                auto s = std::make_shared<tcp::socket>(io_);
                boost::system::error_code ec;
                acceptor_.accept(*s, ec);
                if (ec) return;
                ++accepted;
                held_.push_back(s);  // open, silent
            }
        });
    }
    ~SilentSmtp() {
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept
        thread_.join();
    }
    uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::atomic<int> accepted{0};

private:
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::vector<std::shared_ptr<tcp::socket>> held_;
    std::thread thread_;
};

TEST(Mailer, ASilentServerTimesOutAndAFullQueueDropsAtOnce) {
    SilentSmtp smtp;
    Mailer::Limits limits{.connectTimeout = std::chrono::milliseconds(500),
                          .replyTimeout = std::chrono::milliseconds(300),
                          .totalTimeout = std::chrono::milliseconds(2000),
                          .maxPending = 2};
    Mailer m("smtp://127.0.0.1:" + std::to_string(smtp.port()), "noreply@voxa.test", limits);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(m.send({"ada@example.com", "Reset", "x"}));
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, std::chrono::milliseconds(250));
    EXPECT_LT(took, std::chrono::milliseconds(1500)) << "the greeting's timeout, not more";

    t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(m.post({"a@example.com", "Reset", "x"}));
    EXPECT_TRUE(m.post({"b@example.com", "Reset", "x"}));
    EXPECT_FALSE(m.post({"c@example.com", "Reset", "x"})) << "two are pending already";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100)) << "post never waits";
    for (int i = 0; i < 100 && smtp.accepted.load() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(smtp.accepted.load(), 2) << "the first queued mail is being sent";
    t0 = std::chrono::steady_clock::now();
    m.stop();  // cuts off the exchange in progress, drops the queued one
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
    EXPECT_EQ(smtp.accepted.load(), 2) << "the queued mail was dropped";
    EXPECT_FALSE(m.post({"d@example.com", "Reset", "x"})) << "stopped";
}

}  // namespace
}  // namespace voxa::auth
