// Mailer: sends a plain-text mail through an SMTP server, or writes it to the log when no
// server is configured (a fresh install can still reset passwords: the link is in the log).
//
//   voxa::auth::Mailer mailer("smtp://user:pass@127.0.0.1:2525", "voxa@example.com");
//   mailer.post({.to = "ada@example.com", .subject = "...", .body = "..."});  // returns at once
//   mailer.stop();                                                       // at shutdown
//
// SMTP without TLS (a local relay or a test sink), AUTH PLAIN when the URL has a user.
// Mails go out one at a time on the mailer's own thread (never the database pool), each
// step of the exchange within a timeout, so an SMTP server that accepts and then says
// nothing costs that thread a few seconds, not the API its workers. At most `maxPending`
// mails wait; more are dropped with an error in the log. Failures are logged, not thrown:
// a mail must never fail the request that caused it.
#pragma once
#include <atomic>
#include <chrono>
#include <string>

#include "auth/accounts.h"
#include "common/bounded_pool.h"

namespace voxa::auth {

class Mailer {
public:
    struct Limits {
        std::chrono::milliseconds connectTimeout{10'000};
        std::chrono::milliseconds replyTimeout{10'000};  // each reply of the server, each write
        std::chrono::milliseconds totalTimeout{60'000};  // one whole exchange
        size_t maxPending = 16;                          // mails queued or being sent
    };
    Mailer(std::string smtpUrl, std::string from) : Mailer(std::move(smtpUrl), std::move(from), Limits{}) {}
    Mailer(std::string smtpUrl, std::string from, Limits limits);
    ~Mailer();
    Mailer(const Mailer&) = delete;
    Mailer& operator=(const Mailer&) = delete;

    /// Queues the mail for the mailer's thread and returns at once. False (the mail dropped,
    /// an error logged) when maxPending mails are waiting already or the mailer is stopped.
    bool post(Mail m);
    /// Blocking, on the caller's thread, within the timeouts. True if the server accepted.
    bool send(const Mail& m) const;
    /// Drops the queued mails, ends the exchange in progress and joins the thread.
    void stop();
    bool configured() const { return !host_.empty(); }

private:
    std::string host_, port_ = "25", user_, password_, from_;
    Limits limits_;
    std::atomic<bool> stopping_{false};
    BoundedPool worker_;
};

}  // namespace voxa::auth
