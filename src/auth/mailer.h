// Mailer: sends a plain-text mail through an SMTP server, or writes it to the log when no
// server is configured (a fresh install can still reset passwords: the link is in the log).
//
//   voxa::auth::Mailer mailer("smtp://user:pass@127.0.0.1:2525", "voxa@example.com");
//   mailer.send({.to = "ada@example.com", .subject = "...", .body = "..."});  // blocking
//
// SMTP without TLS (a local relay or a test sink), AUTH PLAIN when the URL has a user.
// Failures are logged, not thrown: a mail must never fail the request that caused it.
#pragma once
#include <string>

#include "auth/accounts.h"

namespace voxa::auth {

class Mailer {
public:
    Mailer(std::string smtpUrl, std::string from);
    /// Blocking (network, up to ~10 s per step). True if the server accepted the mail.
    bool send(const Mail& m) const;
    bool configured() const { return !host_.empty(); }

private:
    std::string host_, port_ = "25", user_, password_, from_;
};

}  // namespace voxa::auth
