// POST /analytics: Vapi's AnalyticsQueryDTO over the org's calls. Each query picks calls
// created in its timeRange (default: the last 7 days), groups them by time bucket (`step`,
// UTC) and `groupBy` fields, and applies sum/avg/count/min/max to a column. Durations are
// in minutes, costs in USD. The `subscription` table (plan limits) has no rows here.
#include <boost/json.hpp>

#include <cmath>
#include <ctime>
#include <map>

#include "api/errors.h"
#include "api/resources.h"
#include "common/offload.h"
#include "common/time.h"

namespace voxa::api {

namespace json = boost::json;

namespace {

struct Op {
    std::string operation, column, alias;
};

struct Query {
    std::string name, table;
    std::vector<Op> ops;
    std::vector<std::string> groupBy;
    int64_t startMs = 0, endMs = 0;
    std::string step;  // empty: no time buckets
    json::object timeRange;
};

const json::value* path(const json::object& o, std::string_view dotted) {
    const json::object* cur = &o;
    for (;;) {
        auto dot = dotted.find('.');
        auto* v = cur->if_contains(dotted.substr(0, dot));
        if (!v || dot == std::string_view::npos) return v;
        if (!v->is_object()) return nullptr;
        cur = &v->as_object();
        dotted.remove_prefix(dot + 1);
    }
}

double minutes(const json::object& call) {
    auto* s = call.if_contains("startedAt");
    auto* e = call.if_contains("endedAt");
    if (!s || !e || !s->is_string() || !e->is_string()) return 0;
    auto a = parseIsoMs(s->as_string()), b = parseIsoMs(e->as_string());
    return a && b && *b > *a ? static_cast<double>(*b - *a) / 60000.0 : 0;
}

// The column's value for one call (nullopt: the call has none, so it does not count).
std::optional<double> columnValue(const json::object& call, const std::string& column) {
    if (column == "id") return 1.0;
    if (column == "duration" || column == "minutesUsed") return minutes(call);
    if (column == "concurrency") return std::nullopt;
    auto* v = path(call, column);
    if (!v || !v->is_number()) return std::nullopt;
    return v->to_number<double>();
}

// The start of the UTC bucket holding `ms`.
int64_t bucketStart(int64_t ms, const std::string& step) {
    if (step == "second") return ms - ms % 1000;
    if (step == "minute") return ms - ms % 60000;
    if (step == "hour") return ms - ms % 3600000;
    time_t t = static_cast<time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (step == "week") tm.tm_mday -= (tm.tm_wday + 6) % 7;  // weeks start on Monday
    else if (step == "month") tm.tm_mday = 1;
    else if (step == "quarter") tm.tm_mday = 1, tm.tm_mon -= tm.tm_mon % 3;
    else if (step == "year") tm.tm_mday = 1, tm.tm_mon = 0;
    else if (step == "decade") tm.tm_mday = 1, tm.tm_mon = 0, tm.tm_year -= (tm.tm_year + 1900) % 10;
    else if (step == "century") tm.tm_mday = 1, tm.tm_mon = 0, tm.tm_year -= (tm.tm_year + 1900) % 100;
    else if (step == "millennium") tm.tm_mday = 1, tm.tm_mon = 0, tm.tm_year -= (tm.tm_year + 1900) % 1000;
    return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string defaultAlias(const std::string& op, const std::string& column) {
    std::string c = column;
    if (!c.empty()) c[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(c[0])));
    return op + c;
}

std::vector<Query> parse(const json::object& body) {
    std::vector<Query> out;
    int64_t now = epochMs();
    for (auto& qv : body.at("queries").as_array()) {
        auto& q = qv.as_object();
        Query r;
        r.name = std::string(q.at("name").as_string());
        r.table = std::string(q.at("table").as_string());
        for (auto& ov : q.at("operations").as_array()) {
            auto& o = ov.as_object();
            Op op{std::string(o.at("operation").as_string()), std::string(o.at("column").as_string()), ""};
            auto* alias = o.if_contains("alias");
            op.alias = alias && alias->is_string() ? std::string(alias->as_string())
                                                   : defaultAlias(op.operation, op.column);
            r.ops.push_back(std::move(op));
        }
        if (auto* g = q.if_contains("groupBy"); g && g->is_array())
            for (auto& x : g->as_array()) r.groupBy.emplace_back(x.as_string());
        r.startMs = now - 7LL * 24 * 3600 * 1000;
        r.endMs = now;
        if (auto* tr = q.if_contains("timeRange"); tr && tr->is_object()) {
            auto& t = tr->as_object();
            auto time = [&](const char* k, int64_t& into) {
                auto* v = t.if_contains(k);
                if (!v) return;
                auto ms = v->is_string() ? parseIsoMs(v->as_string()) : std::nullopt;
                if (!ms) throw ApiError::badRequest(std::vector<std::string>{
                    std::string("timeRange.") + k + " must be a valid ISO 8601 date string"});
                into = *ms;
            };
            time("start", r.startMs);
            time("end", r.endMs);
            if (auto* s = t.if_contains("step"); s && s->is_string()) r.step = std::string(s->as_string());
            if (auto* tz = t.if_contains("timezone"); tz && tz->is_string() && tz->as_string() != "UTC")
                throw ApiError::badRequest(std::vector<std::string>{"timeRange.timezone: only UTC is supported"});
        }
        r.timeRange = {{"start", isoFromMs(r.startMs)}, {"end", isoFromMs(r.endMs)}, {"timezone", "UTC"}};
        if (!r.step.empty()) r.timeRange["step"] = r.step;
        out.push_back(std::move(r));
    }
    return out;
}

struct Acc {
    double sum = 0, min = INFINITY, max = -INFINITY;
    int64_t n = 0;
};

json::array run(const Query& q, const std::vector<json::object>& calls) {
    // Key: bucket ms + the group values, in order; value: one accumulator per operation.
    std::map<std::pair<int64_t, std::vector<std::string>>, std::vector<Acc>> groups;
    for (auto& c : calls) {
        std::vector<std::string> key;
        for (auto& g : q.groupBy) {
            auto* v = path(c, g);
            key.push_back(!v ? "" : v->is_string() ? std::string(v->as_string()) : json::serialize(*v));
        }
        int64_t bucket = 0;
        if (!q.step.empty()) {
            auto* created = c.if_contains("createdAt");
            auto ms = created && created->is_string() ? parseIsoMs(created->as_string()) : std::nullopt;
            bucket = bucketStart(ms.value_or(0), q.step);
        }
        auto& accs = groups[{bucket, key}];
        accs.resize(q.ops.size());
        for (size_t i = 0; i < q.ops.size(); ++i) {
            auto v = columnValue(c, q.ops[i].column);
            if (!v) continue;
            auto& a = accs[i];
            a.sum += *v, a.n += 1, a.min = std::min(a.min, *v), a.max = std::max(a.max, *v);
        }
    }
    json::array rows;
    for (auto& [k, accs] : groups) {
        json::object row;
        if (!q.step.empty()) row["date"] = isoFromMs(k.first);
        for (size_t i = 0; i < q.groupBy.size(); ++i) row[q.groupBy[i]] = k.second[i];
        for (size_t i = 0; i < q.ops.size(); ++i) {
            auto& a = accs[i];
            auto& op = q.ops[i].operation;
            double v = op == "count" ? static_cast<double>(a.n)
                       : a.n == 0    ? 0
                       : op == "avg" ? a.sum / static_cast<double>(a.n)
                       : op == "min" ? a.min
                       : op == "max" ? a.max
                                     : a.sum;  // sum, history
            // Whole numbers as integers ("countId": 3, not 3E0).
            if (std::trunc(v) == v && std::fabs(v) < 9.0e15) row[q.ops[i].alias] = static_cast<int64_t>(v);
            else row[q.ops[i].alias] = v;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Awaitable analytics(RequestContext& rc) {
    json::object body = rc.jsonBody();
    validateOrThrow("AnalyticsQueryDTO", body);
    auto queries = parse(body);
    auto& store = rc.ctx.store;
    std::string org = rc.orgId();
    auto result = co_await offload(rc.ctx.dbPool, [&] {
        json::array out;
        for (auto& q : queries) {
            std::vector<json::object> calls;
            if (q.table == "call") {
                store::ListQuery lq;
                lq.limit = 100000;
                lq.createdAtGe = isoFromMs(q.startMs);
                lq.createdAtLe = isoFromMs(q.endMs);
                for (auto& r : store.listResources("call", org, lq)) calls.push_back(parseObject(r.body));
            }
            out.push_back(json::object{{"name", q.name}, {"timeRange", q.timeRange}, {"result", run(q, calls)}});
        }
        return out;
    });
    co_return jsonResponse(201, result);
}

}  // namespace

void registerAnalytics(Router& router) { router.add("POST", "/analytics", analytics); }

}  // namespace voxa::api
