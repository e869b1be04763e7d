#include "net/egress.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace voxa::net {

namespace ip = boost::asio::ip;

namespace {

constexpr size_t kMaxCidrs = 256;
constexpr size_t kMaxCidrText = 64;  // longest IPv6 text + "/128" with room to spare

std::array<uint8_t, 16> bytesOf(const ip::address& a) {
    std::array<uint8_t, 16> out{};
    if (a.is_v4()) {
        auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), out.begin());
    } else {
        auto b = a.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), out.begin());
    }
    return out;
}

bool prefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& net,
                   unsigned prefix) {
    unsigned full = prefix / 8, rest = prefix % 8;
    if (!std::equal(a.begin(), a.begin() + full, net.begin())) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

Cidr range(const char* text) { return Cidr::parse(text); }

// Refused IPv4 ranges (IANA special-purpose registry, minus the globally reachable ones).
const std::vector<Cidr>& refusedV4() {
    static const std::vector<Cidr> r = {
        range("0.0.0.0/8"),        // "this network"; connecting to 0.0.0.0 reaches loopback
        range("10.0.0.0/8"),       // RFC 1918
        range("100.64.0.0/10"),    // RFC 6598 shared address space (carrier-grade NAT)
        range("127.0.0.0/8"),      // loopback
        range("169.254.0.0/16"),   // link-local, incl. the cloud metadata 169.254.169.254
        range("172.16.0.0/12"),    // RFC 1918
        range("192.0.0.0/24"),     // IETF protocol assignments
        range("192.0.2.0/24"),     // documentation (TEST-NET-1)
        range("192.88.99.0/24"),   // former 6to4 relay anycast
        range("192.168.0.0/16"),   // RFC 1918
        range("198.18.0.0/15"),    // benchmarking
        range("198.51.100.0/24"),  // documentation (TEST-NET-2)
        range("203.0.113.0/24"),   // documentation (TEST-NET-3)
        range("224.0.0.0/4"),      // multicast
        range("240.0.0.0/4"),      // reserved, incl. broadcast 255.255.255.255
    };
    return r;
}

// Refused IPv6 ranges, judged on the IPv6 address itself (forms that embed an IPv4 address
// are judged by that address, see embeddedV4).
const std::vector<Cidr>& refusedV6() {
    static const std::vector<Cidr> r = {
        range("::/128"),          // unspecified
        range("::1/128"),         // loopback
        range("100::/64"),        // discard-only
        range("64:ff9b:1::/48"),  // local-use NAT64 (RFC 8215): translated inside the site
        range("2001::/32"),       // Teredo: tunnels to an IPv4 address we cannot check
        range("2001:db8::/32"),   // documentation
        range("fc00::/7"),        // unique local (ULA)
        range("fe80::/10"),       // link-local
        range("fec0::/10"),       // site-local (deprecated, still routed in some networks)
        range("ff00::/8"),        // multicast
    };
    return r;
}

// The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one.
std::optional<ip::address_v4> embeddedV4(const ip::address_v6& a) {
    auto b = a.to_bytes();
    auto zero = [&](int from, int to) {
        return std::all_of(b.begin() + from, b.begin() + to, [](uint8_t x) { return x == 0; });
    };
    auto v4At = [&](int at) {
        return ip::address_v4(ip::address_v4::bytes_type{b[at], b[at + 1], b[at + 2], b[at + 3]});
    };
    if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return v4At(12);  // ::ffff:a.b.c.d mapped
    if (zero(0, 8) && b[8] == 0xff && b[9] == 0xff && zero(10, 12))
        return v4At(12);                                                  // ::ffff:0:a.b.c.d translated
    if (zero(0, 12)) return v4At(12);                                     // ::a.b.c.d compatible
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12))
        return v4At(12);                                                  // 64:ff9b::/96 NAT64
    if (b[0] == 0x20 && b[1] == 0x02) return v4At(2);                     // 2002::/16 6to4
    return std::nullopt;
}

bool inAny(const std::vector<Cidr>& list, const ip::address& a) {
    return std::any_of(list.begin(), list.end(), [&](const Cidr& c) { return c.contains(a); });
}

// The decision, with `allow` opening ranges (checked on the address as given and, for IPv6
// forms carrying an IPv4 address, on that address too).
bool permitted(const std::vector<Cidr>& allow, const ip::address& a) {
    if (inAny(allow, a)) return true;
    if (a.is_v4()) return !inAny(refusedV4(), a);
    if (inAny(refusedV6(), a)) return false;  // ::, ::1 and the rest before ::/96 below
    if (auto v4 = embeddedV4(a.to_v6())) return permitted(allow, ip::address(*v4));
    return true;
}

std::mutex& policyMutex() {
    static std::mutex m;
    return m;
}

std::shared_ptr<const EgressPolicy>& currentPolicy() {
    static std::shared_ptr<const EgressPolicy> p = std::make_shared<const EgressPolicy>();
    return p;
}

}  // namespace

Cidr::Cidr(const ip::address& network, unsigned prefix)
    : v4_(network.is_v4()), prefix_(prefix), bytes_(bytesOf(network)) {
    if (prefix > (v4_ ? 32u : 128u))
        throw std::invalid_argument("prefix length " + std::to_string(prefix) + " is too long for " +
                                    network.to_string());
    std::array<uint8_t, 16> masked{};
    for (unsigned i = 0; i < prefix; ++i)
        if (bytes_[i / 8] & (0x80 >> (i % 8))) masked[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    if (masked != bytes_) {
        auto shown = v4_ ? ip::address(ip::address_v4({masked[0], masked[1], masked[2], masked[3]}))
                         : ip::address(ip::address_v6(masked));
        throw std::invalid_argument(network.to_string() + "/" + std::to_string(prefix) +
                                    " has bits set after the prefix (did you mean " +
                                    shown.to_string() + "/" + std::to_string(prefix) + "?)");
    }
}

Cidr Cidr::parse(std::string_view text) {
    auto bad = [&](const std::string& why) {
        std::string shown(text.substr(0, kMaxCidrText));
        if (text.size() > kMaxCidrText) shown += "...";
        return std::invalid_argument("'" + shown + "' is not an address range: " + why);
    };
    if (text.empty()) throw bad("empty");
    if (text.size() > kMaxCidrText) throw bad("too long");
    auto slash = text.find('/');
    std::string addrText(text.substr(0, slash));
    if (addrText.find('%') != std::string::npos) throw bad("zone ids (%...) are not allowed");
    boost::system::error_code ec;
    auto addr = ip::make_address(addrText, ec);
    if (ec) throw bad("expected an IPv4 or IPv6 address, like 10.0.0.0/8 or fd00::/8");
    unsigned max = addr.is_v4() ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw bad("the prefix length after '/' must be a number");
        prefix = static_cast<unsigned>(std::stoul(std::string(digits)));
        if (prefix > max) throw bad("the prefix length must be 0-" + std::to_string(max));
    }
    try {
        return Cidr(addr, prefix);
    } catch (const std::invalid_argument& e) {
        throw bad(e.what());
    }
}

bool Cidr::contains(const ip::address& a) const {
    if (a.is_v4() != v4_) return false;
    return prefixMatches(bytesOf(a), bytes_, prefix_);
}

std::string Cidr::toString() const {
    auto addr = v4_ ? ip::address(ip::address_v4({bytes_[0], bytes_[1], bytes_[2], bytes_[3]}))
                    : ip::address(ip::address_v6(bytes_));
    return addr.to_string() + "/" + std::to_string(prefix_);
}

std::vector<Cidr> parseCidrList(std::string_view text) {
    std::vector<Cidr> out;
    text = trim(text);
    if (text.empty()) return out;
    for (;;) {
        auto comma = text.find(',');
        auto item = trim(text.substr(0, comma));
        if (item.empty()) throw std::invalid_argument("empty entry in the address range list");
        if (out.size() == kMaxCidrs)
            throw std::invalid_argument("more than " + std::to_string(kMaxCidrs) + " address ranges");
        out.push_back(Cidr::parse(item));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

bool EgressPolicy::permits(const ip::address& a) const { return permitted(allow_, a); }

bool EgressPolicy::refusedByDefault(const ip::address& a) { return !permitted({}, a); }

std::string EgressPolicy::describeAllowList() const {
    if (allow_.empty()) return "none";
    std::string out;
    for (auto& c : allow_) out += (out.empty() ? "" : ",") + c.toString();
    return out;
}

void setEgressPolicy(EgressPolicy policy) {
    auto p = std::make_shared<const EgressPolicy>(std::move(policy));
    std::lock_guard lock(policyMutex());
    currentPolicy() = std::move(p);
}

std::shared_ptr<const EgressPolicy> egressPolicy() {
    std::lock_guard lock(policyMutex());
    return currentPolicy();
}

}  // namespace voxa::net
