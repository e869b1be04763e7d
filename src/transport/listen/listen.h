// The live-listen stream of a call (call.monitor.listenUrl), as Vapi serves it:
//
//   ws://host/<callId>/listen      (a Bearer key of the call's org when
//                                   assistant.monitorPlan.listenAuthenticationEnabled)
//   binary frames: 20 ms of raw PCM s16le, 16 kHz, 2 channels interleaved
//                  (channel 0 = customer, channel 1 = assistant), 1280 bytes each
//   text frames:   {"type":"listen-started","sampleRate":16000,"channels":2,...} first
//
// Several listeners may follow one call; a slow one loses frames, never the call's.
#pragma once
#include <memory>
#include <string>

#include "call/call.h"
#include "net/websocket.h"

namespace voxa::transport::listen {

/// Streams the call's audio until it ends or the listener goes away.
boost::asio::awaitable<void> serve(std::shared_ptr<net::WsConnection> ws, call::CallManager& calls,
                                   std::string callId);

}  // namespace voxa::transport::listen
