// src/pipeline/completion.h
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace voxa::pipeline {

/// How likely the caller's words so far are NOT a finished turn: 0 = surely complete,
/// 1 = surely more is coming ("i would like to book" -> high, "book it for tuesday" -> low).
class CompletionModel {
public:
    virtual ~CompletionModel() = default;
    /// words: the turn's text so far, any case and punctuation (normalized inside).
    /// Thread-safe, never blocks, well under 100 us.
    virtual double probIncomplete(std::string_view words) const = 0;
};

/// Starts loading the process-wide model on a background thread (serve calls it at start).
void preloadCompletionModel();
/// The process-wide model, or nullptr while loading or when the LM files are missing.
std::shared_ptr<const CompletionModel> completionModel();
/// Starts the load if needed and waits up to `timeout` for it (tests and one-shot tools;
/// never on a loop). nullptr when the LM files are missing or the load is slower.
std::shared_ptr<const CompletionModel> awaitCompletionModel(std::chrono::milliseconds timeout);

/// Vapi's LivekitSmartEndpointingPlan.waitFunction: milliseconds to wait before answering,
/// given x = probIncomplete. A bounded subset of mathjs: numbers, x, pi, e, + - * / ^,
/// parentheses, unary minus, sqrt exp log abs min max pow cos sin. Results clamped to
/// [0, 15000]; NaN -> 15000.
class WaitFunction {
public:
    static std::optional<WaitFunction> parse(std::string_view expr, std::string* error = nullptr);
    static const WaitFunction& vapiDefault();  // "20 + 500 * sqrt(x) + 2500 * x^3"
    double ms(double x) const;
    ~WaitFunction(); WaitFunction(const WaitFunction&); WaitFunction& operator=(const WaitFunction&);
    WaitFunction(WaitFunction&&) noexcept; WaitFunction& operator=(WaitFunction&&) noexcept;
private:
    struct Node; std::shared_ptr<const Node> root_; WaitFunction() = default;
};

}  // namespace voxa::pipeline
