// The Twilio Media Streams transport: one inbound phone call per WebSocket (see
// media_stream.h for the wire format and api/twilio.cpp for the voice webhook).
#pragma once
#include <memory>
#include <string>

#include "call/call.h"
#include "net/websocket.h"

namespace voxa::transport::twilio {

/// Runs one Media Stream until Twilio stops it or the call ends. The call is attached when
/// the "start" message brings the token from the TwiML <Parameter>.
boost::asio::awaitable<void> serve(std::shared_ptr<net::WsConnection> ws, call::CallManager& calls,
                                   std::string callId);

}  // namespace voxa::transport::twilio
