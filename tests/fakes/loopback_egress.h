// The in-process fakes (FakeOpenAiServer, webhook receivers) listen on loopback, which the
// egress policy (net/egress.h) refuses by default. A test that points the HTTP client at one
// opens loopback for as long as this object lives, and puts the default back afterwards:
//
//   TEST(OpenAiLlm, X) { fakes::LoopbackEgress egress; FakeOpenAiServer fake; ... }
//   class OutboxTest : public ::testing::Test { fakes::LoopbackEgress egress_; ... };
#pragma once
#include "net/egress.h"

namespace voxa::fakes {

struct LoopbackEgress {
    LoopbackEgress() {
        net::setEgressPolicy(net::EgressPolicy(net::parseCidrList("127.0.0.0/8,::1/128")));
    }
    ~LoopbackEgress() { net::setEgressPolicy(net::EgressPolicy()); }
    LoopbackEgress(const LoopbackEgress&) = delete;
    LoopbackEgress& operator=(const LoopbackEgress&) = delete;
};

}  // namespace voxa::fakes
