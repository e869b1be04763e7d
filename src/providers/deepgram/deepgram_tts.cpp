#include "providers/deepgram/deepgram_tts.h"

namespace voxa::providers::deepgram {

namespace json = boost::json;

namespace {

class Provider final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const json::object& config, const Context& ctx, TtsCallbacks cb) override {
        return openSocketTts(speakProtocol(config), ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<TtsProvider> makeTtsProvider() { return std::make_shared<Provider>(); }

}  // namespace voxa::providers::deepgram
