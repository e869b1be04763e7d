// What calls need from Twilio besides the Media Stream: TwiML and REST requests, in one
// place for inbound answers (api/twilio.cpp), outbound calls and transfers (call/).
//
//   std::string twiml = call::twilio::streamTwiml("wss://host/<id>/twilio", token);
//   auto req = call::twilio::restRequest(apiUrl, accountSid, authToken, "/Calls.json",
//                                        "To=...&Twiml=" + url::percentEncode(twiml));
//   auto res = co_await net::fetch(std::move(req));
//   co_await call::twilio::hangUp(apiUrl, accountSid, authToken, callSid, /*answered=*/false);
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

#include "net/http_client.h"

namespace voxa::call::twilio {

/// &, <, >, " and ' as XML entities.
std::string xmlEscape(std::string_view s);

/// <Response><Connect><Stream url="..."><Parameter name="token" .../></Stream></Connect></Response>
std::string streamTwiml(const std::string& streamUrl, const std::string& token);

/// <Response><Dial ...> for a TransferDestinationNumber (callerId, extension) or
/// TransferDestinationSip.
std::string dialTwiml(const boost::json::object& destination);

/// POST <apiUrl>/2010-04-01/Accounts/<accountSid><path> with a form body and basic auth
/// (10 s timeout). apiUrl is the operator's --twilio-api-url, so the request bypasses the
/// egress policy (net/egress.h); never pass a URL from org configuration here.
net::HttpClientRequest restRequest(std::string apiUrl, const std::string& accountSid,
                                   const std::string& authToken, const std::string& path,
                                   std::string formBody);

/// Ends a call on Twilio's side (POST Calls/<callSid>.json): Status=canceled for a call that
/// was not answered (it hangs up a queued or ringing call and leaves an answered one alone),
/// then Status=completed if Twilio's answer shows the call in progress; Status=completed at
/// once for an answered call. Failures are logged, never thrown.
boost::asio::awaitable<void> hangUp(std::string apiUrl, std::string accountSid, std::string authToken,
                                    std::string callSid, bool answered);

}  // namespace voxa::call::twilio
