// Transports: how audio and messages reach a call. Each transport converts its wire
// format to the pipeline's (16 kHz mono s16) at the edge and back.
//
//   server.setUpgradeHandler(voxa::transport::makeUpgradeHandler(calls, auth, dbPool));
//   // ws://host/<callId>/transport?token=...  -> Vapi's WebSocket transport (ws/)
//   // ws://host/<callId>/<secret>/listen      -> monitor.listenUrl (listen/); 404 without the secret
#pragma once
#include <boost/asio/thread_pool.hpp>

#include "auth/auth.h"
#include "call/call.h"
#include "net/websocket.h"

namespace voxa::transport {

/// Routes WebSocket upgrades to the transports (one line per transport in transport.cpp).
net::UpgradeHandler makeUpgradeHandler(call::CallManager& calls, auth::Auth& auth,
                                       boost::asio::thread_pool& dbPool);

}  // namespace voxa::transport
