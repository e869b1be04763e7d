#include "net/egress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace voxa::net {
namespace {

using boost::asio::ip::make_address;

bool refused(const char* a) { return EgressPolicy::refusedByDefault(make_address(a)); }

std::string parseError(const std::string& text) {
    try {
        parseCidrList(text);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(accepted)";
}

// Each default-refused range with the first and last address inside it and the neighbours
// just outside (those are public, so permitted).
struct Boundary {
    const char* range;
    const char* firstInside;
    const char* lastInside;
    const char* justBefore;  // nullptr when the range starts the address space
    const char* justAfter;   // nullptr when the next range is refused too
};

const Boundary kV4[] = {
    {"0.0.0.0/8 this network", "0.0.0.0", "0.255.255.255", nullptr, "1.0.0.0"},
    {"10/8", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
    {"100.64/10 RFC 6598", "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"},
    {"127/8 loopback", "127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"},
    {"169.254/16 link-local", "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"},
    {"172.16/12", "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
    {"192.0.0/24 IETF", "192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"},
    {"192.168/16", "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"},
    {"198.18/15 benchmarking", "198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"},
    {"224/4 multicast", "224.0.0.0", "239.255.255.255", "223.255.255.255", nullptr},
    {"240/4 reserved + broadcast", "240.0.0.0", "255.255.255.255", nullptr, nullptr},
};

const Boundary kV6[] = {
    {"fc00::/7 ULA", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"},
    {"fe80::/10 link-local", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nullptr},
    {"fec0::/10 site-local", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nullptr, nullptr},
    {"ff00::/8 multicast", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nullptr /* fec0::/10 */, nullptr},
    {"64:ff9b:1::/48 local NAT64", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:0:ffff:ffff:ffff:ffff:ffff", "64:ff9b:2::"},
    {"2001::/32 Teredo", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:1::"},
    {"2001:db8::/32 documentation", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"},
};

void checkBoundaries(const Boundary& b) {
    SCOPED_TRACE(b.range);
    EXPECT_TRUE(refused(b.firstInside)) << b.firstInside;
    EXPECT_TRUE(refused(b.lastInside)) << b.lastInside;
    if (b.justBefore) EXPECT_FALSE(refused(b.justBefore)) << b.justBefore;
    if (b.justAfter) EXPECT_FALSE(refused(b.justAfter)) << b.justAfter;
}

TEST(EgressPolicy, RefusesEachDefaultIpv4RangeToItsBoundaries) {
    for (auto& b : kV4) checkBoundaries(b);
    EXPECT_TRUE(refused("169.254.169.254"));  // cloud metadata
    EXPECT_TRUE(refused("127.0.0.1"));
    EXPECT_TRUE(refused("0.0.0.0"));
}

TEST(EgressPolicy, RefusesEachDefaultIpv6RangeToItsBoundaries) {
    for (auto& b : kV6) checkBoundaries(b);
    EXPECT_TRUE(refused("::1"));
    EXPECT_TRUE(refused("::"));
    EXPECT_TRUE(refused("fe80::1"));
    EXPECT_TRUE(refused("fd00:ec2::254"));  // AWS metadata over IPv6
}

TEST(EgressPolicy, PermitsPublicAddresses) {
    for (const char* a : {"1.1.1.1", "8.8.8.8", "93.184.216.34", "100.63.255.255", "2606:4700::1111",
                          "2a00:1450:4001::200e"})
        EXPECT_FALSE(refused(a)) << a;
}

TEST(EgressPolicy, Ipv6FormsCarryingAnIpv4AddressAreJudgedByIt) {
    // IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64 and 6to4 forms of refused addresses.
    for (const char* a : {"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
                          "::ffff:0:127.0.0.1", "::ffff:0:192.168.1.1",
                          "::127.0.0.1", "::10.0.0.1", "::0.0.0.2", "::224.0.0.1",
                          "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::100.64.0.1",
                          "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:101:1::1",
                          "2002::"})
        EXPECT_TRUE(refused(a)) << a;
    // ... and of public addresses.
    for (const char* a : {"::ffff:8.8.8.8", "::ffff:0:8.8.8.8", "::8.8.8.8", "64:ff9b::8.8.8.8",
                          "2002:808:808::1"})
        EXPECT_FALSE(refused(a)) << a;
    // Just outside the embedding prefixes: plain IPv6 addresses (public here).
    EXPECT_FALSE(refused("::1:ffff:7f00:1"));     // not ::ffff:0:0/96
    EXPECT_FALSE(refused("64:ff9b::1:0:7f00:1"));  // not 64:ff9b::/96
    EXPECT_FALSE(refused("2003:7f00:1::"));        // not 2002::/16
}

TEST(EgressPolicy, AllowListOpensRangesAndTheirEmbeddedForms) {
    EgressPolicy none;
    EgressPolicy loopback(parseCidrList("127.0.0.0/8, ::1/128"));
    EXPECT_FALSE(none.permits(make_address("127.0.0.1")));
    EXPECT_TRUE(loopback.permits(make_address("127.0.0.1")));
    EXPECT_TRUE(loopback.permits(make_address("127.255.255.255")));
    EXPECT_TRUE(loopback.permits(make_address("::1")));
    EXPECT_TRUE(loopback.permits(make_address("::ffff:127.0.0.1")));
    EXPECT_FALSE(loopback.permits(make_address("10.0.0.1")));
    EXPECT_FALSE(loopback.permits(make_address("169.254.169.254")));
    EXPECT_FALSE(loopback.permits(make_address("fe80::1")));
    EXPECT_TRUE(loopback.permits(make_address("8.8.8.8")));  // public stays permitted

    EgressPolicy office(parseCidrList("10.20.0.0/16,fd00:1::/64"));
    EXPECT_TRUE(office.permits(make_address("10.20.0.0")));
    EXPECT_TRUE(office.permits(make_address("10.20.255.255")));
    EXPECT_FALSE(office.permits(make_address("10.19.255.255")));
    EXPECT_FALSE(office.permits(make_address("10.21.0.0")));
    EXPECT_TRUE(office.permits(make_address("fd00:1::5")));
    EXPECT_FALSE(office.permits(make_address("fd00:2::5")));
    EXPECT_EQ(office.describeAllowList(), "10.20.0.0/16,fd00:1::/64");
    EXPECT_EQ(none.describeAllowList(), "none");
}

TEST(EgressPolicy, ParsesCidrListsStrictly) {
    auto list = parseCidrList(" 127.0.0.0/8 ,::1/128,192.168.1.7,fe80::/10 ");
    ASSERT_EQ(list.size(), 4u);
    EXPECT_EQ(list[0].toString(), "127.0.0.0/8");
    EXPECT_EQ(list[1].toString(), "::1/128");
    EXPECT_EQ(list[2].toString(), "192.168.1.7/32");  // a bare address is one host
    EXPECT_EQ(list[3].toString(), "fe80::/10");
    EXPECT_TRUE(parseCidrList("").empty());
    EXPECT_TRUE(parseCidrList("   ").empty());
    EXPECT_EQ(parseCidrList("0.0.0.0/0")[0].prefix(), 0u);
}

TEST(EgressPolicy, RejectsBadCidrInputWithAClearError) {
    using testing::HasSubstr;
    EXPECT_THAT(parseError("10.0.0.0/33"), HasSubstr("prefix length must be 0-32"));
    EXPECT_THAT(parseError("::/129"), HasSubstr("prefix length must be 0-128"));
    EXPECT_THAT(parseError("10.0.0.0/"), HasSubstr("must be a number"));
    EXPECT_THAT(parseError("10.0.0.0/-1"), HasSubstr("must be a number"));
    EXPECT_THAT(parseError("10.0.0.0/8/8"), HasSubstr("must be a number"));
    EXPECT_THAT(parseError("10.0.0.1/8"), HasSubstr("did you mean 10.0.0.0/8?"));
    EXPECT_THAT(parseError("fd00::1/8"), HasSubstr("did you mean fd00::/8?"));
    EXPECT_THAT(parseError("localhost"), HasSubstr("expected an IPv4 or IPv6 address"));
    EXPECT_THAT(parseError("127.1/8"), HasSubstr("expected an IPv4 or IPv6 address"));
    EXPECT_THAT(parseError("2130706433"), HasSubstr("expected an IPv4 or IPv6 address"));
    EXPECT_THAT(parseError("fe80::1%eth0"), HasSubstr("zone ids"));
    EXPECT_THAT(parseError("10.0.0.0/8,,::1"), HasSubstr("empty entry"));
    EXPECT_THAT(parseError("10.0.0.0/8,"), HasSubstr("empty entry"));
    EXPECT_THAT(parseError(std::string(200, '1')), HasSubstr("too long"));
    // The message names the entry that is wrong.
    EXPECT_THAT(parseError("127.0.0.0/8,10.0.0.0/99"), HasSubstr("'10.0.0.0/99'"));
    std::string many;
    for (int i = 0; i < 257; ++i) many += (i ? "," : "") + std::string("10.0.0.1");
    EXPECT_THAT(parseError(many), HasSubstr("more than 256"));
}

TEST(EgressPolicy, TheProcessWidePolicyCanBeReplaced) {
    setEgressPolicy(EgressPolicy(parseCidrList("192.168.0.0/16")));
    EXPECT_TRUE(egressPolicy()->permits(make_address("192.168.3.4")));
    setEgressPolicy(EgressPolicy());
    EXPECT_FALSE(egressPolicy()->permits(make_address("192.168.3.4")));
}

}  // namespace
}  // namespace voxa::net
