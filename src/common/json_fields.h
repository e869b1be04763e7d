// Lenient field access on Boost.JSON objects that were already validated (assistant
// configs, call records): a missing or mistyped field yields the default.
//
//   double wait = voxa::json_fields::num(plan, "waitSeconds", 0.4);
//   std::string mode = voxa::json_fields::str(assistant, "firstMessageMode");
//   if (auto* voice = voxa::json_fields::obj(assistant, "voice")) ...
#pragma once
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace voxa::json_fields {

inline const boost::json::object* obj(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

inline std::string str(const boost::json::object& o, std::string_view key, std::string def = {}) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : def;
}

inline double num(const boost::json::object& o, std::string_view key, double def) {
    auto* v = o.if_contains(key);
    if (!v) return def;
    if (v->is_double()) return v->as_double();
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    return def;
}

/// o[key] when it is a number / a bool, else nullopt: for provider options where "not set"
/// must stay distinguishable (the provider's own default applies).
inline std::optional<double> optNum(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_number()) return std::nullopt;
    return v->to_number<double>();
}

inline std::optional<bool> optBool(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_bool()) return std::nullopt;
    return v->get_bool();
}

/// `o[key].provider`, e.g. provider(assistant, "voice", "local").
inline std::string provider(const boost::json::object& o, std::string_view key, std::string def) {
    if (auto* c = obj(o, key)) return str(*c, "provider", def);
    return def;
}

}  // namespace voxa::json_fields
