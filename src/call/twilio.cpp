#include "call/twilio.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "common/json_fields.h"
#include "common/url.h"

namespace voxa::call::twilio {

using json_fields::str;

std::string xmlEscape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string streamTwiml(const std::string& streamUrl, const std::string& token) {
    return "<Response><Connect><Stream url=\"" + xmlEscape(streamUrl) +
           "\"><Parameter name=\"token\" value=\"" + xmlEscape(token) + "\"/></Stream></Connect></Response>";
}

std::string dialTwiml(const boost::json::object& d) {
    std::string callerId = str(d, "callerId");
    std::string dial = callerId.empty() ? "<Dial>" : "<Dial callerId=\"" + xmlEscape(callerId) + "\">";
    if (str(d, "type") == "sip")
        return "<Response>" + dial + "<Sip>" + xmlEscape(str(d, "sipUri")) + "</Sip></Dial></Response>";
    std::string ext = str(d, "extension");
    std::string number = ext.empty() ? xmlEscape(str(d, "number"))
                                     : "<Number sendDigits=\"ww" + xmlEscape(ext) + "\">" +
                                           xmlEscape(str(d, "number")) + "</Number>";
    return "<Response>" + dial + number + "</Dial></Response>";
}

net::HttpClientRequest restRequest(std::string apiUrl, const std::string& accountSid,
                                   const std::string& authToken, const std::string& path,
                                   std::string formBody) {
    while (!apiUrl.empty() && apiUrl.back() == '/') apiUrl.pop_back();
    net::HttpClientRequest req{.method = "POST",
                               .url = apiUrl + "/2010-04-01/Accounts/" + url::percentEncode(accountSid) + path};
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.headers.push_back({"Authorization", "Basic " + base64Encode(accountSid + ":" + authToken)});
    req.body = std::move(formBody);
    req.totalTimeout = req.readTimeout = std::chrono::milliseconds(10'000);
    req.source = net::UrlSource::Operator;  // --twilio-api-url: chosen by the operator
    return req;
}

boost::asio::awaitable<void> hangUp(std::string apiUrl, std::string accountSid, std::string authToken,
                                    std::string callSid, bool answered) {
    std::string path = "/Calls/" + url::percentEncode(callSid) + ".json";
    if (!answered) {
        auto res = co_await net::fetch(restRequest(apiUrl, accountSid, authToken, path, "Status=canceled"));
        std::string now;
        if (res.success()) {
            boost::system::error_code ec;
            auto v = boost::json::parse(res.body, ec);
            if (!ec && v.is_object()) now = str(v.as_object(), "status");
        }
        if (res.success() && now != "in-progress") {
            spdlog::info(R"({{"msg":"twilio call hung up","callSid":"{}","status":"{}"}})", callSid, now);
            co_return;
        }
        // Answered meanwhile (or the cancel failed): only completed ends a call in progress.
    }
    auto res = co_await net::fetch(restRequest(apiUrl, accountSid, authToken, path, "Status=completed"));
    if (res.success()) {
        spdlog::info(R"({{"msg":"twilio call hung up","callSid":"{}","status":"completed"}})", callSid);
        co_return;
    }
    std::string why = !res.ok() ? std::string(net::toString(res.errorKind)) + ": " + res.error
                                : "HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300);
    spdlog::warn(R"({{"msg":"cannot hang up the twilio call","callSid":"{}","error":{}}})", callSid,
                 boost::json::serialize(boost::json::value(why)));
}

}  // namespace voxa::call::twilio
