// Egress policy: which addresses Voxa may connect to when a URL comes from org configuration
// (webhooks, tools and apiRequest, custom-llm and provider URLs, credentials, transfer and
// assistant-request servers). Without it, anyone with an API key (even a public one, through
// an inline assistant on POST /call/web) could make the server fetch from its own network.
//
//   // once, at start (voxa serve --egress-allow 10.20.0.0/16,fd00:1::/64):
//   net::setEgressPolicy(net::EgressPolicy(net::parseCidrList("10.20.0.0/16,fd00:1::/64")));
//   // net::fetch() and net::connectWebSocket() check every resolved address at connect time:
//   auto r = co_await net::fetch({.url = tool.url});   // r.errorKind == ErrorKind::Egress,
//                                                      // r.error == net::kEgressRefused
//   // URLs the operator chose (command-line flags, the talk CLI) are not checked:
//   co_await net::fetch({.url = twilioApiUrl, .source = net::UrlSource::Operator});
//   net::egressPolicy()->permits(boost::asio::ip::make_address("169.254.169.254"));  // false
//
// Refused unless the allow list opens them: loopback, unspecified, private (RFC 1918,
// RFC 6598 shared, IPv6 ULA and site-local), link-local (incl. 169.254.169.254), multicast,
// broadcast and reserved (240/4), IETF/benchmark/documentation ranges, and every IPv6 form
// that carries one of those IPv4 addresses (IPv4-mapped, -compatible, -translated, NAT64
// 64:ff9b::/96, 6to4 2002::/16), judged by the embedded IPv4 address; local-use NAT64
// (64:ff9b:1::/48) and Teredo (2001::/32) are refused whole. Checking the address the socket
// connects to (not the URL's host text) is what defeats DNS rebinding and spellings such as
// localhost, 127.1, 2130706433, 0x7f000001 or [::ffff:127.0.0.1].
#pragma once
#include <boost/asio/ip/address.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::net {

/// Who chose a URL. OrgConfig (the default, so a new call site is policed unless it opts
/// out) is checked against the egress policy; Operator bypasses it.
enum class UrlSource { OrgConfig, Operator };

/// The one error text for a refused destination: it does not depend on the port, on
/// whether anything listens there or on which rule refused it.
inline constexpr const char* kEgressRefused = "destination not allowed by the egress policy";

/// An address range: 10.0.0.0/8, fd00::/8, or a single address (/32, /128).
class Cidr {
public:
    /// Throws std::invalid_argument with a message naming the input and what is wrong.
    static Cidr parse(std::string_view text);
    Cidr(const boost::asio::ip::address& network, unsigned prefix);  // host bits must be 0

    bool contains(const boost::asio::ip::address& a) const;
    bool v4() const { return v4_; }
    unsigned prefix() const { return prefix_; }
    std::string toString() const;

private:
    bool v4_ = false;
    unsigned prefix_ = 0;
    std::array<uint8_t, 16> bytes_{};  // IPv4 in the first 4
};

/// "CIDR[,CIDR...]" (spaces around entries ignored, empty text = empty list; at most 256
/// entries). Throws std::invalid_argument naming the bad entry.
std::vector<Cidr> parseCidrList(std::string_view text);

class EgressPolicy {
public:
    explicit EgressPolicy(std::vector<Cidr> allow = {}) : allow_(std::move(allow)) {}

    /// May a connection to this address be made on behalf of org configuration?
    bool permits(const boost::asio::ip::address& a) const;
    const std::vector<Cidr>& allowList() const { return allow_; }
    /// "127.0.0.0/8,::1/128", or "none".
    std::string describeAllowList() const;

    /// The default decision, without the allow list (true = refused).
    static bool refusedByDefault(const boost::asio::ip::address& a);

private:
    bool allowed(const boost::asio::ip::address& a) const;
    std::vector<Cidr> allow_;
};

/// The process-wide policy (default: no allow list). Set once at start; tests may set it
/// again between cases. Safe to read from any thread.
void setEgressPolicy(EgressPolicy policy);
std::shared_ptr<const EgressPolicy> egressPolicy();

}  // namespace voxa::net
