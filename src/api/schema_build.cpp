// Builds the validator tree: parse the spec subset and the overlay, merge them, compile.
#include "api/schema_tree.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <stdexcept>
#include <tuple>

namespace json = boost::json;

namespace voxa::api::schema {

namespace {

constexpr std::string_view kRefPrefix = "#/components/schemas/";

std::string_view refName(std::string_view ref) {
    if (ref.starts_with(kRefPrefix)) ref.remove_prefix(kRefPrefix.size());
    return ref;
}

json::value parseDocument(std::string_view text, const char* what) {
    json::parse_options opts;
    opts.max_depth = 512;  // the spec nests deeper than Boost.JSON's default of 32
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, {}, opts);
    if (ec || !v.is_object())
        throw std::runtime_error(std::string("schema: cannot parse ") + what + ": " +
                                 (ec ? ec.message() : "not a JSON object"));
    return v;
}

bool isComment(std::string_view key) { return key.starts_with("$comment"); }

// Calls f(unionArray) for every oneOf/anyOf array anywhere under v.
void forEachUnion(json::value& v, const std::function<void(json::array&)>& f) {
    if (auto* o = v.if_object()) {
        for (const char* kw : {"oneOf", "anyOf"})
            if (auto* arr = o->if_contains(kw); arr && arr->is_array()) f(arr->get_array());
        for (auto& kv : *o) forEachUnion(kv.value(), f);
    } else if (auto* a = v.if_array()) {
        for (auto& e : *a) forEachUnion(e, f);
    }
}

bool unionHasRef(const json::array& arr, std::string_view name) {
    for (auto& e : arr)
        if (auto* o = e.if_object())
            if (auto* r = o->if_contains("$ref"); r && r->is_string() &&
                                                  refName(r->get_string()) == name)
                return true;
    return false;
}

// Names referenced by every union that lists a $ref to `name`.
std::vector<std::string> variantsOf(json::object& schemas, std::string_view name) {
    std::vector<std::string> out;
    for (auto& kv : schemas)
        forEachUnion(kv.value(), [&](json::array& arr) {
            if (!unionHasRef(arr, name)) return;
            for (auto& e : arr)
                if (auto* o = e.if_object())
                    if (auto* r = o->if_contains("$ref"); r && r->is_string()) {
                        std::string n(refName(r->get_string()));
                        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
                    }
        });
    return out;
}

void applyOverlay(json::object& schemas, const json::object& overlay) {
    if (auto* s = overlay.if_contains("schemas"); s && s->is_object())
        for (auto& kv : s->get_object())
            if (!isComment(kv.key())) schemas[kv.key()] = kv.value();

    if (auto* adds = overlay.if_contains("addProperties"); adds && adds->is_array()) {
        for (auto& entry : adds->get_array()) {
            const auto* e = entry.if_object();
            if (!e) continue;
            const auto* props = e->if_contains("properties");
            if (!props || !props->is_object()) continue;
            std::vector<std::string> targets;
            if (auto* to = e->if_contains("to"); to && to->is_array())
                for (auto& t : to->get_array())
                    if (t.is_string()) targets.emplace_back(t.get_string());
            if (auto* of = e->if_contains("toVariantsOf"); of && of->is_string())
                for (auto& n : variantsOf(schemas, of->get_string())) targets.push_back(n);
            for (auto& t : targets) {
                auto* target = schemas.if_contains(t);
                if (!target || !target->is_object()) continue;
                auto& existing = target->get_object()["properties"];
                if (!existing.is_object()) existing = json::object();
                for (auto& kv : props->get_object())
                    if (!existing.get_object().contains(kv.key()))
                        existing.get_object()[kv.key()] = kv.value();
            }
        }
    }

    if (auto* apps = overlay.if_contains("appendVariants"); apps && apps->is_array()) {
        for (auto& entry : apps->get_array()) {
            const auto* e = entry.if_object();
            if (!e) continue;
            auto* where = e->if_contains("whereRef");
            auto* add = e->if_contains("add");
            if (!where || !where->is_string() || !add || !add->is_string()) continue;
            std::string ref = std::string(kRefPrefix) + std::string(add->get_string());
            for (auto& kv : schemas)
                forEachUnion(kv.value(), [&](json::array& arr) {
                    if (unionHasRef(arr, where->get_string()) &&
                        !unionHasRef(arr, add->get_string()))
                        arr.push_back(json::object{{"$ref", ref}});
                });
        }
    }
}

std::optional<double> number(const json::value* v) {
    if (!v) return std::nullopt;
    if (v->is_int64()) return double(v->get_int64());
    if (v->is_uint64()) return double(v->get_uint64());
    if (v->is_double()) return v->get_double();
    return std::nullopt;
}

std::optional<std::uint64_t> count(const json::value* v) {
    auto d = number(v);
    if (!d || *d < 0) return std::nullopt;
    return std::uint64_t(*d);
}

// Spec patterns are JavaScript literals ("/^[a-z]+$/u"). std::regex has no \p{L}; a
// UTF-8 letter is approximated by ASCII letters plus any non-ASCII byte.
std::string translatePattern(std::string_view src, bool& icase) {
    icase = false;
    if (src.size() >= 2 && src.front() == '/') {
        auto end = src.rfind('/');
        if (end > 0) {
            icase = src.substr(end + 1).find('i') != std::string_view::npos;
            src = src.substr(1, end - 1);
        }
    }
    std::string out;
    bool inClass = false;
    for (size_t i = 0; i < src.size(); ++i) {
        char c = src[i];
        if (c == '\\' && i + 1 < src.size()) {
            if (src.compare(i, 5, "\\p{L}") == 0) {
                out += inClass ? "a-zA-Z\\x80-\\xff" : "[a-zA-Z\\x80-\\xff]";
                i += 4;
            } else {
                out += c;
                out += src[++i];
            }
            continue;
        }
        if (c == '[') inClass = true;
        if (c == ']') inClass = false;
        out += c;
    }
    return out;
}

std::string formatNumber(double d) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, res.ptr);
}

class Compiler {
public:
    explicit Compiler(Registry& r) : r_(r) {}

    void compileAll(const json::object& schemas) {
        // Every named node exists before compiling, so $refs (and cycles) resolve eagerly.
        for (auto& kv : schemas) {
            named_.emplace(std::string(kv.key()), &r_.nodes.emplace_back());
        }
        for (auto& kv : schemas)
            if (auto* o = kv.value().if_object()) fill(*named_.at(std::string(kv.key())), *o);
        for (auto& [name, node] : named_) r_.named.emplace(name, node);
        finalize();
    }

private:
    Registry& r_;
    std::unordered_map<std::string, Node*> named_;
    std::unordered_map<std::string, const std::regex*> regexCache_;

    const Node* resolve(std::string_view ref) {
        auto it = named_.find(std::string(refName(ref)));
        return it == named_.end() ? &r_.any : it->second;
    }

    const Node* compile(const json::value& v) {
        const auto* o = v.if_object();
        if (!o) return &r_.any;  // `true` (e.g. additionalProperties: true)
        if (o->size() == 1)
            if (auto* ref = o->if_contains("$ref"); ref && ref->is_string())
                return resolve(ref->get_string());
        Node& n = r_.nodes.emplace_back();
        fill(n, *o);
        return &n;
    }

    const std::regex* regex(std::string_view src) {
        std::string key(src);
        if (auto it = regexCache_.find(key); it != regexCache_.end()) return it->second;
        const std::regex* re = nullptr;
        try {
            bool icase = false;
            std::string ecma = translatePattern(src, icase);
            auto flags = std::regex::ECMAScript | std::regex::optimize;
            if (icase) flags |= std::regex::icase;
            re = &r_.regexes.emplace_back(ecma, flags);
        } catch (const std::regex_error&) {
            re = nullptr;  // a pattern std::regex cannot express is not enforced
        }
        regexCache_.emplace(std::move(key), re);
        return re;
    }

    static std::uint8_t typeBit(std::string_view t) {
        if (t == "string") return kString;
        if (t == "number") return kNumber;
        if (t == "integer") return kInteger;
        if (t == "boolean") return kBoolean;
        if (t == "object") return kObject;
        if (t == "array") return kArray;
        if (t == "null") return kNull;
        return 0;
    }

    void fill(Node& n, const json::object& s) {
        if (auto* ref = s.if_contains("$ref"); ref && ref->is_string())
            n.allOf.push_back(resolve(ref->get_string()));
        if (auto* t = s.if_contains("type")) {
            if (t->is_string()) n.types |= typeBit(t->get_string());
            if (t->is_array())
                for (auto& e : t->get_array())
                    if (e.is_string()) n.types |= typeBit(e.get_string());
        }
        if (n.types & kNull) {
            n.nullable = true;
            n.types &= std::uint8_t(~kNull);
        }
        if (auto* nb = s.if_contains("nullable"); nb && nb->is_bool()) n.nullable |= nb->get_bool();
        if (auto* e = s.if_contains("enum"); e && e->is_array()) {
            n.hasEnum = true;
            for (auto& item : e->get_array()) {
                std::string text;
                if (item.is_string()) {
                    n.enumStrings.emplace_back(item.get_string());
                    text = n.enumStrings.back();
                } else if (auto d = number(&item)) {
                    n.enumNumbers.push_back(*d);
                    text = formatNumber(*d);
                } else if (item.is_null()) {
                    n.nullable = true;
                    continue;
                } else {
                    text = json::serialize(item);
                }
                if (!n.enumText.empty()) n.enumText += ", ";
                n.enumText += text;
            }
        }
        if (auto* f = s.if_contains("format"); f && f->is_string()) {
            std::string_view fs = f->get_string();
            if (fs == "date-time") n.format = Format::dateTime;
            else if (fs == "uuid") n.format = Format::uuid;
            else if (fs == "uri" || fs == "url") n.format = Format::uri;
            else if (fs == "email") n.format = Format::email;
        }
        n.minimum = number(s.if_contains("minimum"));
        n.maximum = number(s.if_contains("maximum"));
        n.minLength = count(s.if_contains("minLength"));
        n.maxLength = count(s.if_contains("maxLength"));
        n.minItems = count(s.if_contains("minItems"));
        n.maxItems = count(s.if_contains("maxItems"));
        if (auto* p = s.if_contains("pattern"); p && p->is_string()) {
            n.patternSource = std::string(p->get_string());
            n.pattern = regex(n.patternSource);
        }
        if (auto* props = s.if_contains("properties"); props && props->is_object()) {
            n.hasProperties = true;
            const auto* ap = s.if_contains("additionalProperties");
            n.closed = !ap || (ap->is_bool() && !ap->get_bool());
            for (auto& kv : props->get_object())
                n.properties.push_back({std::string(kv.key()), compile(kv.value()), false});
            if (!(n.types & ~kObject)) n.types |= kObject;
        }
        if (auto* req = s.if_contains("required"); req && req->is_array()) {
            for (auto& r : req->get_array()) {
                if (!r.is_string()) continue;
                auto it = std::find_if(n.properties.begin(), n.properties.end(),
                                       [&](auto& p) { return p.name == r.get_string(); });
                if (it != n.properties.end()) it->required = true;
                else n.properties.push_back({std::string(r.get_string()), &r_.any, true});
            }
        }
        if (auto* items = s.if_contains("items")) n.items = compile(*items);
        if (auto* all = s.if_contains("allOf"); all && all->is_array())
            for (auto& e : all->get_array()) n.allOf.push_back(compile(e));
        for (const char* kw : {"oneOf", "anyOf"}) {
            auto* arr = s.if_contains(kw);
            if (!arr || !arr->is_array() || n.oneOf) continue;
            n.oneOf = std::make_unique<Union>();
            for (auto& e : arr->get_array()) n.oneOf->variants.push_back(compile(e));
            if (auto* d = s.if_contains("discriminator"); d && d->is_object())
                if (auto* pn = d->get_object().if_contains("propertyName"); pn && pn->is_string())
                    n.oneOf->discriminator = std::string(pn->get_string());
        }
        // {"oneOf":[X], "allOf":[X]} (observabilityPlan) would report every error twice.
        if (n.oneOf) {
            auto& vs = n.oneOf->variants;
            std::erase_if(n.allOf, [&](const Node* a) {
                return std::find(vs.begin(), vs.end(), a) != vs.end();
            });
        }
    }

    void finalize() {
        for (auto& n : r_.nodes) {
            // Properties inherited through allOf join the node's own, so unknown-key
            // checks see the whole set.
            if (n.hasProperties && !n.allOf.empty()) {
                std::vector<const Node*> rest;
                for (const Node* a : n.allOf) {
                    const Node* shape = objectShape(a);
                    if (!shape || shape == &n) {
                        rest.push_back(a);
                        continue;
                    }
                    for (auto& p : shape->properties)
                        if (!n.findPropertyLinear(p.name)) n.properties.push_back(p);
                }
                n.allOf = std::move(rest);
            }
            n.propertyOrder.resize(n.properties.size());
            for (std::uint32_t i = 0; i < n.properties.size(); ++i) n.propertyOrder[i] = i;
            std::sort(n.propertyOrder.begin(), n.propertyOrder.end(), [&](auto a, auto b) {
                return n.properties[a].name < n.properties[b].name;
            });
        }
        for (auto& n : r_.nodes)
            if (n.oneOf) pickDiscriminator(*n.oneOf);
    }

    static const Node* enumNode(const Node* n) {
        for (int i = 0; n && i < 16; ++i) {
            if (n->hasEnum) return n;
            if (n->allOf.size() != 1) return nullptr;
            n = n->allOf[0];
        }
        return nullptr;
    }

    // The discriminator is the spec's propertyName, else a property every object variant
    // declares, at least one with an enum; the one with the most enum-carrying variants
    // (then: values that do not overlap, then provider/type/role/on first) wins.
    static void pickDiscriminator(Union& u) {
        std::vector<std::pair<std::uint16_t, const Node*>> objs;
        for (std::uint16_t i = 0; i < u.variants.size(); ++i)
            if (const Node* s = objectShape(u.variants[i])) objs.emplace_back(i, s);
        if (objs.empty()) {
            u.discriminator.clear();
            return;
        }
        if (u.discriminator.empty()) {
            std::vector<std::string> names;
            for (const char* pref : {"provider", "type", "role", "on"})
                if (objs[0].second->findProperty(pref)) names.emplace_back(pref);
            for (auto& p : objs[0].second->properties)
                if (std::find(names.begin(), names.end(), p.name) == names.end())
                    names.push_back(p.name);
            std::tuple<size_t, bool> best{0, false};
            for (auto& name : names) {
                size_t withEnum = 0;
                bool everywhere = true, disjoint = true;
                std::vector<std::string_view> seen;
                for (auto& [i, shape] : objs) {
                    const Property* p = shape->findProperty(name);
                    if (!p) {
                        everywhere = false;
                        break;
                    }
                    if (const Node* e = enumNode(p->node); e && !e->enumStrings.empty()) {
                        ++withEnum;
                        for (auto& v : e->enumStrings) {
                            if (std::find(seen.begin(), seen.end(), v) != seen.end())
                                disjoint = false;
                            seen.push_back(v);
                        }
                    }
                }
                std::tuple<size_t, bool> score{withEnum, disjoint};
                if (everywhere && withEnum > 0 && score > best) {
                    best = score;
                    u.discriminator = name;
                }
            }
            if (u.discriminator.empty()) return;
        }
        for (auto& [i, shape] : objs) {
            const Property* p = shape->findProperty(u.discriminator);
            const Node* e = p ? enumNode(p->node) : nullptr;
            if (!e || e->enumStrings.empty()) {
                u.wildcards.push_back(i);
                continue;
            }
            for (auto& v : e->enumStrings) {
                auto it = std::find_if(u.byValue.begin(), u.byValue.end(),
                                       [&](auto& bv) { return bv.first == v; });
                if (it == u.byValue.end()) {
                    u.byValue.push_back({v, {}});
                    it = std::prev(u.byValue.end());
                    if (!u.allowed.empty()) u.allowed += ", ";
                    u.allowed += v;
                }
                it->second.push_back(i);
            }
        }
    }
};

}  // namespace

const Property* Node::findProperty(std::string_view name) const {
    if (propertyOrder.size() != properties.size()) return findPropertyLinear(name);
    auto it = std::lower_bound(propertyOrder.begin(), propertyOrder.end(), name,
                               [&](std::uint32_t i, std::string_view n) {
                                   return properties[i].name < n;
                               });
    if (it != propertyOrder.end() && properties[*it].name == name) return &properties[*it];
    return nullptr;
}

const Property* Node::findPropertyLinear(std::string_view name) const {
    for (auto& p : properties)
        if (p.name == name) return &p;
    return nullptr;
}

const Node* objectShape(const Node* n) {
    for (int i = 0; n && i < 16; ++i) {
        if (n->hasProperties) return n;
        if (n->allOf.size() != 1 || n->oneOf) return nullptr;
        n = n->allOf[0];
    }
    return nullptr;
}

void build(Registry& out, std::string_view specJson, std::string_view overlayJson) {
    json::value spec = parseDocument(specJson, "the Vapi schemas");
    json::object schemas;
    if (auto* s = spec.get_object().if_contains("schemas"); s && s->is_object())
        schemas = std::move(s->get_object());
    else
        throw std::runtime_error("schema: the Vapi schemas document has no \"schemas\" object");
    spec = nullptr;  // release the rest of the document early
    if (!overlayJson.empty()) {
        json::value overlay = parseDocument(overlayJson, "the overlay");
        applyOverlay(schemas, overlay.get_object());
    }
    Compiler(out).compileAll(schemas);
}

}  // namespace voxa::api::schema
