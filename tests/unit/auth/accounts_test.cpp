// Accounts on every store backend: registration, sign-in and its limiter, sessions,
// password reset, invitations and the owner rules. The clock is the test's.
#include "auth/accounts.h"

#include <gtest/gtest.h>

#include "../store/store_fixture.h"
#include "auth/jwt.h"

namespace voxa::auth {
namespace {

using store::test::StoreTest;

class AccountsTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        if (IsSkipped()) return;
        auth_ = std::make_unique<Auth>(*store_);
        accounts_ = std::make_unique<Accounts>(
            *store_, *auth_,
            AccountsOptions{.publicUrl = "https://voxa.test",
                            .registration = RegistrationMode::Open,
                            .clock = [this] { return now_; }});
    }

    // Expects `f` to throw AccountError with `status`; returns its first message.
    template <class F>
    std::string failure(int status, F f) {
        try {
            f();
        } catch (const AccountError& e) {
            EXPECT_EQ(e.status, status) << e.what();
            return e.messages.empty() ? "" : e.messages.front();
        }
        ADD_FAILURE() << "no AccountError";
        return "";
    }

    Principal principal(const SessionInfo& s) {
        auto p = accounts_->lookup(s.token);
        EXPECT_TRUE(p);
        return p.value_or(Principal{});
    }

    SessionInfo owner() {
        return accounts_->registerUser({.email = "Ada@Example.com", .password = "correct horse 42",
                                        .name = "Ada", .orgName = "Acme"});
    }

    int64_t now_ = 1'800'000'000'000;
    std::unique_ptr<Auth> auth_;
    std::unique_ptr<Accounts> accounts_;
    static constexpr int64_t kMinute = 60'000;
};

TEST_P(AccountsTest, RegisteringCreatesAnOrgWithItsOwnerAndASession) {
    auto s = owner();
    EXPECT_EQ(s.user.email, "ada@example.com");
    EXPECT_EQ(s.role, Role::Owner);
    EXPECT_EQ(s.orgName, "Acme");
    EXPECT_EQ(store_->listKeys(s.session.orgId).size(), 2u);  // the org's default keys
    auto p = principal(s);
    EXPECT_EQ(p.orgId, s.session.orgId);
    EXPECT_EQ(p.role, Role::Owner);
    EXPECT_TRUE(p.isPrivate());
    EXPECT_NE(accounts_->cookie(s.token).find("HttpOnly; SameSite=Strict"), std::string::npos);
    EXPECT_NE(accounts_->cookie(s.token).find("; Secure"), std::string::npos);  // https public URL
}

TEST_P(AccountsTest, RefusesDuplicateEmailsWeakPasswordsAndBadEmails) {
    owner();
    EXPECT_EQ(failure(409, [&] { accounts_->registerUser({.email = " ADA@example.com", .password = "another one 99"}); }),
              "An account with this email already exists");
    EXPECT_EQ(failure(400, [&] { accounts_->registerUser({.email = "bob@example.com", .password = "password"}); }),
              "password must be at least 10 characters long");
    EXPECT_EQ(failure(400, [&] { accounts_->registerUser({.email = "not-an-email", .password = "correct horse 42"}); }),
              "email must be an email");
}

TEST_P(AccountsTest, SignInFailuresSlowTheAddressDownWithoutLockingTheOwnerOut) {
    owner();
    EXPECT_EQ(principal(accounts_->login("ada@example.com", "correct horse 42", "ip")).role, Role::Owner);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(failure(401, [&] { accounts_->login("ada@example.com", "wrong horse 42", "ip"); }),
                  "Invalid email or password");
    EXPECT_EQ(failure(401, [&] { accounts_->login("nobody@example.com", "wrong horse 42", "ip2"); }),
              "Invalid email or password");
    // That address waits a second, even with the right password...
    EXPECT_NE(failure(429, [&] { accounts_->login("ada@example.com", "correct horse 42", "ip"); })
                  .find("Try again in 1 seconds"),
              std::string::npos);
    // ...while the owner signs in from another address at once,
    EXPECT_NO_THROW(accounts_->login("ada@example.com", "correct horse 42", "home"));
    // and from the same one after the delay.
    now_ += 1000;
    EXPECT_NO_THROW(accounts_->login("ada@example.com", "correct horse 42", "ip"));
}

TEST_P(AccountsTest, RegistrationModesDecideWhoMayJoin) {
    auto ada = principal(owner());
    auto inv = accounts_->invite(ada, "bob@example.com", "member");
    auto make = [&](RegistrationMode m) {
        return std::make_unique<Accounts>(*store_, *auth_,
                                          AccountsOptions{.registration = m, .clock = [this] { return now_; }});
    };
    auto invite = make(RegistrationMode::Invite);
    EXPECT_EQ(failure(403, [&] { invite->registerUser({.email = "eve@example.com", .password = "correct horse 42"}); }),
              "Registration on this server needs an invitation");
    auto closed = make(RegistrationMode::Closed);
    EXPECT_EQ(failure(403, [&] {
                  closed->registerUser({.email = "bob@example.com", .password = "correct horse 42",
                                        .inviteToken = inv.secret});
              }),
              "Registration is closed on this server");
    EXPECT_EQ(invite->registerUser({.email = "bob@example.com", .password = "correct horse 42",
                                    .inviteToken = inv.secret})
                  .session.orgId,
              ada.orgId);
    EXPECT_FALSE(store_->findUserByEmail("eve@example.com"));  // refusals create nothing
    EXPECT_EQ(parseRegistrationMode("closed"), RegistrationMode::Closed);
    EXPECT_FALSE(parseRegistrationMode("anyone"));
}

TEST_P(AccountsTest, ForgedOrEndedSessionsAreRefused) {
    auto s = owner();
    auto claims = verifyJwt(s.token, "", 0);
    EXPECT_FALSE(claims);  // not with an empty key
    // Same claims, signed with a key that is not the server's.
    auto forged = signJwt({{"sub", s.user.id}, {"org", s.session.orgId}, {"sid", s.session.id},
                           {"exp", now_ / 1000 + 3600}}, "guess");
    EXPECT_FALSE(accounts_->lookup(forged));
    auto p = principal(s);
    accounts_->logout(p);
    EXPECT_FALSE(accounts_->lookup(s.token));
    // Expired: a new session, then the clock passes its 7 days.
    auto s2 = accounts_->login("ada@example.com", "correct horse 42", "ip");
    EXPECT_TRUE(accounts_->lookup(s2.token));
    now_ += 7LL * 24 * 60 * kMinute + 1;
    EXPECT_FALSE(accounts_->lookup(s2.token));
}

TEST_P(AccountsTest, PasswordResetTokensWorkOnceAndExpire) {
    auto s = owner();
    EXPECT_FALSE(accounts_->requestReset("nobody@example.com"));
    auto mail = accounts_->requestReset("ADA@example.com");
    ASSERT_TRUE(mail);
    EXPECT_EQ(mail->to, "ada@example.com");
    auto at = mail->body.find("https://voxa.test/reset-password/?token=");
    ASSERT_NE(at, std::string::npos);
    std::string token = mail->body.substr(at + 40, mail->body.find("\r\n", at) - at - 40);
    // A weak password is refused without using the token up.
    failure(400, [&] { accounts_->confirmReset(token, "weak"); });
    accounts_->confirmReset(token, "new horse 4242");
    EXPECT_FALSE(accounts_->lookup(s.token));  // every session ended
    EXPECT_EQ(failure(400, [&] { accounts_->confirmReset(token, "new horse 4243"); }),
              "Reset token is invalid or has expired");
    failure(401, [&] { accounts_->login("ada@example.com", "correct horse 42", "ip"); });
    EXPECT_NO_THROW(accounts_->login("ada@example.com", "new horse 4242", "ip"));

    auto late = accounts_->requestReset("ada@example.com");
    at = late->body.find("token=");
    std::string token2 = late->body.substr(at + 6, late->body.find("\r\n", at) - at - 6);
    now_ += 61 * kMinute;
    EXPECT_EQ(failure(400, [&] { accounts_->confirmReset(token2, "newer horse 4242"); }),
              "Reset token is invalid or has expired");
    EXPECT_EQ(failure(400, [&] { accounts_->confirmReset("forged", "newer horse 4242"); }),
              "Reset token is invalid or has expired");
}

TEST_P(AccountsTest, InvitationsAddAMemberWithTheirRoleOnce) {
    auto ada = principal(owner());
    auto inv = accounts_->invite(ada, "bob@example.com", "viewer");
    EXPECT_EQ(inv.url, "https://voxa.test/invite/?token=" + inv.secret);
    EXPECT_EQ(accounts_->invitations(ada.orgId).size(), 1u);
    EXPECT_EQ(accounts_->invitation(inv.secret).orgName, "Acme");
    EXPECT_EQ(failure(400, [&] {
                  accounts_->registerUser({.email = "eve@example.com", .password = "correct horse 42",
                                           .inviteToken = inv.secret});
              }),
              "This invitation was sent to another email address");
    auto bob = accounts_->registerUser(
        {.email = "bob@example.com", .password = "correct horse 42", .inviteToken = inv.secret});
    EXPECT_EQ(bob.role, Role::Viewer);
    EXPECT_EQ(bob.session.orgId, ada.orgId);
    EXPECT_TRUE(accounts_->invitations(ada.orgId).empty());
    failure(404, [&] { accounts_->invitation(inv.secret); });  // used
    failure(409, [&] { accounts_->invite(ada, "bob@example.com", "member"); });
    failure(400, [&] { accounts_->invite(ada, "carol@example.com", "superuser"); });
    // An existing user accepts an invitation to a second org.
    auto other = principal(accounts_->registerUser({.email = "olga@example.com",
                                                    .password = "correct horse 42", .orgName = "Other"}));
    auto inv2 = accounts_->invite(other, "bob@example.com", "member");
    auto moved = accounts_->acceptInvitation(principal(bob), inv2.secret);
    EXPECT_EQ(moved.session.orgId, other.orgId);
    EXPECT_EQ(moved.role, Role::Member);
    EXPECT_EQ(moved.orgs.size(), 2u);
    EXPECT_FALSE(accounts_->lookup(bob.token));  // the old session ended
    auto revoked = accounts_->invite(other, "zed@example.com", "viewer");
    EXPECT_TRUE(accounts_->revokeInvitation(other.orgId, revoked.token.id));
    failure(404, [&] { accounts_->invitation(revoked.secret); });
}

TEST_P(AccountsTest, OwnersAreProtectedAndRoleChangesApplyAtOnce) {
    auto ada = principal(owner());
    auto inv = accounts_->invite(ada, "bob@example.com", "admin");
    auto bobSession = accounts_->registerUser(
        {.email = "bob@example.com", .password = "correct horse 42", .inviteToken = inv.secret});
    auto bob = principal(bobSession);
    EXPECT_EQ(bob.role, Role::Admin);
    // The last owner can neither be demoted nor removed; an admin cannot touch owners.
    EXPECT_EQ(failure(400, [&] { accounts_->setRole(ada, ada.userId, "admin"); }),
              "An organization needs at least one owner");
    failure(403, [&] { accounts_->setRole(bob, ada.userId, "viewer"); });
    failure(403, [&] { accounts_->removeMember(bob, ada.userId); });
    failure(403, [&] { accounts_->invite(bob, "x@example.com", "owner"); });
    accounts_->setRole(ada, bob.userId, "viewer");
    EXPECT_EQ(accounts_->lookup(bobSession.token)->role, Role::Viewer);  // no stale cache
    accounts_->removeMember(ada, bob.userId);
    EXPECT_FALSE(accounts_->lookup(bobSession.token));
    failure(403, [&] { accounts_->login("bob@example.com", "correct horse 42", "ip"); });
    failure(404, [&] { accounts_->removeMember(ada, bob.userId); });
}

TEST_P(AccountsTest, OnAFreshInstallOnlyTheSetupLinkMakesTheFirstOwner) {
    auto loc = newLocation();
    auto fresh = openAt(loc);
    fresh->migrate();
    Auth auth(*fresh);
    auto bootstrapped = auth.createOrg("Default Org");  // what `voxa serve` makes and prints
    for (auto mode : {RegistrationMode::Open, RegistrationMode::Invite}) {
        Accounts accounts(*fresh, auth, {.publicUrl = "https://voxa.test", .registration = mode,
                                         .clock = [this] { return now_; }});
        // A stranger never lands in the bootstrapped org: refused, or an org of their own.
        if (mode == RegistrationMode::Invite) {
            failure(403, [&] { accounts.registerUser({.email = "eve@example.com", .password = "correct horse 42"}); });
        } else {
            auto eve = accounts.registerUser({.email = "eve@example.com", .password = "correct horse 42"});
            EXPECT_NE(eve.session.orgId, bootstrapped.org.id);
            EXPECT_EQ(eve.role, Role::Owner);
        }
    }
    EXPECT_TRUE(fresh->listMembers(bootstrapped.org.id).empty());

    Accounts accounts(*fresh, auth, {.publicUrl = "https://voxa.test",
                                     .registration = RegistrationMode::Closed,
                                     .clock = [this] { return now_; }});
    auto old = accounts.createSetupLink(bootstrapped.org.id);
    auto link = accounts.createSetupLink(bootstrapped.org.id);  // the old one stops working
    EXPECT_EQ(link.url, "https://voxa.test/register/?setup=" + link.secret);
    EXPECT_EQ(link.expiresMs, now_ + 24LL * 3600 * 1000);
    EXPECT_EQ(failure(400, [&] {
                  accounts.registerUser({.email = "ada@example.com", .password = "correct horse 42",
                                         .setupToken = old.secret});
              }),
              "Setup link is invalid, used or expired");
    failure(400, [&] {
        accounts.registerUser({.email = "ada@example.com", .password = "correct horse 42",
                               .setupToken = "x" + link.secret});
    });
    // Even with registration closed, the operator's link works, once.
    auto first = accounts.registerUser({.email = "ada@example.com", .password = "correct horse 42",
                                        .orgName = "Acme", .setupToken = link.secret});
    EXPECT_EQ(first.session.orgId, bootstrapped.org.id);
    EXPECT_EQ(first.role, Role::Owner);
    EXPECT_EQ(fresh->getOrg(bootstrapped.org.id)->name, "Acme");
    EXPECT_EQ(auth.lookup(bootstrapped.privateKey)->orgId, first.session.orgId);  // the printed key
    failure(400, [&] {
        accounts.registerUser({.email = "bob@example.com", .password = "correct horse 42",
                               .setupToken = link.secret});
    });
    // Expired links do not work either; unknown orgs get none.
    auto late = accounts.createSetupLink(bootstrapped.org.id);
    now_ += 24LL * 3600 * 1000 + 1;
    failure(400, [&] {
        accounts.registerUser({.email = "bob@example.com", .password = "correct horse 42",
                               .setupToken = late.secret});
    });
    failure(404, [&] { accounts.createSetupLink("00000000-0000-4000-8000-000000000000"); });
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsTest, VOXA_STORE_BACKENDS);

}  // namespace
}  // namespace voxa::auth
