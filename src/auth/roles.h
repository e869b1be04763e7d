// Roles in an org, weakest first. A role may do everything the ones below it may.
//
//   auto r = voxa::auth::parseRole("admin");            // std::optional<Role>
//   if (principal.role < Role::Member) throw forbidden;
#pragma once
#include <optional>
#include <string_view>

namespace voxa::auth {

enum class Role { Viewer = 0, Member = 1, Admin = 2, Owner = 3 };

inline const char* roleName(Role r) {
    switch (r) {
        case Role::Viewer: return "viewer";
        case Role::Member: return "member";
        case Role::Admin: return "admin";
        case Role::Owner: return "owner";
    }
    return "viewer";
}

inline std::optional<Role> parseRole(std::string_view s) {
    if (s == "viewer") return Role::Viewer;
    if (s == "member") return Role::Member;
    if (s == "admin") return Role::Admin;
    if (s == "owner") return Role::Owner;
    return std::nullopt;
}

}  // namespace voxa::auth
