#include "api/resource.h"

#include <boost/json.hpp>

#include <memory>

#include "api/errors.h"
#include "api/schema.h"
#include "api/secrets.h"
#include "common/ids.h"
#include "common/offload.h"
#include "common/time.h"

namespace voxa::api {

namespace json = boost::json;

json::object parseObject(const std::string& text) {
    auto v = json::parse(text);
    return std::move(v.as_object());
}

void validateOrThrow(const std::string& schema, const json::object& body) {
    auto& schemas = Schemas::instance();
    auto errors = schemas.validate(schema, json::value(body));
    if (!errors.empty()) throw ApiError::badRequest(std::move(errors));
}

void dropNulls(json::object& o) {
    for (auto it = o.begin(); it != o.end();) {
        if (it->value().is_null())
            it = o.erase(it);
        else
            ++it;
    }
}

store::ListQuery parseListQuery(RequestContext& rc, const std::vector<std::string>& extra) {
    store::ListQuery q;
    std::vector<std::string> errors;
    static const char* kCommon[] = {"limit",       "createdAtGt", "createdAtLt", "createdAtGe",
                                    "createdAtLe", "updatedAtGt", "updatedAtLt", "updatedAtGe",
                                    "updatedAtLe"};
    for (auto& key : rc.queryKeys()) {
        bool known = false;
        for (auto* k : kCommon) known = known || key == k;
        for (auto& k : extra) known = known || key == k;
        if (!known) errors.push_back("property " + key + " should not exist");
    }
    if (auto l = rc.query("limit")) {
        try {
            size_t pos = 0;
            double v = std::stod(*l, &pos);
            if (pos != l->size()) throw std::invalid_argument("limit");
            if (v < 0) errors.push_back("limit must not be less than 0");
            else if (v > 1000) errors.push_back("limit must not be greater than 1000");
            else q.limit = static_cast<int>(v);
        } catch (const std::exception&) {
            errors.push_back("limit must be a number conforming to the specified constraints");
        }
    }
    auto date = [&](const char* name, std::optional<std::string>& out) {
        if (auto v = rc.query(name)) {
            if (auto n = normalizeIso(*v))
                out = *n;
            else
                errors.push_back(std::string(name) + " must be a valid ISO 8601 date string");
        }
    };
    date("createdAtGt", q.createdAtGt);
    date("createdAtLt", q.createdAtLt);
    date("createdAtGe", q.createdAtGe);
    date("createdAtLe", q.createdAtLe);
    date("updatedAtGt", q.updatedAtGt);
    date("updatedAtLt", q.updatedAtLt);
    date("updatedAtGe", q.updatedAtGe);
    date("updatedAtLe", q.updatedAtLe);
    if (!errors.empty()) throw ApiError::badRequest(std::move(errors));
    return q;
}

asio::awaitable<store::Resource> loadOr404(RequestContext& rc, const std::string& kind,
                                           const std::string& label, std::string_view id) {
    if (!isUuid(id)) throw ApiError::badRequest("Validation failed (uuid is expected)");
    std::string sid(id), org = rc.orgId();
    auto& store = rc.ctx.store;
    auto row = co_await offload(rc.ctx.dbPool,
                                [&] { return store.getResource(kind, org, sid); });
    if (!row) throw ApiError::notFound(label + " not found");
    co_return std::move(*row);
}

namespace {

void fillAttrs(const ResourceSpec& spec, const json::object& o, store::Resource& r) {
    r.a1.clear();
    r.a2.clear();
    r.a3.clear();
    if (spec.attrs) spec.attrs(o, r);
}

json::object present(const ResourceSpec& spec, const std::string& body) {
    auto o = parseObject(body);
    if (spec.present) spec.present(o);
    return o;
}

}  // namespace

Awaitable listPage(RequestContext& rc, std::shared_ptr<const ResourceSpec> spec) {
    auto params = spec->listParams;
    for (auto* p : {"page", "sortOrder", "sortBy", "search"}) params.emplace_back(p);
    store::ListQuery q = parseListQuery(rc, params);
    int page = 1;
    if (auto p = rc.query("page")) {
        try {
            page = std::stoi(*p);
        } catch (const std::exception&) {
            page = 0;
        }
        if (page < 1)
            throw ApiError::badRequest(std::vector<std::string>{"page must not be less than 1"});
    }
    if (auto s = rc.query("sortOrder")) {
        if (*s == "ASC") q.ascending = true;
        else if (*s != "DESC")
            throw ApiError::badRequest(std::vector<std::string>{
                "sortOrder must be one of the following values: ASC, DESC"});
    }
    if (auto s = rc.query("search"); s && !s->empty()) q.search = *s;
    if (spec->listFilter) spec->listFilter(rc, q);
    q.offset = (page - 1) * q.limit;
    auto& store = rc.ctx.store;
    std::string org = rc.orgId();
    auto [rows, total] = co_await offload(rc.ctx.dbPool, [&] {
        return std::make_pair(store.listResources(spec->kind, org, q),
                              store.countResources(spec->kind, org, q));
    });
    json::array results;
    for (auto& r : rows) results.emplace_back(present(*spec, r.body));
    int64_t pages = q.limit > 0 ? (total + q.limit - 1) / q.limit : 0;
    json::object meta{{"itemsPerPage", q.limit},
                      {"totalItems", total},
                      {"currentPage", page},
                      {"totalPages", pages},
                      {"hasNextPage", page < pages},
                      {"sortOrder", q.ascending ? "ASC" : "DESC"}};
    co_return jsonResponse(200, json::object{{"results", std::move(results)},
                                             {"metadata", std::move(meta)}});
}

void registerCrud(Router& router, ResourceSpec specIn) {
    auto spec = std::make_shared<const ResourceSpec>(std::move(specIn));

    if (spec->genericCreate) {
        router.add("POST", spec->path, [spec](RequestContext& rc) -> Awaitable {
            json::object body = rc.jsonBody();
            dropNulls(body);
            validateOrThrow(spec->createSchema, body);
            if (spec->check)
                if (auto errors = spec->check(body); !errors.empty()) throw ApiError::badRequest(std::move(errors));
            guardCredentialRefs(rc.principal, nullptr, body);
            store::Resource r;
            r.id = newId();
            r.orgId = rc.orgId();
            r.kind = spec->kind;
            r.createdAt = r.updatedAt = isoNow();
            json::object o;
            o["id"] = r.id;
            o["orgId"] = r.orgId;
            for (auto& kv : body) o[kv.key()] = kv.value();
            o["createdAt"] = r.createdAt;
            o["updatedAt"] = r.updatedAt;
            if (spec->onCreate) spec->onCreate(o, rc);
            fillAttrs(*spec, o, r);
            r.body = json::serialize(o);
            auto& store = rc.ctx.store;
            co_await offload(rc.ctx.dbPool, [&] {
                store.insertResource(r);
                return true;
            });
            if (spec->present) spec->present(o);
            co_return jsonResponse(201, o);
        });
    }

    router.add("GET", spec->path, [spec](RequestContext& rc) -> Awaitable {
        store::ListQuery q = parseListQuery(rc, spec->listParams);
        if (spec->listFilter) spec->listFilter(rc, q);
        auto& store = rc.ctx.store;
        std::string org = rc.orgId();
        auto rows = co_await offload(rc.ctx.dbPool,
                                     [&] { return store.listResources(spec->kind, org, q); });
        if (!spec->present) {  // bodies are stored serialized: splice them, no re-parse
            std::string out = "[";
            for (size_t i = 0; i < rows.size(); ++i) {
                if (i) out += ',';
                out += rows[i].body;
            }
            out += ']';
            co_return net::HttpResponse::json(200, std::move(out));
        }
        json::array out;
        out.reserve(rows.size());
        for (auto& r : rows) out.emplace_back(present(*spec, r.body));
        co_return jsonResponse(200, out);
    });

    if (!spec->v2Path.empty())
        router.add("GET", spec->v2Path, [spec](RequestContext& rc) { return listPage(rc, spec); });

    std::string itemPath = spec->path + "/:id";
    router.add("GET", itemPath, [spec](RequestContext& rc) -> Awaitable {
        auto row = co_await loadOr404(rc, spec->kind, spec->label, rc.param("id"));
        if (!spec->present) co_return net::HttpResponse::json(200, std::move(row.body));
        co_return jsonResponse(200, present(*spec, row.body));
    });

    router.add("PATCH", itemPath, [spec](RequestContext& rc) -> Awaitable {
        json::object patch = rc.jsonBody();
        auto row = co_await loadOr404(rc, spec->kind, spec->label, rc.param("id"));
        json::object o = parseObject(row.body);
        const json::value stored = o;
        {  // credentials[] sent back as read (keys hidden) keep their stored keys
            json::value given = std::move(patch);
            keepInlineCredentialSecrets(stored, given);
            patch = std::move(given.as_object());
        }
        json::object toValidate = patch;
        dropNulls(toValidate);
        if (!spec->discriminator.empty()) {
            auto* stored = o.if_contains(spec->discriminator);
            auto* given = toValidate.if_contains(spec->discriminator);
            if (given && stored && *given != *stored)
                throw ApiError::badRequest(std::vector<std::string>{
                    spec->discriminator + " cannot be changed"});
            if (!given && stored) toValidate[spec->discriminator] = *stored;
        }
        validateOrThrow(spec->updateSchema, toValidate);
        if (spec->check)
            if (auto errors = spec->check(toValidate); !errors.empty()) throw ApiError::badRequest(std::move(errors));
        for (auto& kv : patch) {
            std::string_view k = kv.key();
            if (k == "id" || k == "orgId" || k == "createdAt" || k == "updatedAt") continue;
            if (kv.value().is_null())
                o.erase(k);
            else
                o[k] = kv.value();
        }
        guardCredentialRefs(rc.principal, &stored, o);
        row.updatedAt = isoNow();
        o["updatedAt"] = row.updatedAt;
        if (spec->onUpdate) spec->onUpdate(o, rc);
        fillAttrs(*spec, o, row);
        row.body = json::serialize(o);
        auto& store = rc.ctx.store;
        bool ok = co_await offload(rc.ctx.dbPool, [&] { return store.updateResource(row); });
        if (!ok) throw ApiError::notFound(spec->label + " not found");
        if (spec->present) spec->present(o);
        co_return jsonResponse(200, o);
    });

    router.add("DELETE", itemPath, [spec](RequestContext& rc) -> Awaitable {
        auto row = co_await loadOr404(rc, spec->kind, spec->label, rc.param("id"));
        json::object o = parseObject(row.body);
        if (spec->onDelete) spec->onDelete(o, rc);
        auto& store = rc.ctx.store;
        std::string org = rc.orgId();
        bool ok = co_await offload(rc.ctx.dbPool,
                                   [&] { return store.deleteResource(spec->kind, org, row.id); });
        if (!ok) throw ApiError::notFound(spec->label + " not found");
        if (spec->present) spec->present(o);
        co_return jsonResponse(200, o);
    });
}

}  // namespace voxa::api
