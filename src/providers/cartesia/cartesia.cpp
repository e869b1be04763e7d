#include "providers/cartesia/cartesia.h"

namespace voxa::providers::cartesia {

namespace json = boost::json;

namespace {

class Provider final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const json::object& config, const Context& ctx, TtsCallbacks cb) override {
        return openSocketTts(protocol(config), ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<TtsProvider> makeTtsProvider() { return std::make_shared<Provider>(); }

}  // namespace voxa::providers::cartesia
