// The calls of this node that wait for their transport (created, not joined yet), shared by
// manager.cpp and twilio_status.cpp. Internal to call/: everything else goes through
// CallManager.
#pragma once
#include <map>
#include <mutex>
#include <string>

#include "call/call.h"

namespace voxa::call {

struct Pending {
    std::string token;
    std::string orgId;
    CallSetup setup;  // resolved: overrides and variables applied
    bool taken = false;  // a transport is attaching (one connection per call)
    /// An upgrade request passed CallManager::canAttach: later requests are
    /// refused before their upgrade, even while the first one's attach is still on its way.
    bool claimed = false;
    /// Generation of the join deadline: restarting it (Twilio answered an outbound call)
    /// leaves the older timers without effect.
    unsigned bound = 0;
    bool ringing = false;   // Twilio said the customer's phone rings (outbound)
    bool answered = false;  // the line is up on Twilio's side (inbound; outbound once answered)
};

/// Guards pending(); never held across a co_await.
extern std::mutex gPendingMu;
std::map<std::string, Pending>& pending();

}  // namespace voxa::call
