// TEMPORARY stand-in for src/pipeline/completion.cpp (the eotmodel branch: the pocketsphinx
// trigram model and the mathjs-subset parser). The lead drops this file at merge.
//   CompletionModel: a word-list heuristic on the last word.
//   WaitFunction:    parses only the default "20 + 500 * sqrt(x) + 2500 * x^3" and the
//                    linear forms "A + B * x" / "A" (enough for the endpoint tests).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string>

#include "pipeline/completion.h"

namespace voxa::pipeline {

namespace {

class StubModel final : public CompletionModel {
public:
    double probIncomplete(std::string_view words) const override {
        std::string last, prev;
        std::string cur;
        auto flush = [&] {
            if (cur.empty()) return;
            prev = last;
            last = cur;
            cur.clear();
        };
        for (char c : words) {
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'')
                cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            else flush();
        }
        flush();
        if (last.empty()) return 0.5;
        static const std::set<std::string> open = {
            "a", "an", "the", "to", "and", "or", "but", "so", "because", "of", "for", "with", "in",
            "on", "at", "from", "my", "your", "our", "their", "his", "her", "is", "are", "was", "be",
            "i", "we", "im", "i'm", "would", "like", "want", "need", "um", "uh", "if",
            "that", "than", "then", "about", "into", "by", "can", "could", "will", "should", "book",
            "make", "get", "have", "number", "name", "this", "some", "any", "as", "when", "where",
            "what", "which", "who", "how", "maybe", "just", "also", "very", "really", "next"};
        static const std::set<std::string> numbers = {
            "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
        if (open.count(last)) return 0.9;
        if (numbers.count(last) || std::isdigit(static_cast<unsigned char>(last.back()))) return 0.6;
        return 0.1;
    }
};

}  // namespace

void preloadCompletionModel() {}

std::shared_ptr<const CompletionModel> completionModel() {
    static auto model = std::make_shared<const StubModel>();
    return model;
}

struct WaitFunction::Node {
    bool vapi = false;  // the default curve; else a + b * x
    double a = 0, b = 0;
};

WaitFunction::~WaitFunction() = default;
WaitFunction::WaitFunction(const WaitFunction&) = default;
WaitFunction& WaitFunction::operator=(const WaitFunction&) = default;
WaitFunction::WaitFunction(WaitFunction&&) noexcept = default;
WaitFunction& WaitFunction::operator=(WaitFunction&&) noexcept = default;

std::optional<WaitFunction> WaitFunction::parse(std::string_view expr, std::string* error) {
    std::string s;
    for (char c : expr)
        if (!std::isspace(static_cast<unsigned char>(c))) s.push_back(c);
    WaitFunction f;
    auto node = std::make_shared<Node>();
    if (s == "20+500*sqrt(x)+2500*x^3") {
        node->vapi = true;
    } else {
        char* end = nullptr;
        node->a = std::strtod(s.c_str(), &end);
        std::string rest = end ? std::string(end) : s;
        if (end == s.c_str()) rest = s;
        if (!rest.empty()) {
            if (rest.size() < 4 || rest[0] != '+' || rest.substr(rest.size() - 2) != "*x") {
                if (error) *error = "unsupported wait function (stub): " + std::string(expr);
                return std::nullopt;
            }
            node->b = std::strtod(rest.c_str() + 1, nullptr);
        }
    }
    f.root_ = std::move(node);
    return f;
}

const WaitFunction& WaitFunction::vapiDefault() {
    static const WaitFunction f = *parse("20 + 500 * sqrt(x) + 2500 * x^3");
    return f;
}

double WaitFunction::ms(double x) const {
    double v = root_->vapi ? 20 + 500 * std::sqrt(x) + 2500 * x * x * x : root_->a + root_->b * x;
    if (std::isnan(v)) return 15000;
    return std::clamp(v, 0.0, 15000.0);
}

}  // namespace voxa::pipeline
