// Vapi's WebSocket transport ("transport": {"provider": "vapi.websocket"}).
//
//   ws://host/<callId>/transport?token=T   (or Authorization: Bearer <private key>)
//   binary frames: raw audio both ways, in the call's audioFormat (pcm_s16le | mulaw, rate)
//   text frames:   JSON client messages out; say / add-message / end-call / control in
//
// Bad input never ends the call: an odd byte count carries the byte over to the next
// frame; a binary frame over 64 KiB, invalid JSON or an unknown message type is dropped
// with {"type":"error","error":"..."} sent back.
#pragma once
#include <memory>
#include <string>

#include "call/call.h"
#include "net/websocket.h"
#include "transport/ws/inbound.h"

namespace voxa::transport::ws {

/// Runs one connection until it closes. The call must have been attached already.
boost::asio::awaitable<void> serve(std::shared_ptr<net::WsConnection> ws,
                                   call::CallManager& calls, std::string callId,
                                   std::string token, std::string bearerOrgId);

}  // namespace voxa::transport::ws
