// Validates a JSON value against the compiled tree with class-validator's wording.
//
// Message shape follows NestJS's ValidationPipe: a nested error is "<parent path>.<message>",
// so "model.temperature must not be greater than 2", "model.property foo should not exist",
// and per-element checks on primitive arrays read "each value in toolIds must be a string"
// (nested: "model.each value in toolIds must be a string"). Object elements of arrays are
// addressed by index: "model.messages.0.role must be one of the following values: ...".
#include "api/schema_tree.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace json = boost::json;

namespace voxa::api::schema {

namespace {

constexpr size_t kMaxErrors = 50;
// Node visits per request. Unions without a usable discriminator are tried variant by
// variant; the budget bounds the cost of hostile nesting through them.
constexpr size_t kBudget = 400'000;
// Counts schema hops (allOf, unions) as well as input nesting, so a schema cycle that
// consumes no input (X = allOf[X]) still terminates.
constexpr int kMaxDepth = 512;
// std::regex recurses per character; identifiers longer than this are rejected unmatched.
constexpr size_t kMaxPatternInput = 1024;

std::string formatNumber(double d) {
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21) {
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d));
        if (std::fabs(d) < 9e18) return std::string(buf, res.ptr);
    }
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, res.ptr);
}

bool isIntegral(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    if (!v.is_double()) return false;
    double d = v.get_double();
    return std::isfinite(d) && d == std::floor(d);
}

double toDouble(const json::value& v) {
    if (v.is_int64()) return double(v.get_int64());
    if (v.is_uint64()) return double(v.get_uint64());
    return v.get_double();
}

bool typeMatches(std::uint8_t types, const json::value& v) {
    switch (v.kind()) {
    case json::kind::string: return types & kString;
    case json::kind::bool_: return types & kBoolean;
    case json::kind::object: return types & kObject;
    case json::kind::array: return types & kArray;
    case json::kind::null: return types & kNull;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return (types & kNumber) || ((types & kInteger) && isIntegral(v));
    }
    return false;
}

const char* typeMessage(std::uint8_t types) {
    if (types & kObject) return "must be an object";
    if (types & kArray) return "must be an array";
    if (types & kString) return "must be a string";
    if (types & kNumber) return "must be a number conforming to the specified constraints";
    if (types & kInteger) return "must be an integer number";
    if (types & kBoolean) return "must be a boolean value";
    return "should not be null or undefined";
}

// JavaScript's String.length: UTF-16 code units.
size_t utf16Length(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80) ++n;  // a lead byte starts a code point
        if (c >= 0xF0) ++n;           // outside the BMP: a surrogate pair
    }
    return n;
}

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool isUuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isHex(s[i])) return false;
    }
    return true;
}

// Reads exactly `n` digits into `out`, within [lo, hi].
bool digits(std::string_view& s, size_t n, int lo, int hi) {
    if (s.size() < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!isDigit(s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    return v >= lo && v <= hi;
}

bool eat(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

// ISO 8601 calendar dates as class-validator's IsISO8601 accepts them: YYYY[-MM[-DD]]
// optionally followed by T/space, hh:mm[:ss[.fff]] and Z or +hh[:mm].
bool isIso8601(std::string_view s) {
    if (!digits(s, 4, 0, 9999)) return false;
    if (s.empty()) return true;
    if (!eat(s, '-') || !digits(s, 2, 1, 12)) return false;
    if (s.empty()) return true;
    if (!eat(s, '-') || !digits(s, 2, 1, 31)) return false;
    if (s.empty()) return true;
    if (!eat(s, 'T') && !eat(s, 't') && !eat(s, ' ')) return false;
    if (!digits(s, 2, 0, 24) || !eat(s, ':') || !digits(s, 2, 0, 59)) return false;
    if (eat(s, ':')) {
        if (!digits(s, 2, 0, 60)) return false;
        if (eat(s, '.') || eat(s, ',')) {
            size_t n = 0;
            while (!s.empty() && isDigit(s.front())) s.remove_prefix(1), ++n;
            if (n == 0) return false;
        }
    }
    if (s.empty()) return true;
    if (eat(s, 'Z') || eat(s, 'z')) return s.empty();
    if (!eat(s, '+') && !eat(s, '-')) return false;
    if (!digits(s, 2, 0, 23)) return false;
    if (s.empty()) return true;
    eat(s, ':');
    return digits(s, 2, 0, 59) && s.empty();
}

// Absolute URL with a web scheme and a host. Unlike validator.js's default, hosts without
// a TLD (localhost, docker service names) pass: Voxa is self-hosted.
bool isUrl(std::string_view s) {
    if (s.size() > 2083) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c == 0x7F) return false;
    auto colon = s.find("://");
    if (colon == std::string_view::npos) return false;
    std::string scheme;
    for (char c : s.substr(0, colon)) scheme += char(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss" &&
        scheme != "ftp")
        return false;
    std::string_view rest = s.substr(colon + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    std::string_view host = authority;
    if (host.starts_with('[')) {
        auto close = host.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        std::string_view after = host.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) return false;
        host = after.empty() ? host : host.substr(0, close + 1);
        authority = after;
    } else if (auto c = host.find(':'); c != std::string_view::npos) {
        authority = host.substr(c);
        host = host.substr(0, c);
    } else {
        authority = {};
    }
    if (host.empty()) return false;
    if (!host.starts_with('['))
        for (char c : host)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' &&
                c != '_' && static_cast<unsigned char>(c) < 0x80)
                return false;
    if (authority.starts_with(':')) {
        std::string_view port = authority.substr(1);
        if (port.empty() || port.size() > 5) return false;
        for (char c : port)
            if (!isDigit(c)) return false;
    }
    return true;
}

bool isEmail(std::string_view s) {
    auto at = s.find('@');
    if (at == 0 || at == std::string_view::npos || at != s.rfind('@')) return false;
    std::string_view domain = s.substr(at + 1);
    auto dot = domain.rfind('.');
    if (dot == 0 || dot == std::string_view::npos || dot + 1 >= domain.size()) return false;
    for (unsigned char c : s)
        if (c <= 0x20) return false;
    return true;
}

// `hops` bounds the walk: a malformed overlay could make a union contain itself.
bool expectsObject(const Node* n, int hops = 16) {
    for (; n && hops > 0; --hops) {
        if (n->types) return n->types == kObject;
        if (n->hasProperties) return true;
        if (n->oneOf) {
            for (const Node* v : n->oneOf->variants)
                if (!expectsObject(v, hops - 1)) return false;
            return !n->oneOf->variants.empty();
        }
        if (n->allOf.size() != 1) return false;
        n = n->allOf[0];
    }
    return false;
}

// Whether `v`'s JSON type could satisfy variant `n` (cheap pre-filter for unions).
bool kindFits(const Node* n, const json::value& v, int hops = 16) {
    for (; n && hops > 0; --hops) {
        if (v.is_null() && n->nullable) return true;
        if (n->types) return typeMatches(n->types, v);
        if (n->hasProperties) return v.is_object();
        if (n->hasEnum) return v.is_string() || v.is_number();
        if (n->oneOf) {
            for (const Node* var : n->oneOf->variants)
                if (kindFits(var, v, hops - 1)) return true;
            return false;
        }
        if (n->allOf.size() != 1) return true;
        n = n->allOf[0];
    }
    return true;
}

// How a value is named in messages: prefix + ("each value in ")? + name.
struct Subject {
    std::string_view prefix;  // "model.messages.0." (parent path, dot-terminated) or ""
    std::string_view name;    // property name or array index; "" for the body itself
    bool each = false;        // an element of a primitive array

    std::string childPrefix() const {
        if (name.empty()) return std::string(prefix);
        std::string p;
        p.reserve(prefix.size() + name.size() + 1);
        p.append(prefix).append(name).push_back('.');
        return p;
    }
};

class Validator {
public:
    explicit Validator(std::vector<std::string>& out) : out_(&out) {}

    void run(const Node& n, const json::value& v) {
        check(n, v, Subject{}, 0);
        if (aborted_) {
            out_->clear();
            out_->push_back(abortReason_);
        }
    }

private:
    std::vector<std::string>* out_;
    size_t budget_ = kBudget;
    bool aborted_ = false;
    std::string abortReason_;

    bool full() const { return aborted_ || out_->size() >= kMaxErrors; }

    void abort(std::string reason) {
        if (!aborted_) abortReason_ = std::move(reason);
        aborted_ = true;
    }

    void emit(const Subject& s, std::string_view tail) {
        if (full()) return;
        std::string m;
        m.reserve(s.prefix.size() + s.name.size() + tail.size() + 16);
        m.append(s.prefix);
        if (s.each) m.append("each value in ");
        m.append(s.name.empty() && s.prefix.empty() ? std::string_view("body") : s.name);
        m.push_back(' ');
        m.append(tail);
        // class-validator reports a constraint once per property, however many array
        // elements break it.
        if (!out_->empty() && out_->back() == m) return;
        out_->push_back(std::move(m));
    }

    bool inEnum(const Node& n, const json::value& v) const {
        if (v.is_string())
            return std::find(n.enumStrings.begin(), n.enumStrings.end(), v.get_string()) !=
                   n.enumStrings.end();
        if (v.is_number())
            return std::find(n.enumNumbers.begin(), n.enumNumbers.end(), toDouble(v)) !=
                   n.enumNumbers.end();
        return false;
    }

    std::string enumMessage(const Node& n) const {
        return "must be one of the following values: " + n.enumText;
    }

    // The message for a required property that is absent (or null and not nullable).
    void missing(const Node* n, const Subject& s) {
        for (int i = 0; n && i < 16; ++i) {
            if (n->hasEnum) return emit(s, enumMessage(*n));
            if (n->types && n->types != kObject) return emit(s, typeMessage(n->types));
            if (n->types || n->hasProperties || n->oneOf || n->allOf.size() != 1) break;
            n = n->allOf[0];
        }
        emit(s, "should not be null or undefined");
    }

    void check(const Node& n, const json::value& v, const Subject& s, int depth) {
        if (aborted_) return;
        if (budget_-- == 0) return abort("request body is too complex to validate");
        if (depth > kMaxDepth) return abort("request body is nested too deeply");
        if (v.is_null() && n.nullable) return;

        if (n.types && !typeMatches(n.types, v)) {
            if (n.hasEnum && !(n.types & kArray)) return emit(s, enumMessage(n));
            return emit(s, typeMessage(n.types));
        }
        if (n.hasEnum && !v.is_array() && !inEnum(n, v)) return emit(s, enumMessage(n));

        switch (v.kind()) {
        case json::kind::string: checkString(n, v.get_string(), s); break;
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: checkNumber(n, toDouble(v), s); break;
        case json::kind::array: checkArray(n, v.get_array(), s, depth); break;
        case json::kind::object:
            if (n.hasProperties) checkObject(n, v.get_object(), s, depth);
            break;
        default: break;
        }
        for (const Node* a : n.allOf) check(*a, v, s, depth + 1);
        if (n.oneOf) checkUnion(*n.oneOf, v, s, depth);
    }

    void checkString(const Node& n, json::string_view str, const Subject& s) {
        if (n.minLength || n.maxLength) {
            size_t len = utf16Length(str);
            if (n.maxLength && len > *n.maxLength)
                emit(s, "must be shorter than or equal to " + std::to_string(*n.maxLength) +
                            " characters");
            if (n.minLength && len < *n.minLength)
                emit(s, "must be longer than or equal to " + std::to_string(*n.minLength) +
                            " characters");
        }
        if (n.pattern) {
            bool ok = str.size() <= kMaxPatternInput &&
                      std::regex_search(str.begin(), str.end(), *n.pattern);
            if (!ok) emit(s, "must match " + n.patternSource + " regular expression");
        }
        switch (n.format) {
        case Format::none: break;
        case Format::dateTime:
            if (!isIso8601(str)) emit(s, "must be a valid ISO 8601 date string");
            break;
        case Format::uuid:
            if (!isUuid(str)) emit(s, "must be a UUID");
            break;
        case Format::uri:
            if (!isUrl(str)) emit(s, "must be a URL address");
            break;
        case Format::email:
            if (!isEmail(str)) emit(s, "must be an email");
            break;
        }
    }

    void checkNumber(const Node& n, double d, const Subject& s) {
        if (n.maximum && d > *n.maximum)
            emit(s, "must not be greater than " + formatNumber(*n.maximum));
        if (n.minimum && d < *n.minimum)
            emit(s, "must not be less than " + formatNumber(*n.minimum));
    }

    void checkArray(const Node& n, const json::array& arr, const Subject& s, int depth) {
        if (n.minItems && arr.size() < *n.minItems)
            emit(s, "must contain at least " + std::to_string(*n.minItems) + " elements");
        if (n.maxItems && arr.size() > *n.maxItems)
            emit(s, "must contain no more than " + std::to_string(*n.maxItems) + " elements");
        if (n.hasEnum) {
            // `enum` beside `type: array` is class-validator's @IsIn(..., {each: true}).
            for (auto& e : arr)
                if (!inEnum(n, e)) {
                    emit(Subject{s.prefix, s.name, true}, enumMessage(n));
                    break;
                }
        }
        if (!n.items) return;
        bool objects = expectsObject(n.items);
        std::string indexPrefix;
        std::string index;
        for (size_t i = 0; i < arr.size() && !full(); ++i) {
            const json::value& e = arr[i];
            if (objects || e.is_object() || e.is_array()) {
                if (indexPrefix.empty()) indexPrefix = s.childPrefix();
                index = std::to_string(i);
                check(*n.items, e, Subject{indexPrefix, index, false}, depth + 1);
            } else {
                check(*n.items, e, Subject{s.prefix, s.name, true}, depth + 1);
            }
        }
    }

    void checkObject(const Node& n, const json::object& obj, const Subject& s, int depth) {
        std::string prefix = s.childPrefix();
        // Input order: unknown keys and property errors come out as the document reads.
        for (auto& kv : obj) {
            if (full()) return;
            const Property* p = n.findProperty(kv.key());
            if (!p) {
                if (n.closed && !full())
                    out_->push_back(prefix + "property " + std::string(kv.key()) +
                                    " should not exist");
                continue;
            }
            if (kv.value().is_null() && !p->required) continue;  // @IsOptional()
            check(*p->node, kv.value(), Subject{prefix, p->name, false}, depth + 1);
        }
        for (auto& p : n.properties)
            if (p.required && !obj.contains(p.name)) missing(p.node, Subject{prefix, p.name});
    }

    void checkUnion(const Union& u, const json::value& v, const Subject& s, int depth) {
        std::vector<std::uint16_t> cands;
        if (v.is_object() && !u.discriminator.empty()) {
            const json::value* d = v.get_object().if_contains(u.discriminator);
            const std::vector<std::uint16_t>* byValue = nullptr;
            if (d && d->is_string())
                for (auto& [value, idx] : u.byValue)
                    if (value == d->get_string()) byValue = &idx;
            if (byValue) cands = *byValue;
            cands.insert(cands.end(), u.wildcards.begin(), u.wildcards.end());
            if (cands.empty()) {
                std::string prefix = s.childPrefix();
                return emit(Subject{prefix, u.discriminator},
                            "must be one of the following values: " + u.allowed);
            }
        } else {
            for (std::uint16_t i = 0; i < u.variants.size(); ++i)
                if (kindFits(u.variants[i], v)) cands.push_back(i);
            if (cands.empty() && !u.variants.empty()) cands.push_back(0);
        }
        if (cands.size() == 1) return check(*u.variants[cands[0]], v, s, depth + 1);

        // No single candidate: the first variant that validates wins; otherwise report the
        // candidate with the fewest errors.
        std::vector<std::string>* out = out_;
        std::vector<std::string> best;
        bool haveBest = false;
        for (std::uint16_t c : cands) {
            std::vector<std::string> scratch;
            out_ = &scratch;
            check(*u.variants[c], v, s, depth + 1);
            out_ = out;
            if (aborted_) return;
            if (scratch.empty()) return;
            if (!haveBest || scratch.size() < best.size()) {
                best = std::move(scratch);
                haveBest = true;
            }
        }
        for (auto& m : best) {
            if (full()) break;
            out_->push_back(std::move(m));
        }
    }
};

}  // namespace

std::vector<std::string> validate(const Node& node, const json::value& v) {
    std::vector<std::string> errors;
    Validator(errors).run(node, v);
    return errors;
}

}  // namespace voxa::api::schema
