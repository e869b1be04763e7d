// The engine of the voices that stream over one WebSocket with a context per utterance
// (11labs' multi-context input streaming, Cartesia's TTS WebSocket). A provider describes
// its wire protocol (TtsProtocol); the engine does the rest, the same for each:
//
//   class MyProtocol final : public providers::TtsProtocol { ... url, headers, speak, cancel, decode };
//   auto session = providers::openSocketTts(std::make_shared<MyProtocol>(config), ctx, std::move(cb));
//   session->speak(7, "Hello there.");   // -> protocol.speak("voxa-7", ...) on the socket
//   session->cancel();                   // -> protocol.cancel("voxa-7"), or a new socket when the
//                                        //    protocol has no cancel; nothing of it is delivered
//
// - The socket opens with the session (the call's set-up), not at the first word, and stays
//   open through the call. A socket the provider closes while idle is opened again at the
//   next utterance without failing the call; an utterance whose text was lost with it (no
//   audio yet) is sent again once.
// - At most kMaxContexts utterances are with the provider at once (11labs allows 5 contexts
//   per socket); the rest wait. Audio is delivered per utterance as it arrives.
// - Providers without contexts (Deepgram's /v1/speak: binary audio, one Flushed per
//   utterance) are `ordered()`: a message naming no context belongs to the oldest utterance
//   still with the provider; a barge-in sends the protocol's cancel once, and what arrives
//   until the provider confirms it (`Cleared`) belongs to the cancelled utterances.
// - A provider that allows only so many utterances a minute on one socket
//   (`utterancesPerMinute()`, Deepgram: 20 Flush per 60 s) gets the next one on a new socket
//   once the current socket has nothing in flight.
// - Failures are fatal and reach TtsCallbacks::onFailure with a FailureCause: the upgrade
//   refused (401 -> Unauthorized, ...), the connection refused (ConnectFailed), the socket
//   closed with an utterance unfinished (Disconnected), no message for an utterance within
//   kStall after its text or its last audio (Timeout), a message that is not the protocol's
//   (BadMessage), an error message (the protocol's cause).
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"
#include "providers/providers.h"

namespace voxa::providers {

/// One message from the provider, decoded.
struct TtsEvent {
    /// Cleared: the provider confirms a cancel (ordered protocols): the cancelled utterances
    /// are gone, what comes next belongs to the utterances sent after them.
    enum class Kind { Audio, Done, Error, Cleared, Ignore, Invalid };
    Kind kind = Kind::Invalid;
    std::string contextId;  // "" when the message names none
    std::string pcm;        // Audio: s16le bytes at audio::kRate
    bool last = false;      // Audio: the context's last message as well (done)
    FailureCause cause = FailureCause::Other;  // Error
    std::string message;    // Error / Invalid: short and printable; Ignore: a warning to log
};

class TtsProtocol {
public:
    virtual ~TtsProtocol() = default;
    virtual const char* provider() const = 0;  // Vapi's name: "11labs"
    virtual const char* label() const = 0;     // for logs and messages: "ElevenLabs"
    virtual const char* defaultUrl() const = 0;
    /// The WebSocket URL from the base (ws:// or wss://, no trailing slash).
    virtual std::string url(const std::string& wsBase) const = 0;
    virtual std::vector<net::Header> headers(const std::string& key) const = 0;
    /// The messages that speak `text` as the whole of context `contextId`.
    virtual std::vector<std::string> speak(const std::string& contextId, const std::string& text) const = 0;
    /// The message that stops context `contextId` (barge-in). "": the protocol has no way to
    /// stop one at once, so a barge-in closes the socket (after goodbye()) and opens another.
    virtual std::string cancel(const std::string& contextId) const = 0;
    /// Sent before the socket is closed at the end of the call ("" for none).
    virtual std::string goodbye() const = 0;
    virtual TtsEvent decode(std::string_view text) const = 0;
    /// A binary message: Invalid unless the protocol sends audio so.
    virtual TtsEvent decodeBinary(std::string_view data) const {
        TtsEvent e;
        e.message = "a binary message of " + std::to_string(data.size()) + " bytes";
        return e;
    }
    /// true: the provider speaks utterances in the order their text was sent and names no
    /// context (see above); cancel("") stops them all.
    virtual bool ordered() const { return false; }
    /// Utterances one socket may take in any 60 s; 0: no limit.
    virtual size_t utterancesPerMinute() const { return 0; }
};

inline constexpr size_t kMaxContexts = 4;
inline constexpr std::chrono::milliseconds kStall{5000};

std::unique_ptr<TtsSession> openSocketTts(std::shared_ptr<const TtsProtocol> protocol, const Context& ctx,
                                          TtsCallbacks cb);

}  // namespace voxa::providers
