#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "call/call.h"
#include "call/lease.h"
#include "call/pending.h"
#include "call/session.h"
#include "call/twilio.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/offload.h"
#include "common/time.h"
#include "common/url.h"
#include "providers/credentials.h"
#include "providers/providers.h"
#include "net/http_client.h"

namespace voxa::call {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::str;

std::mutex gPendingMu;
std::map<std::string, Pending>& pending() {
    static std::map<std::string, Pending> p;
    return p;
}

namespace {

json::object builtinVariables(const json::object& call) {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char date[32], time[32], month[16], day[8], year[8], now[64];
    std::strftime(date, sizeof date, "%b %d, %Y", &tm);
    std::strftime(time, sizeof time, "%I:%M %p", &tm);
    std::strftime(month, sizeof month, "%B", &tm);
    std::strftime(day, sizeof day, "%d", &tm);
    std::strftime(year, sizeof year, "%Y", &tm);
    std::strftime(now, sizeof now, "%b %d, %Y, %I:%M %p UTC", &tm);
    json::object v{{"now", now}, {"date", date}, {"time", time},
                   {"month", month}, {"day", day}, {"year", year},
                   {"call.id", str(call, "id")}, {"call.type", str(call, "type")},
                   {"transport.conversationType", "voice"}};
    if (auto* c = call.if_contains("customer"); c && c->is_object())
        for (auto& kv : c->as_object())
            if (kv.value().is_string())
                v["customer." + std::string(kv.key())] = kv.value();
    return v;
}

// A free coroutine with by-value parameters (g++ 12: no capturing lambda coroutines).
asio::awaitable<json::object> loadResource(store::Store& store, asio::thread_pool& pool,
                                           std::string kind, std::string orgId, std::string id) {
    if (!isUuid(id)) throw CallError(400, kind + "Id must be a UUID");
    auto row = co_await offload(pool, [&] { return store.getResource(kind, orgId, id); });
    if (!row)
        throw CallError(400, "Couldn't Get " +
                                 std::string(kind == "assistant" ? "Assistant" : "Squad") + ". " +
                                 id + " Not Found");
    co_return json::parse(row->body).as_object();
}

// Every server.credentialId under `v` (assistant.server, tools' servers, ...).
void collectCredentialIds(const json::value& v, std::set<std::string>& out) {
    if (v.is_object()) {
        auto& o = v.as_object();
        if (auto* s = o.if_contains("server"); s && s->is_object())
            if (auto id = str(s->as_object(), "credentialId"); !id.empty()) out.insert(id);
        for (auto& kv : o) collectCredentialIds(kv.value(), out);
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) collectCredentialIds(e, out);
    }
}

// The org's server settings and the webhook credentials the call may use.
asio::awaitable<ServerContext> loadServerContext(store::Store& store, asio::thread_pool& pool,
                                                 std::string orgId, json::object assistant) {
    ServerContext ctx;
    auto org = co_await offload(pool, [&] { return store.getOrg(orgId); });
    if (org) {
        boost::system::error_code ec;
        auto body = json::parse(org->body, ec);
        if (!ec && body.is_object())
            for (auto* k : {"server", "serverUrl", "serverUrlSecret"})
                if (auto* v = body.as_object().if_contains(k)) ctx.org[k] = *v;
    }
    std::set<std::string> ids;
    collectCredentialIds(assistant, ids);
    collectCredentialIds(ctx.org, ids);
    for (auto& id : ids) {
        auto row = co_await offload(pool, [&] { return store.getResource("credential", orgId, id); });
        if (!row) continue;
        boost::system::error_code ec;
        auto body = json::parse(row->body, ec);
        if (!ec && body.is_object()) ctx.credentials[id] = body.as_object();
    }
    co_return ctx;
}

// The credentials of the providers `runners` (the assistant, or each squad member) use,
// resolved as providers/credentials.h says; throws 400 for a required key that is missing.
// The first runner that has a credential for a provider gives it (squads share one map).
asio::awaitable<std::map<std::string, providers::ProviderCredential>> resolveProviderCredentials(
    store::Store& store, asio::thread_pool& pool, std::string orgId,
    std::vector<const json::object*> runners, bool single) {
    std::set<std::string> names;
    for (auto* a : runners)
        for (auto& k : providers::keyedProviders(*a)) names.insert(k.provider);
    // An "openai" model may run on the org's Azure OpenAI deployment (providers/credentials.h).
    if (names.count("openai")) names.insert("azure-openai");
    std::vector<json::object> stored;
    for (auto& name : names) {
        auto rows = co_await offload(pool, [&] {
            store::ListQuery q;
            q.a1 = name;
            return store.listResources("credential", orgId, q);
        });
        for (auto& row : rows) {
            boost::system::error_code ec;
            auto body = json::parse(row.body, ec);
            if (!ec && body.is_object()) stored.push_back(std::move(body.as_object()));
        }
    }
    std::map<std::string, providers::ProviderCredential> out;
    for (size_t i = 0; i < runners.size(); ++i) {
        std::vector<std::string> missing;
        auto creds = providers::resolveCredentials(*runners[i], stored, &missing);
        if (!missing.empty())
            throw CallError(400, (single ? std::string("assistant.")
                                         : "squad.members[" + std::to_string(i) + "].assistant.") +
                                     missing.front());
        for (auto& [name, cred] : creds) out.emplace(name, std::move(cred));
    }
    co_return out;
}

// model.toolIds -> the stored tools, appended to model.tools (as Vapi resolves them).
asio::awaitable<void> resolveToolIds(store::Store& store, asio::thread_pool& pool,
                                     std::string orgId, json::object& assistant) {
    auto* model = assistant.if_contains("model");
    if (!model || !model->is_object()) co_return;
    auto* ids = model->as_object().if_contains("toolIds");
    if (!ids || !ids->is_array() || ids->as_array().empty()) co_return;
    json::array tools;
    if (auto* t = model->as_object().if_contains("tools"); t && t->is_array()) tools = t->as_array();
    for (auto& idv : ids->as_array()) {
        if (!idv.is_string()) continue;
        std::string id(idv.as_string());
        if (!isUuid(id)) throw CallError(400, "model.toolIds must contain UUIDs");
        auto row = co_await offload(pool, [&] { return store.getResource("tool", orgId, id); });
        if (!row) throw CallError(400, "Couldn't Get Tool. " + id + " Not Found");
        tools.push_back(json::parse(row->body));
    }
    model->as_object()["tools"] = std::move(tools);
}

// {{variables}} in every string of the assistant: built-ins, then variableValues.
json::object withVariables(json::object assistant, const json::object& builtins,
                           const json::object& variables) {
    json::object vars = builtins;
    for (auto& kv : variables) vars[kv.key()] = kv.value();
    // The local scripted model's own templates ({{text}}, {{result}}, {{1}}) are not Vapi
    // variables: keep them out of the substitution.
    json::object script;
    if (auto* m = assistant.if_contains("model"); m && m->is_object())
        for (auto* k : {"rules", "fallback", "emptyReply", "greeting", "toolReply"})
            if (auto* v = m->as_object().if_contains(k)) {
                script[k] = *v;
                m->as_object().erase(k);
            }
    // apiRequest tools template their url and headers with the model's arguments when they
    // run ({{id}}), so those stay as written too.
    std::vector<std::pair<size_t, json::object>> requests;
    if (auto* m = assistant.if_contains("model"); m && m->is_object())
        if (auto* tools = m->as_object().if_contains("tools"); tools && tools->is_array())
            for (size_t i = 0; i < tools->as_array().size(); ++i)
                if (auto& t = tools->as_array()[i]; t.is_object() && str(t.as_object(), "type") == "apiRequest")
                    requests.emplace_back(i, t.as_object());
    json::value v = std::move(assistant);
    applyVariables(v, vars);
    for (auto& kv : script) v.as_object()["model"].as_object()[kv.key()] = kv.value();
    for (auto& [i, t] : requests) {
        auto& tool = v.as_object()["model"].as_object()["tools"].as_array()[i].as_object();
        for (auto* k : {"url", "headers"})
            if (auto* orig = t.if_contains(k)) tool[k] = *orig;
    }
    return std::move(v.as_object());
}

// assistantOverrides on an assistant: tools:append, variableValues (returned), the rest
// replaces top-level keys; then model.toolIds are resolved.
asio::awaitable<void> prepareAssistant(store::Store& store, asio::thread_pool& pool, std::string orgId,
                                       json::object& assistant, json::object overrides,
                                       json::object& variables) {
    for (auto* k : {"id", "orgId", "createdAt", "updatedAt"}) assistant.erase(k);
    for (auto& kv : overrides) {
        if (kv.key() == "variableValues") {
            if (kv.value().is_object()) variables = kv.value().as_object();
        } else if (kv.key() == "tools:append") {
            auto& model = assistant["model"];
            if (!model.is_object()) model = json::object{{"provider", "local"}};
            auto& tools = model.as_object()["tools"];
            if (!tools.is_array()) tools = json::array{};
            if (kv.value().is_array())
                for (auto& t : kv.value().as_array()) tools.as_array().push_back(t);
        } else {
            assistant[kv.key()] = kv.value();
        }
    }
    co_await resolveToolIds(store, pool, orgId, assistant);
}

// A squad member's assistantDestinations become a transferCall tool the model can use to
// hand the call to another member (as Vapi adds it).
void addHandoffTool(json::object& assistant, const json::object& member) {
    auto* dests = member.if_contains("assistantDestinations");
    if (!dests || !dests->is_array() || dests->as_array().empty()) return;
    json::array destinations, names;
    std::string described;
    for (auto& d : dests->as_array()) {
        if (!d.is_object()) continue;
        auto& o = d.as_object();
        std::string name = str(o, "assistantName");
        if (name.empty()) continue;
        json::object dest{{"type", "assistant"}, {"assistantName", name}};
        for (auto* k : {"message", "description", "transferMode"})
            if (auto* v = o.if_contains(k)) dest[k] = *v;
        destinations.push_back(std::move(dest));
        names.push_back(json::string(name));
        described += "\n- " + name + (str(o, "description").empty() ? "" : ": " + str(o, "description"));
    }
    if (destinations.empty()) return;
    json::object fn{
        {"name", "transferCall"},
        {"description", "Transfer the call to another assistant of the team when the caller needs it:" + described},
        {"parameters", json::object{{"type", "object"},
                                    {"properties", json::object{{"destination", json::object{{"type", "string"}, {"enum", names}}}}},
                                    {"required", json::array{"destination"}}}}};
    auto& model = assistant["model"];
    if (!model.is_object()) model = json::object{{"provider", "local"}};
    auto& tools = model.as_object()["tools"];
    if (!tools.is_array()) tools = json::array{};
    tools.as_array().push_back(json::object{{"type", "transferCall"}, {"destinations", std::move(destinations)}, {"function", std::move(fn)}});
}

}  // namespace

CallManager::CallManager(store::Store& store, asio::thread_pool& dbPool, asio::thread_pool& compute,
                         CallSettings settings)
    : store_(store), dbPool_(dbPool), compute_(compute), settings_(std::move(settings)) {
    // nice 10 for the recordings thread: bulk work that can wait (lowering needs no rights).
    asio::post(recordings_, [] { ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10); });
}

CallManager::~CallManager() = default;

std::string CallManager::baseUrl() const {
    std::string base = settings_.publicUrl;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

std::string CallManager::wsBaseUrl() const {
    std::string base = baseUrl();
    if (base.starts_with("https://")) return "wss://" + base.substr(8);
    if (base.starts_with("http://")) return "ws://" + base.substr(7);
    return base;
}

std::string CallManager::recordingPath(const std::string& orgId, const std::string& callId,
                                       const std::string& kind) const {
    return (std::filesystem::path(settings_.dataDir) / "recordings" / orgId /
            (callId + "-" + kind + ".wav"))
        .string();
}

asio::awaitable<json::object> CallManager::create(std::string orgId, json::object body) {
    if (body.contains("phoneNumber") || body.contains("customers"))
        throw CallError(400, "Inline phoneNumber and customers[] batches are not available yet; use phoneNumberId and customer.");
    if (body.contains("phoneNumberId")) {
        json::object call = co_await placeOutbound(std::move(orgId), std::move(body));
        co_return call;
    }
    json::object limits;
    json::object call = co_await createCall(std::move(orgId), std::move(body), nullptr, &limits);
    call["subscriptionLimits"] = std::move(limits);
    co_return call;
}

asio::awaitable<json::object> CallManager::createWeb(std::string orgId, json::object body) {
    json::object limits;
    json::object call = co_await createCall(std::move(orgId), std::move(body), nullptr, &limits, "webCall");
    call["subscriptionLimits"] = std::move(limits);
    co_return call;
}

// An outbound phone call over Twilio: the call is created (waiting for its stream), then
// Twilio's REST API is asked to dial the customer with TwiML that connects the answered
// call to our Media Stream endpoint.
asio::awaitable<json::object> CallManager::placeOutbound(std::string orgId, json::object body) {
    std::string phoneId = str(body, "phoneNumberId");
    if (!isUuid(phoneId)) throw CallError(400, "phoneNumberId must be a UUID");
    json::object customer;
    if (auto* c = body.if_contains("customer"); c && c->is_object()) customer = c->as_object();
    std::string to = str(customer, "number");
    if (to.empty()) throw CallError(400, "customer.number is required for a phone call");
    auto row = co_await offload(dbPool_, [&] { return store_.getResource("phone-number", orgId, phoneId); });
    if (!row) throw CallError(400, "Couldn't Get Phone Number. " + phoneId + " Not Found");
    json::object phone = json::parse(row->body).as_object();
    if (str(phone, "provider") != "twilio")
        throw CallError(400, "Outbound calls need a phone number with provider twilio (this one is " +
                                 str(phone, "provider") + ")");
    // The number's assistant when the body names none.
    if (!body.contains("assistantId") && !body.contains("assistant") && !body.contains("squadId") && !body.contains("squad"))
        for (auto* k : {"assistantId", "squadId"})
            if (auto v = str(phone, k); !v.empty()) body[k] = v;
    json::object shown = phone;
    for (auto* k : {"twilioAuthToken", "twilioApiSecret"}) shown.erase(k);
    Inbound in{.callId = newId(), .phoneNumber = shown, .from = to, .provider = "twilio",
               .accountSid = str(phone, "twilioAccountSid"), .authToken = str(phone, "twilioAuthToken"),
               .outbound = true};
    json::object limits;
    json::object call = co_await createCall(orgId, std::move(body), &in, &limits);

    // Twilio reports the call's progress to /twilio/status/<callId> (signed, as the voice
    // webhook): busy, no-answer, failed and canceled end the call, answered restarts the join
    // bound (twilioStatus). Timeout is how long it rings (kRingSeconds, Twilio's default).
    std::string twiml = twilio::streamTwiml(wsBaseUrl() + "/" + in.callId + "/twilio", in.token);
    std::string form = "To=" + url::percentEncode(to) + "&From=" + url::percentEncode(str(phone, "number")) +
                       "&Twiml=" + url::percentEncode(twiml) + "&Timeout=" + std::to_string(kRingSeconds) +
                       "&StatusCallback=" + url::percentEncode(baseUrl() + "/twilio/status/" + in.callId) +
                       "&StatusCallbackMethod=POST";
    for (auto* event : {"initiated", "ringing", "answered", "completed"})
        form += std::string("&StatusCallbackEvent=") + event;
    auto req = twilio::restRequest(settings_.twilioApiUrl, in.accountSid, in.authToken, "/Calls.json",
                                   std::move(form));
    auto res = co_await net::fetch(std::move(req));
    std::string sid;
    if (res.success()) {
        boost::system::error_code ec;
        auto v = json::parse(res.body, ec);
        if (!ec && v.is_object()) sid = str(v.as_object(), "sid");
    }
    if (sid.empty()) {
        std::string why = !res.ok() ? std::string(net::toString(res.errorKind)) + ": " + res.error
                                    : "HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300);
        spdlog::warn(R"({{"msg":"twilio refused the outbound call","callId":"{}","error":{}}})", in.callId,
                     json::serialize(json::value(why)));
        {
            std::lock_guard lock(gPendingMu);
            pending().erase(in.callId);
        }
        call["status"] = "ended";
        call["endedReason"] = "twilio-failed-to-connect-call";
        call["endedAt"] = isoNow();
        co_await saveRecord(orgId, in.callId, call);
        co_await dropLease(orgId, in.callId);
        throw CallError(400, "Twilio could not place the call: " + why);
    }
    call["phoneCallProviderId"] = sid;
    bool waiting = false;
    {
        std::lock_guard lock(gPendingMu);
        if (auto it = pending().find(in.callId); it != pending().end() && !it->second.taken) {
            waiting = true;
            it->second.setup.telephony["callSid"] = sid;
            if (it->second.ringing) call["status"] = "ringing";  // a status callback came first
        }
    }
    if (waiting) {
        co_await saveRecord(orgId, in.callId, call);
    } else {
        // Twilio's callbacks already ended (or the stream joined) the call while it answered
        // us: the stored record is newer than `call`.
        auto row = co_await offload(dbPool_, [&] { return store_.getResource("call", orgId, in.callId); });
        boost::system::error_code ec;
        auto stored = row ? json::parse(row->body, ec) : json::value();
        if (!ec && stored.is_object()) call = std::move(stored.as_object());
    }
    call["subscriptionLimits"] = std::move(limits);
    co_return call;
}

// By value (the style for coroutines here): `in` lives in this frame while createCall runs.
asio::awaitable<CallManager::InboundCall> CallManager::createInbound(std::string orgId, json::object body,
                                                                     Inbound in) {
    json::object call = co_await createCall(std::move(orgId), std::move(body), &in);
    co_return InboundCall{std::move(call), in.token};
}

asio::awaitable<std::shared_ptr<void>> CallManager::acquireSlot(std::string orgId, json::object* limits) {
    auto org = co_await offload(dbPool_, [&] { return store_.getOrg(orgId); });
    int limit = concurrencyLimitOf(org ? org->body : std::string());
    int before = 0;
    auto slot = concurrency_.tryAcquire(orgId, limit, before);
    json::object sl{{"concurrencyBlocked", !slot},
                    {"concurrencyLimit", limit},
                    {"remainingConcurrentCalls", std::max(0, limit - before)}};
    if (!slot) {
        spdlog::warn(R"({{"msg":"call refused: concurrency limit","orgId":"{}","limit":{}}})", orgId, limit);
        CallError e(400, "Over Concurrency Limit");
        e.concurrencyBlocked = true;
        e.extra["subscriptionLimits"] = std::move(sl);
        throw e;
    }
    if (limits) *limits = std::move(sl);
    co_return slot;
}

asio::awaitable<json::object> CallManager::createCall(std::string orgId, json::object body,
                                                      Inbound* inbound, json::object* limits,
                                                      const char* type) {
    if (draining_) throw CallError(503, "The server is shutting down; try again on another server.");
    int sources = 0;
    for (auto* k : {"assistantId", "assistant", "squadId", "squad", "workflowId", "workflow"})
        if (body.contains(k)) ++sources;
    if (sources == 0)
        throw CallError(400, "Need Either `assistant`, `assistantId`, `squad`, `squadId`, `workflow`, or `workflowId`.");
    if (sources > 1)
        throw CallError(400, "Provide only one of `assistant`, `assistantId`, `squad`, `squadId`.");
    if (body.contains("workflowId") || body.contains("workflow"))
        throw CallError(400, "Workflows are retired; use an assistant or a squad.");
    // The org's concurrency slot, before anything else is resolved: every way out of this
    // function without a pending call gives it back.
    std::shared_ptr<void> slot = co_await acquireSlot(orgId, limits);
    // Resolve what runs the call: one assistant, or a squad whose first member starts.
    json::object callOverrides;
    if (auto* o = body.if_contains("assistantOverrides"); o && o->is_object()) callOverrides = o->as_object();
    std::string assistantId = str(body, "assistantId");
    json::object assistant;
    json::object variables;
    json::array squadMembers;  // [{name, assistant}] with overrides applied
    if (!assistantId.empty() || body.contains("assistant")) {
        if (!assistantId.empty()) assistant = co_await loadResource(store_, dbPool_, "assistant", orgId, assistantId);
        else if (auto* a = body.if_contains("assistant"); a && a->is_object()) assistant = a->as_object();
        co_await prepareAssistant(store_, dbPool_, orgId, assistant, callOverrides, variables);
    } else {
        json::object squad;
        if (auto id = str(body, "squadId"); !id.empty()) squad = co_await loadResource(store_, dbPool_, "squad", orgId, id);
        else squad = body.at("squad").as_object();
        auto* members = squad.if_contains("members");
        if (!members || !members->is_array() || members->as_array().empty())
            throw CallError(400, "squad.members must contain at least 1 elements");
        size_t index = 0;
        for (auto& mv : members->as_array()) {
            if (!mv.is_object()) continue;
            auto& member = mv.as_object();
            json::object a;
            if (auto id = str(member, "assistantId"); !id.empty()) a = co_await loadResource(store_, dbPool_, "assistant", orgId, id);
            else if (auto* inl = member.if_contains("assistant"); inl && inl->is_object()) a = inl->as_object();
            // member.assistantOverrides, then squad.membersOverrides, then the call's.
            json::object ov;
            if (auto* mo = member.if_contains("assistantOverrides"); mo && mo->is_object()) ov = mo->as_object();
            if (auto* mo = squad.if_contains("membersOverrides"); mo && mo->is_object())
                for (auto& kv : mo->as_object()) ov[kv.key()] = kv.value();
            for (auto& kv : callOverrides) ov[kv.key()] = kv.value();
            addHandoffTool(a, member);
            json::object vars;
            co_await prepareAssistant(store_, dbPool_, orgId, a, ov, vars);
            std::string name = str(a, "name");
            if (name.empty()) name = "member-" + std::to_string(index);
            if (index == 0) {
                assistant = a;
                variables = vars;
            }
            squadMembers.push_back(json::object{{"name", name}, {"assistant", std::move(a)}, {"variables", std::move(vars)}});
            ++index;
        }
    }

    // Every provider the call may use is on this server: refused now, not a call that ends
    // at once (squads: every member, as any may take over).
    auto& registry = providers::Registry::instance();
    if (squadMembers.empty()) {
        if (auto why = registry.unavailable(assistant)) throw CallError(400, "assistant." + *why);
    } else {
        for (size_t i = 0; i < squadMembers.size(); ++i)
            if (auto why = registry.unavailable(squadMembers[i].as_object().at("assistant").as_object()))
                throw CallError(400, "squad.members[" + std::to_string(i) + "].assistant." + *why);
    }
    // Every provider key the call needs is there: a 400 naming the provider, not a call that
    // cannot hear or speak.
    std::vector<const json::object*> runners;
    if (squadMembers.empty()) runners.push_back(&assistant);
    for (auto& m : squadMembers) runners.push_back(&m.as_object().at("assistant").as_object());
    auto providerCredentials = co_await resolveProviderCredentials(store_, dbPool_, orgId, runners,
                                                                   squadMembers.empty());

    // The record.
    json::object call;
    std::string id = inbound && !inbound->callId.empty() ? inbound->callId : newId();
    std::string now = isoNow();
    call["id"] = id;
    call["orgId"] = orgId;
    call["type"] = type ? type : !inbound ? "vapi.websocketCall" : inbound->outbound ? "outboundPhoneCall" : "inboundPhoneCall";
    call["status"] = inbound && !inbound->outbound ? "ringing" : "queued";
    for (auto* k : {"assistantId", "assistant", "assistantOverrides", "squadId", "squad", "name",
                    "metadata", "customer", "customerId"})
        if (auto* v = body.if_contains(k)) call[k] = *v;
    if (inbound && inbound->refusal) call.erase("assistant");  // a stand-in that only says why
    if (inbound) {
        call["phoneNumberId"] = str(inbound->phoneNumber, "id");
        call["customer"] = inbound->outbound && body.contains("customer") ? body.at("customer")
                                                                          : json::value(json::object{{"number", inbound->from}});
        call["phoneCallProvider"] = inbound->provider;
        call["phoneCallTransport"] = "pstn";
        call["phoneCallProviderId"] = inbound->providerCallId;
        body.erase("transport");
    }
    json::object transport{{"provider", "vapi.websocket"}};
    json::object format{{"format", "pcm_s16le"}, {"container", "raw"}, {"sampleRate", 16000}};
    if (auto* t = body.if_contains("transport"); t && t->is_object()) {
        auto& to = t->as_object();
        std::string provider = str(to, "provider");
        if (!provider.empty() && provider != "vapi.websocket")
            throw CallError(400, "transport.provider must be one of the following values: vapi.websocket");
        if (auto* af = to.if_contains("audioFormat"); af && af->is_object()) {
            for (auto& kv : af->as_object()) format[kv.key()] = kv.value();
            if (!af->as_object().contains("sampleRate") && str(format, "format") == "mulaw")
                format["sampleRate"] = 8000;
        }
    }
    std::string fmt = str(format, "format");
    if (fmt != "pcm_s16le" && fmt != "mulaw")
        throw CallError(400, "transport.audioFormat.format must be one of the following values: pcm_s16le, mulaw");
    int rate = format.at("sampleRate").is_number() ? static_cast<int>(format.at("sampleRate").to_number<double>()) : 0;
    static const int kRates[] = {8000, 16000, 22050, 24000, 44100, 48000};
    if (std::find(std::begin(kRates), std::end(kRates), rate) == std::end(kRates))
        throw CallError(400, "transport.audioFormat.sampleRate must be one of the following values: 8000, 16000, 22050, 24000, 44100, 48000");

    std::string base = baseUrl();
    std::string wsBase = wsBaseUrl();
    std::string token = randomToken(24);
    // monitor.listenUrl / controlUrl carry their own secret (192 bits): a call id alone
    // (it is in every webhook and log line) gives no way to listen or to steer the call.
    std::string monitorSecret = randomToken(24);
    if (inbound) {
        inbound->token = token;  // the telephony transport carries it (e.g. a TwiML <Parameter>)
    } else {
        transport["audioFormat"] = format;
        transport["websocketCallUrl"] = wsBase + "/" + id + "/transport?token=" + token;
        call["transport"] = transport;
    }
    call["monitor"] = json::object{{"listenUrl", wsBase + "/" + id + "/" + monitorSecret + "/listen"},
                                   {"controlUrl", base + "/" + id + "/" + monitorSecret + "/control"}};
    call["createdAt"] = now;
    call["updatedAt"] = now;

    json::object builtins = builtinVariables(call);
    json::value resolved = withVariables(assistant, builtins, variables);
    for (auto& m : squadMembers) {
        auto& mo = m.as_object();
        mo["assistant"] = withVariables(mo["assistant"].as_object(), builtins, mo["variables"].as_object());
        mo.erase("variables");
    }

    store::Resource r{.id = id, .orgId = orgId, .kind = "call", .createdAt = now, .updatedAt = now,
                      .body = json::serialize(call), .a1 = assistantId,
                      .a2 = inbound ? str(inbound->phoneNumber, "id") : "", .a3 = str(call, "status")};
    json::object forCredentials = resolved.as_object();
    forCredentials["squad"] = squadMembers;
    if (inbound) forCredentials["phoneNumber"] = inbound->phoneNumber;
    ServerContext server = co_await loadServerContext(store_, dbPool_, orgId, std::move(forCredentials));
    server.providers = std::move(providerCredentials);
    // The lease says this node runs the call until its record is final (call/lease.h).
    store::Resource lease = leaseResource(id, orgId, settings_.nodeId, resolved.as_object(),
                                          inbound ? inbound->phoneNumber : json::object{}, server);
    co_await offload(dbPool_, [&] {
        store_.insertResource(r);
        store_.insertResource(lease);
        return true;
    });
    {
        std::lock_guard lock(gPendingMu);
        pending()[id] = Pending{.token = token, .orgId = orgId,
                                .setup = CallSetup{std::move(resolved.as_object()), std::move(server),
                                                   inbound ? inbound->phoneNumber : json::object{},
                                                   inbound ? json::object{{"provider", inbound->provider},
                                                                          {"accountSid", inbound->accountSid},
                                                                          {"authToken", inbound->authToken},
                                                                          {"callSid", inbound->providerCallId}}
                                                           : json::object{},
                                                   std::move(squadMembers), monitorSecret, std::move(slot),
                                                   inbound ? inbound->refusal : std::nullopt},
                                .answered = inbound && !inbound->outbound};
    }
    // Nobody joins: the call ends after the join timeout, like any call that ends. An
    // outbound call may ring first (Twilio's answered callback restarts the bound).
    double bound = settings_.joinTimeoutSeconds + (inbound && inbound->outbound ? kRingSeconds : 0);
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, expireUnjoined(id, bound, 0), asio::detached);
    co_return call;
}

asio::awaitable<std::shared_ptr<CallSession>> CallManager::attach(
    std::string callId, std::string token, std::string bearerOrgId,
    std::shared_ptr<TransportSink> sink, asio::any_io_executor executor) {
    Pending p;
    {
        std::lock_guard lock(gPendingMu);
        auto it = pending().find(callId);
        if (it == pending().end() || it->second.taken) co_return nullptr;
        bool ok = (!token.empty() && constantTimeEquals(token, it->second.token)) ||
                  (!bearerOrgId.empty() && bearerOrgId == it->second.orgId);
        if (!ok) co_return nullptr;
        p = it->second;
        it->second.taken = true;  // stays visible to monitor() until the session is live
    }
    struct Unpend {  // however attach ends, the call is no longer pending
        std::string id;
        ~Unpend() {
            std::lock_guard lock(gPendingMu);
            pending().erase(id);
        }
    } unpend{callId};
    std::string org = p.orgId;
    auto row = co_await offload(dbPool_, [&] { return store_.getResource("call", org, callId); });
    if (!row) co_return nullptr;
    json::object record = json::parse(row->body).as_object();
    record["status"] = "in-progress";
    record["startedAt"] = isoNow();
    record["updatedAt"] = record["startedAt"];
    co_await saveRecord(org, callId, record);
    auto session = std::make_shared<CallSession>(*this, std::move(record), std::move(p.setup),
                                                 std::move(sink), executor);
    {
        std::lock_guard lock(mu_);
        live_[callId] = session;
    }
    asio::post(executor, [this, session] {
        session->start();
        if (endingAll_) session->end(kWorkerShutdown);  // attached while the server stops
    });
    co_return session;
}

asio::awaitable<void> CallManager::expireUnjoined(std::string callId, double seconds, unsigned bound) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    Pending p;
    {
        std::lock_guard lock(gPendingMu);
        auto it = pending().find(callId);
        if (it == pending().end() || it->second.taken) co_return;  // joined (or joining)
        if (it->second.bound != bound) co_return;  // restarted: a newer timer serves the call
        p = std::move(it->second);
        pending().erase(it);
    }
    spdlog::info(R"({{"msg":"call not joined in time","callId":"{}","seconds":{}}})", callId, seconds);
    json::object telephony = p.setup.telephony;
    co_await endPending(callId, p.orgId, std::move(p.setup), kNeverConnected);
    co_await hangUpLine(std::move(telephony), p.answered);
}

asio::awaitable<void> CallManager::hangUpLine(json::object telephony, bool answered) {
    if (str(telephony, "provider") != "twilio" || str(telephony, "callSid").empty() ||
        str(telephony, "accountSid").empty() || str(telephony, "authToken").empty())
        co_return;  // not a Twilio call, or one Voxa cannot act on (no REST credentials)
    co_await twilio::hangUp(settings_.twilioApiUrl, str(telephony, "accountSid"), str(telephony, "authToken"),
                            str(telephony, "callSid"), answered);
}

asio::awaitable<void> CallManager::endPending(std::string callId, std::string org, CallSetup setup,
                                              std::string reason) {
    auto row = co_await offload(dbPool_, [&] { return store_.getResource("call", org, callId); });
    if (!row) co_return;  // deleted meanwhile: the slot goes with `setup`
    boost::system::error_code pec;
    auto record = json::parse(row->body, pec);
    if (pec || !record.is_object()) co_return;
    // A session that never starts: end() sends status-update "ended", writes the record and
    // the end-of-call-report, then lets go of the call's memory and its slot.
    auto ex = co_await asio::this_coro::executor;
    auto session = std::make_shared<CallSession>(*this, std::move(record.as_object()), std::move(setup),
                                                 nullptr, ex);
    session->end(reason);
}

size_t CallManager::pendingCount() {
    std::lock_guard lock(gPendingMu);
    return pending().size();
}

void CallManager::endAll(const std::string& reason, asio::any_io_executor ex) {
    endingAll_ = true;
    std::vector<std::shared_ptr<CallSession>> sessions;
    {
        std::lock_guard lock(mu_);
        for (auto& [id, s] : live_) sessions.push_back(s);
    }
    for (auto& s : sessions)
        asio::post(s->executor(), [s, reason] { s->end(reason); });
    // Calls nobody has joined yet (a joining one becomes live and ends right after start).
    std::vector<std::pair<std::string, Pending>> waiting;
    {
        std::lock_guard lock(gPendingMu);
        for (auto it = pending().begin(); it != pending().end();) {
            if (it->second.taken) {
                ++it;
                continue;
            }
            waiting.emplace_back(it->first, std::move(it->second));
            it = pending().erase(it);
        }
    }
    for (auto& [id, p] : waiting) {
        asio::co_spawn(ex, hangUpLine(p.setup.telephony, p.answered), asio::detached);
        asio::co_spawn(ex, endPending(id, p.orgId, std::move(p.setup), reason), asio::detached);
    }
    spdlog::info(R"({{"msg":"ending calls","live":{},"waiting":{},"endedReason":"{}"}})", sessions.size(),
                 waiting.size(), reason);
}

asio::awaitable<void> CallManager::dropLease(std::string orgId, std::string callId) {
    try {
        co_await offload(dbPool_, [&] { return store_.deleteResource(kLeaseKind, orgId, callId); });
    } catch (const std::exception& e) {
        // Left behind, the lease is harmless: the next start finds the call ended and its
        // report stored, and drops it.
        spdlog::warn("call {}: cannot drop its lease: {}", callId, e.what());
    }
}

bool CallManager::canAttach(const std::string& callId, const std::string& token,
                            const std::string& bearerOrgId) {
    std::lock_guard lock(gPendingMu);
    auto it = pending().find(callId);
    if (it == pending().end() || it->second.taken || it->second.claimed) return false;
    bool ok = (!token.empty() && constantTimeEquals(token, it->second.token)) ||
              (!bearerOrgId.empty() && bearerOrgId == it->second.orgId);
    // One upgrade per call: a second request that arrives before the first one's attach
    // has marked the call taken gets 404 too (not a 101 and then an error).
    if (ok) it->second.claimed = true;
    return ok;
}

namespace {
CallManager::Monitor monitorOf(const std::string& orgId, const json::object& assistant) {
    CallManager::Monitor m{.orgId = orgId};
    if (auto* mp = assistant.if_contains("monitorPlan"); mp && mp->is_object()) {
        auto& o = mp->as_object();
        if (auto* v = o.if_contains("listenAuthenticationEnabled"); v && v->is_bool()) m.listenAuth = v->as_bool();
        if (auto* v = o.if_contains("controlAuthenticationEnabled"); v && v->is_bool()) m.controlAuth = v->as_bool();
    }
    return m;
}
}  // namespace

std::optional<CallManager::Monitor> CallManager::monitor(const std::string& callId,
                                                        std::string_view secret) {
    if (secret.empty()) return std::nullopt;
    if (auto s = live(callId)) {
        if (s->ended() || !constantTimeEquals(secret, s->monitorSecret()))
            return std::nullopt;  // ended: finishing its record
        return monitorOf(s->orgId(), s->monitorSource());
    }
    std::lock_guard lock(gPendingMu);
    auto it = pending().find(callId);
    if (it == pending().end() || !constantTimeEquals(secret, it->second.setup.monitorSecret))
        return std::nullopt;
    return monitorOf(it->second.orgId, it->second.setup.assistant);
}

bool CallManager::active(const std::string& callId) {
    if (auto s = live(callId)) return !s->ended();
    std::lock_guard lock(gPendingMu);
    return pending().count(callId) > 0;
}

std::shared_ptr<CallSession> CallManager::live(const std::string& callId) {
    std::lock_guard lock(mu_);
    auto it = live_.find(callId);
    return it == live_.end() ? nullptr : it->second;
}

size_t CallManager::liveCount() {
    std::lock_guard lock(mu_);
    return live_.size();
}

void CallManager::finished(const std::string& callId) {
    std::lock_guard lock(mu_);
    live_.erase(callId);
}

asio::awaitable<void> CallManager::saveRecord(std::string orgId, std::string callId,
                                              json::object record) {
    store::Resource r;
    r.id = callId;
    r.orgId = orgId;
    r.kind = "call";
    r.createdAt = str(record, "createdAt");
    r.updatedAt = str(record, "updatedAt");
    if (r.updatedAt.empty()) r.updatedAt = isoNow();
    r.a1 = str(record, "assistantId");
    if (auto* pn = record.if_contains("phoneNumberId"); pn && pn->is_string()) r.a2 = std::string(pn->as_string());
    r.a3 = str(record, "status");
    r.body = json::serialize(record);
    try {
        co_await offload(dbPool_, [&] { return store_.updateResource(r); });
    } catch (const std::exception& e) {
        spdlog::error("call {}: cannot save the record: {}", callId, e.what());
    }
}

}  // namespace voxa::call
