// CallSession, part 2: what the model's tool calls do (tool-calls to the server, apiRequest
// tools, transferCall, handoffs between squad members) and how their results come back.
// The session itself (audio clock, frames, messages) is in session.cpp.
#include "call/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audio/dtmf.h"
#include "call/twilio.h"
#include "common/json_fields.h"
#include "common/time.h"
#include "common/url.h"
#include "net/http_client.h"

namespace voxa::call {

namespace asio = boost::asio;
namespace json = boost::json;
using pipeline::FrameKind;
using json_fields::num;
using json_fields::str;

namespace {

// A model's tool call as Vapi sends it: arguments as an object (docs), plus flattened
// name/arguments for lenient consumers.
json::object toolCallJson(const providers::ToolCall& c) {
    boost::system::error_code ec;
    json::value args = json::parse(c.arguments, ec);
    if (ec || !args.is_object()) args = json::object{};
    return json::object{{"id", c.id},
                        {"type", "function"},
                        {"function", json::object{{"name", c.name}, {"arguments", args}}}};
}

// tool.messages[] entry of `type`, if any.
const json::object* toolMessage(const json::object& tool, std::string_view type) {
    if (auto* ms = tool.if_contains("messages"); ms && ms->is_array())
        for (auto& m : ms->as_array())
            if (m.is_object() && str(m.as_object(), "type") == type) return &m.as_object();
    return nullptr;
}

std::string messageText(const json::object& m) {
    std::string text = str(m, "content");
    if (text.empty())
        if (auto* cs = m.if_contains("contents"); cs && cs->is_array() && !cs->as_array().empty() &&
                                                  cs->as_array()[0].is_object())
            text = str(cs->as_array()[0].as_object(), "text");
    return text;
}

}  // namespace

void CallSession::handleToolCall(const providers::ToolCall& call) {
    addMessage(json::object{{"role", "tool_calls"},
                            {"toolCalls", json::array{toolCallJson(call)}},
                            {"message", ""},
                            {"time", epochMs()},
                            {"secondsFromStart", round3(secondsFromStart())}});
    pendingToolCalls_.push_back(call);
}

void CallSession::runTools() {
    auto calls = std::move(pendingToolCalls_);
    pendingToolCalls_.clear();
    if (ended_ || !pipeline_) return;
    json::array clientList, clientWith;
    toolsOutstanding_ += static_cast<int>(calls.size());
    for (auto& c : calls) {
        json::object tool;
        if (auto it = tools_.find(c.name); it != tools_.end()) tool = it->second;
        std::string type = str(tool, "type");
        if (c.name == "endCall" || type == "endCall") {
            --toolsOutstanding_;
            std::string msg = str(assistant_, "endCallMessage");
            pipeline_->addToolResult(c.id, c.name, "Call ended.", false);
            if (!msg.empty()) speak(msg, true, false);
            else if (pipeline_->state().botSpeaking || pipeline_->state().responding) {
                endReasonAfter_ = "assistant-ended-call";
                // End once what is being said now has been played.
                endAfter_.insert(pipeline_->state().nextUtterance - 1);
            } else {
                end("assistant-ended-call");
                return;
            }
            continue;
        }
        if (type == "apiRequest") {
            if (auto* m = toolMessage(tool, "request-start"))
                if (auto text = messageText(*m); !text.empty()) speak(text, false, true);
            asio::co_spawn(ex_, callApiRequest(shared_from_this(), c, tool), asio::detached);
            continue;
        }
        if (type == "transferCall" && !squad_.empty() && !tool.contains("destinations") && !server_.empty() &&
            mgr_.settings().outbox) {
            // No destinations configured: ask the server (transfer-destination-request).
            asio::co_spawn(ex_, askTransferDestination(shared_from_this(), c, tool), asio::detached);
            continue;
        }
        if (type == "transferCall" && !squad_.empty()) {
            // A squad handoff: {"destination": "<member name>"}.
            boost::system::error_code ec;
            json::value args = json::parse(c.arguments, ec);
            std::string dest = !ec && args.is_object() ? str(args.as_object(), "destination") : "";
            json::object destination;
            if (auto* ds = tool.if_contains("destinations"); ds && ds->is_array())
                for (auto& d : ds->as_array())
                    if (d.is_object() && str(d.as_object(), "assistantName") == dest) destination = d.as_object();
            if (destination.empty()) {
                toolResult(c, "There is no transfer destination named '" + dest + "'.", true, nullptr, true);
                continue;
            }
            if (auto err = handoff(dest, destination)) {
                toolResult(c, *err, true, nullptr, true);
                continue;
            }
            toolResult(c, "Transferred the call to " + dest + ".", false, nullptr, false);
            continue;
        }
        if (type == "transferCall") {
            // A number or SIP URI: {"destination": "<number or sip uri>"} or the only one.
            boost::system::error_code ec;
            json::value args = json::parse(c.arguments, ec);
            std::string want = !ec && args.is_object() ? str(args.as_object(), "destination") : "";
            json::object destination;
            if (auto* ds = tool.if_contains("destinations"); ds && ds->is_array()) {
                for (auto& d : ds->as_array())
                    if (d.is_object() && !want.empty() &&
                        (str(d.as_object(), "number") == want || str(d.as_object(), "sipUri") == want))
                        destination = d.as_object();
                if (destination.empty() && ds->as_array().size() == 1 && ds->as_array()[0].is_object())
                    destination = ds->as_array()[0].as_object();
            }
            if (destination.empty()) {
                toolResult(c, "There is no transfer destination '" + want + "'.", true, nullptr, true);
                continue;
            }
            if (auto err = startTransfer(destination, c, "")) toolResult(c, *err, true, nullptr, true);
            continue;  // the result is added once the provider took the call
        }
        if (type == "dtmf") {
            boost::system::error_code ec;
            json::value args = json::parse(c.arguments, ec);
            std::string digits = audio::dtmfDigits(!ec && args.is_object() ? str(args.as_object(), "digits") : "");
            if (digits.empty()) {
                toolResult(c, "dtmf: digits must contain keypad keys (0-9, *, #, A-D)", true, nullptr, true);
                continue;
            }
            // The tones go out as an utterance of their own, in order with speech.
            pipeline_->inject(pipeline::Frame{.kind = FrameKind::Speak, .pcm = audio::dtmfTones(digits)});
            toolResult(c, "Pressed " + digits + ".", false, nullptr, true);
            continue;
        }
        if (!type.empty() && type != "function") {
            // Other built-ins are not available yet.
            toolResult(c, "The " + type + " tool is not available on a " + str(record_, "type") + ".",
                       true, nullptr, true);
            continue;
        }
        clientList.push_back(toolCallJson(c));
        json::object withCall = tool;  // Vapi's toolWithToolCallList: the tool and its call
        withCall["toolCall"] = clientList.back();
        clientWith.push_back(std::move(withCall));
        webhooks::Target target = webhooks::targetFrom(tool.if_contains("server"), serverCtx_.credentials);
        if (target.empty()) target = server_;
        if (target.empty() || !mgr_.settings().outbox) {
            // A client-side tool: the client gets tool-calls; the model hears nothing back.
            toolResult(c, "No result returned.", false, nullptr, true);
            continue;
        }
        if (auto* m = toolMessage(tool, "request-start"))
            if (auto text = messageText(*m); !text.empty()) speak(text, false, true);
        asio::co_spawn(ex_, callToolServer(shared_from_this(), c, tool, target), asio::detached);
    }
    if (!clientList.empty())
        send("tool-calls", json::object{{"toolCallList", clientList}, {"toolWithToolCallList", clientWith}}, false);
}

namespace {
asio::awaitable<void> sayWhenDelayed(std::shared_ptr<CallSession> self, std::shared_ptr<bool> done,
                                     int64_t ms, std::string text) {
    asio::steady_timer t(self->executor());
    t.expires_after(std::chrono::milliseconds(ms));
    co_await t.async_wait(asio::use_awaitable);
    if (!*done && !self->ended())
        self->onClientMessage(json::object{{"type", "say"}, {"content", text}});
}
}  // namespace

asio::awaitable<void> CallSession::callToolServer(std::shared_ptr<CallSession> self,
                                                  providers::ToolCall call, json::object tool,
                                                  webhooks::Target target) {
    auto done = std::make_shared<bool>(false);
    if (auto* m = toolMessage(tool, "request-response-delayed"))
        if (auto text = messageText(*m); !text.empty())
            asio::co_spawn(self->ex_,
                           sayWhenDelayed(self, done, static_cast<int64_t>(num(*m, "timingMilliseconds", 1000)), text),
                           asio::detached);
    json::object tc = toolCallJson(call);
    json::object withCall = tool;
    withCall["toolCall"] = tc;
    // Legacy model.functions get Vapi's function-call message; tools get tool-calls.
    bool legacy = tool.contains("legacyFunction");
    std::string type = legacy ? "function-call" : "tool-calls";
    std::string body = legacy
        ? self->serverBody("function-call",
                           json::object{{"functionCall", json::object{{"name", call.name},
                                                                      {"parameters", tc.at("function").at("arguments")}}}},
                           true)
        : self->serverBody("tool-calls",
                           json::object{{"toolCallList", json::array{tc}}, {"toolWithToolCallList", json::array{withCall}}},
                           true);
    auto logs = self->mgr_.settings().outbox->logs();
    webhooks::Reply reply = co_await webhooks::request(target, std::move(body), type,
                                                       self->orgId_, self->id_, logs);
    *done = true;
    if (self->ended_) co_return;

    std::string result;
    bool isError = false;
    const json::object* spoken = nullptr;
    json::object spokenCopy;
    auto text = [](const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); };
    if (!reply.ok()) {
        result = reply.error;
        isError = true;
    } else if (reply.json.is_object()) {
        auto& o = reply.json.as_object();
        const json::object* item = nullptr;
        if (auto* rs = o.if_contains("results"); rs && rs->is_array()) {
            for (auto& r : rs->as_array())
                if (r.is_object() && str(r.as_object(), "toolCallId") == call.id) item = &r.as_object();
            if (!item && rs->as_array().size() == 1 && rs->as_array()[0].is_object())
                item = &rs->as_array()[0].as_object();
        } else {
            item = &o;  // {"result": ...} (legacy function-call) or a top-level {"error": ...}
        }
        if (item) {
            if (auto* e = item->if_contains("error"); e && !e->is_null()) {
                result = text(*e);
                isError = true;
            } else if (auto* r = item->if_contains("result"); r && !r->is_null()) {
                result = text(*r);
            }
            if (auto* m = item->if_contains("message"); m && m->is_object()) {
                spokenCopy = m->as_object();
                spoken = &spokenCopy;
            }
        }
    }
    if (result.empty()) result = "No result returned.";
    if (!spoken) spoken = toolMessage(tool, isError ? "request-failed" : "request-complete");
    if (spoken) spokenCopy = *spoken;
    self->toolResult(call, result, isError, spoken ? &spokenCopy : nullptr, true);
}

asio::awaitable<void> CallSession::callApiRequest(std::shared_ptr<CallSession> self,
                                                  providers::ToolCall call, json::object tool) {
    // apiRequest: Voxa itself calls tool.url with the model's arguments (a JSON body, or the
    // query string for GET/DELETE); {{name}} in the URL takes an argument's value.
    boost::system::error_code ec;
    json::value args = json::parse(call.arguments, ec);
    if (ec || !args.is_object()) args = json::object{};
    json::value url;
    url.emplace_string() = str(tool, "url");
    applyVariables(url, args.as_object());
    std::string method = str(tool, "method", "POST");
    net::HttpClientRequest req{.method = method, .url = std::string(url.as_string())};
    if (method == "GET" || method == "DELETE") {
        std::string q;
        for (auto& kv : args.as_object()) {
            std::string v = kv.value().is_string() ? std::string(kv.value().as_string()) : json::serialize(kv.value());
            q += (q.empty() ? "" : "&") + url::percentEncode(kv.key()) + "=" + url::percentEncode(v);
        }
        if (!q.empty()) req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + q;
    } else {
        req.headers.push_back({"Content-Type", "application/json"});
        req.body = json::serialize(args);
    }
    // headers: a JSON schema whose properties carry static `value`s (Vapi's convention).
    if (auto* h = tool.if_contains("headers"); h && h->is_object())
        if (auto* props = h->as_object().if_contains("properties"); props && props->is_object())
            for (auto& kv : props->as_object())
                if (kv.value().is_object())
                    if (auto v = str(kv.value().as_object(), "value"); !v.empty()) {
                        json::value tv;
                        tv.emplace_string() = v;
                        applyVariables(tv, args.as_object());
                        req.headers.push_back({std::string(kv.key()), std::string(tv.as_string())});
                    }
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(std::clamp(num(tool, "timeoutSeconds", 20), 1.0, 300.0) * 1000));
    req.totalTimeout = req.readTimeout = timeout;
    req.connectTimeout = std::min(timeout, std::chrono::milliseconds(10'000));
    req.maxBufferedBody = 1 << 20;
    int64_t startedMs = epochMs();
    auto t0 = std::chrono::steady_clock::now();
    std::string sentBody = req.body, sentUrl = req.url;
    auto res = co_await net::fetch(std::move(req));
    double latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (self->ended_) co_return;
    bool isError = !res.success();
    std::string result = isError ? (!res.ok() ? std::string(net::toString(res.errorKind)) + ": " + res.error
                                              : "HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 500))
                                 : res.body.substr(0, 16384);
    if (!isError && result.empty()) result = "Success.";
    if (auto logs = self->mgr_.settings().outbox ? self->mgr_.settings().outbox->logs() : nullptr)
        logs->record({.orgId = self->orgId_, .callId = self->id_, .type = "apiRequest", .url = sentUrl,
                      .requestBody = sentBody, .responseBody = res.body.substr(0, 4096),
                      .error = isError ? result : "", .eventId = call.id, .status = res.status,
                      .attempt = 1, .startedMs = startedMs, .latencyMs = latency});
    const json::object* spoken = toolMessage(tool, isError ? "request-failed" : "request-complete");
    json::object copy = spoken ? *spoken : json::object{};
    self->toolResult(call, result, isError, spoken ? &copy : nullptr, true);
}

asio::awaitable<void> CallSession::askTransferDestination(std::shared_ptr<CallSession> self,
                                                          providers::ToolCall call, json::object tool) {
    json::object tc = toolCallJson(call);
    std::string body = self->serverBody("transfer-destination-request", json::object{{"toolCall", tc}}, true);
    auto logs = self->mgr_.settings().outbox->logs();
    webhooks::Reply reply = co_await webhooks::request(self->server_, std::move(body), "transfer-destination-request",
                                                       self->orgId_, self->id_, logs);
    if (self->ended_) co_return;
    const json::object* answer = reply.ok() && reply.json.is_object() ? &reply.json.as_object() : nullptr;
    std::string error = !reply.ok() ? reply.error : !answer ? "the answer is not an object" : "";
    if (answer && answer->contains("error")) {
        auto& e = answer->at("error");
        error = e.is_string() ? std::string(e.as_string()) : json::serialize(e);
    }
    const json::object* dest = answer ? json_fields::obj(*answer, "destination") : nullptr;
    if (error.empty() && (!dest || str(*dest, "type") != "assistant"))
        error = "the server named no assistant destination";
    if (error.empty()) {
        json::object d = *dest;
        if (auto* m = answer->if_contains("message"); m && m->is_object() && !d.contains("message"))
            d["message"] = messageText(m->as_object());
        if (auto err = self->handoff(str(d, "assistantName"), d)) error = *err;
    }
    if (!error.empty()) co_return self->toolResult(call, error, true, nullptr, true);
    self->toolResult(call, "Transferred the call to " + str(*dest, "assistantName") + ".", false, nullptr, false);
}

void CallSession::toolResult(const providers::ToolCall& call, const std::string& result,
                             bool isError, const json::object* spokenMessage, bool respond) {
    json::object m{{"role", "tool_call_result"},
                   {"toolCallId", call.id},
                   {"name", call.name},
                   {"result", result},
                   {"time", epochMs()},
                   {"secondsFromStart", round3(secondsFromStart())}};
    if (isError) m["error"] = result;
    addMessage(std::move(m));
    send("tool-calls-result",
         json::object{{"toolCallResult", json::object{{"toolCallId", call.id},
                                                       {"name", call.name},
                                                       {isError ? "error" : "result", result}}}},
         false);
    pipeline_->addToolResult(call.id, call.name, result, false);
    // tool.messages request-complete / request-failed (or the server's `message`): an
    // assistant message is spoken instead of a model reply; a system one guides the reply.
    if (spokenMessage) {
        std::string text = messageText(*spokenMessage);
        bool endAfter = spokenMessage->contains("endCallAfterSpokenEnabled") &&
                        spokenMessage->at("endCallAfterSpokenEnabled").is_bool() &&
                        spokenMessage->at("endCallAfterSpokenEnabled").as_bool();
        if (str(*spokenMessage, "role") == "system") {
            if (!text.empty()) pipeline_->addMessage(json::object{{"role", "system"}, {"content", text}});
        } else if (!text.empty()) {
            speak(text, endAfter, true);
            pipeline_->addMessage(json::object{{"role", "assistant"}, {"content", text}});
            respond = false;
        }
    }
    if (respond) toolsRespond_ = true;
    if (--toolsOutstanding_ <= 0) {
        toolsOutstanding_ = 0;
        if (toolsRespond_ && !ended_) pipeline_->inject(pipeline::Frame{.kind = FrameKind::UserTurn, .text = ""});
        toolsRespond_ = false;
    }
}

std::optional<std::string> CallSession::handoff(const std::string& name, const json::object& destination) {
    bool known = false;
    for (auto& m : squad_) known = known || str(m.as_object(), "name") == name;
    if (!known) return std::string("no squad member is named '" + name + "'");
    if (name == memberName_) return std::string(name + " is already on the call");
    // The destination's message is said by the current assistant, then the swap happens
    // once it (and anything else queued) has been played: see onTick.
    if (auto msg = str(destination, "message"); !msg.empty()) waitUtterance_ = speak(msg, false, false);
    handoff_ = PendingHandoff{name, destination};
    return std::nullopt;
}

void CallSession::completeHandoff() {
    auto h = std::move(*handoff_);
    handoff_.reset();
    const json::object* next = nullptr;
    for (auto& m : squad_)
        if (str(m.as_object(), "name") == h.name) next = &m.as_object().at("assistant").as_object();
    if (!next || ended_) return;
    json::object from = assistant_;
    std::string fromName = memberName_;
    // The conversation goes along (Vapi's rolling history): the new assistant's own
    // system prompt replaces the old one.
    json::array history;
    for (auto& m : pipeline_->conversation())
        if (str(m.as_object(), "role") != "system") history.push_back(m);
    pipeline::State state = pipeline_->state();
    pipeline_->stop();
    auto old = std::move(pipeline_);
    assistant_ = *next;
    memberName_ = h.name;
    configureFromAssistant();
    pipeline_ = std::make_unique<pipeline::Pipeline>(
        pipeline::PipelineConfig{.assistant = assistant_, .providerCtx = providerContext()}, *this);
    if (auto err = pipeline_->start()) {
        spdlog::warn("call {}: handoff to {}: {}", id_, h.name, *err);
        return end(err->substr(0, err->find(':')));
    }
    auto& st = pipeline_->state();
    st.nowMs = state.nowMs;
    st.nextUtterance = state.nextUtterance;
    for (auto& m : history) pipeline_->addMessage(m.as_object());
    for (auto& m : pipeline_->conversation()) {
        auto& o = m.as_object();
        if (str(o, "role") == "system" && !history.empty())
            addMessage(json::object{{"role", "system"}, {"message", str(o, "content")},
                                    {"time", epochMs()}, {"secondsFromStart", round3(secondsFromStart())}});
        break;
    }
    spdlog::info(R"({{"msg":"squad handoff","callId":"{}","from":"{}","to":"{}"}})", id_, fromName, h.name);
    send("transfer-update", json::object{{"destination", h.destination},
                                         {"fromAssistant", from},
                                         {"toAssistant", assistant_}});
    send("assistant.started", json::object{{"newAssistant", assistant_}});
    std::string first = str(assistant_, "firstMessage");
    if (!first.empty() && str(assistant_, "firstMessageMode") != "assistant-waits-for-user") {
        speak(first, false, pipeline_->settings().firstMessageInterruptionsEnabled);
        pipeline_->addMessage(json::object{{"role", "assistant"}, {"content", first}});
    } else {
        pipeline_->inject(pipeline::Frame{.kind = FrameKind::UserTurn, .text = ""});
    }
    // `old` (the previous member's pipeline) is released here; its callbacks are dead.
}

std::optional<std::string> CallSession::startTransfer(json::object destination,
                                                      std::optional<providers::ToolCall> call,
                                                      const std::string& content) {
    std::string type = str(destination, "type");
    if (type != "number" && type != "sip")
        return std::string("transfer: destination.type must be one of the following values: number, sip");
    if ((type == "number" && str(destination, "number").empty()) || (type == "sip" && str(destination, "sipUri").empty()))
        return std::string("transfer: the destination needs a number or sipUri");
    if (str(telephony_, "provider") != "twilio" || str(telephony_, "callSid").empty())
        return std::string("transfer: this call has no phone line to transfer (only phone calls can be transferred)");
    if (transfer_ || transferring_) return std::string("transfer: a transfer is already in progress");
    std::string say = content;
    if (say.empty()) {
        if (auto* m = destination.if_contains("message")) {
            if (m->is_string()) say = std::string(m->as_string());
            else if (m->is_object()) say = messageText(m->as_object());
        }
    }
    if (!say.empty()) waitUtterance_ = speak(say, false, false);
    transfer_ = PendingTransfer{std::move(destination), std::move(call)};
    return std::nullopt;
}

asio::awaitable<void> CallSession::doTransfer(std::shared_ptr<CallSession> self, PendingTransfer t) {
    // Twilio: update the live call with new TwiML (POST .../Calls/{CallSid}.json); the media
    // stream then stops and Twilio dials the destination.
    auto req = twilio::restRequest(self->mgr_.settings().twilioApiUrl, str(self->telephony_, "accountSid"),
                                   str(self->telephony_, "authToken"),
                                   "/Calls/" + url::percentEncode(str(self->telephony_, "callSid")) + ".json",
                                   "Twiml=" + url::percentEncode(twilio::dialTwiml(t.destination)));
    auto res = co_await net::fetch(std::move(req));
    self->transferring_ = false;
    if (self->ended_) co_return;
    if (!res.success()) {
        std::string error = "transfer failed: " + (!res.ok() ? std::string(net::toString(res.errorKind)) + ": " + res.error
                                                             : "Twilio answered HTTP " + std::to_string(res.status));
        spdlog::warn(R"({{"msg":"call transfer failed","callId":"{}","error":{}}})", self->id_, json::serialize(json::value(error)));
        if (t.call) self->toolResult(*t.call, error, true, nullptr, true);
        co_return;
    }
    spdlog::info(R"({{"msg":"call transferred","callId":"{}","to":{}}})", self->id_, json::serialize(t.destination));
    if (t.call) self->toolResult(*t.call, "The call was transferred.", false, nullptr, false);
    self->send("status-update", json::object{{"status", "forwarding"}, {"destination", t.destination}});
    self->send("transfer-update", json::object{{"destination", t.destination}});
    self->record_["destination"] = t.destination;
    self->end("assistant-forwarded-call");
}

}  // namespace voxa::call
