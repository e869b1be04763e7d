#include "api/schema.h"

#include "api/schema_tree.h"
#include "common/embedded.h"

#include <stdexcept>
#include <string>

namespace voxa::api {

struct Schemas::Impl {
    schema::Registry registry;
};

const Schemas& Schemas::instance() {
    static const Schemas schemas(voxa::embedded::get("src/api/spec/vapi-schemas.json"),
                                 voxa::embedded::get("src/api/spec/overlay.json"));
    return schemas;
}

Schemas::Schemas(std::string_view specJson, std::string_view overlayJson)
    : impl_(std::make_unique<Impl>()) {
    schema::build(impl_->registry, specJson, overlayJson);
}

Schemas::~Schemas() = default;

bool Schemas::has(std::string_view name) const {
    return impl_->registry.named.contains(std::string(name));
}

std::vector<std::string> Schemas::validate(std::string_view name,
                                           const boost::json::value& v) const {
    auto it = impl_->registry.named.find(std::string(name));
    if (it == impl_->registry.named.end())
        throw std::out_of_range("schema: unknown schema " + std::string(name));
    return schema::validate(*it->second, v);
}

}  // namespace voxa::api
