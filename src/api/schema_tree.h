// Internal to Schemas (schema.h): the compiled validator tree.
//
// schema_build.cpp turns the JSON documents into Nodes (then the JSON is dropped);
// schema_validate.cpp walks a request body against a Node. Named schemas and $ref
// targets are shared Node pointers, so recursive schemas (JsonSchema.items) are cycles
// in the graph, which is fine because validation recursion follows the input's depth.
#pragma once
#include <boost/json/value.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace voxa::api::schema {

enum TypeBit : std::uint8_t {
    kString = 1,
    kNumber = 2,
    kInteger = 4,
    kBoolean = 8,
    kObject = 16,
    kArray = 32,
    kNull = 64,
};

enum class Format : std::uint8_t { none, dateTime, uuid, uri, email };

struct Node;

struct Property {
    std::string name;
    const Node* node = nullptr;
    bool required = false;
};

// oneOf / anyOf. A discriminator picks the candidate variants for an object value, so
// validation never has to try every variant of a large union.
struct Union {
    std::vector<const Node*> variants;
    std::string discriminator;  // empty: try every variant whose JSON type fits
    // Discriminator value -> variant indices, in declaration order (values can repeat
    // across variants, e.g. TransferDestinationAssistant and HandoffDestinationAssistant).
    std::vector<std::pair<std::string, std::vector<std::uint16_t>>> byValue;
    std::vector<std::uint16_t> wildcards;  // object variants without an enum on it
    std::string allowed;                   // "a, b, c" for the error message
};

struct Node {
    std::uint8_t types = 0;  // TypeBit set; 0 accepts any JSON type
    bool nullable = false;
    bool hasProperties = false;  // declares `properties`
    bool closed = false;         // ... and no additionalProperties: unknown keys are errors
    Format format = Format::none;
    std::optional<double> minimum, maximum;
    std::optional<std::uint64_t> minLength, maxLength, minItems, maxItems;
    const std::regex* pattern = nullptr;
    std::string patternSource;  // as written in the spec, for the message
    bool hasEnum = false;
    std::vector<std::string> enumStrings;
    std::vector<double> enumNumbers;
    std::string enumText;  // "a, b, c"
    std::vector<Property> properties;           // declaration order
    std::vector<std::uint32_t> propertyOrder;   // indices sorted by name, for lookup
    const Node* items = nullptr;
    std::vector<const Node*> allOf;
    std::unique_ptr<Union> oneOf;

    const Property* findProperty(std::string_view name) const;        // needs propertyOrder
    const Property* findPropertyLinear(std::string_view name) const;  // while compiling
};

struct Registry {
    std::deque<Node> nodes;  // deque: Node addresses stay stable while compiling
    std::deque<std::regex> regexes;
    std::unordered_map<std::string, const Node*> named;
    Node any;  // accepts everything (unresolvable $ref, `{}`)
};

/// Parses both documents, applies the overlay and compiles every schema into `out`.
/// Throws std::runtime_error if a document is malformed.
void build(Registry& out, std::string_view specJson, std::string_view overlayJson);

/// Validates `v` against `node`; returns class-validator style messages (capped).
std::vector<std::string> validate(const Node& node, const boost::json::value& v);

/// Follows pure allOf wrappers ({"allOf":[{"$ref":X}]}) to the schema that declares
/// properties; nullptr if `n` does not describe an object with properties.
const Node* objectShape(const Node* n);

}  // namespace voxa::api::schema
