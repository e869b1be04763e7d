// FallbackLlm (providers/fallback.h, Vapi's model.fallbackModels) over scripted fake model
// sessions, and the ContinuationFilter that keeps a re-asked model from repeating itself.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>

#include "providers/fallback.h"

namespace voxa::providers {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

/// One complete() a fake model session was asked: its request and callbacks to drive it.
struct Asked {
    std::string model;  // the entry's config.model
    LlmRequest req;
    LlmCallbacks cb;
    bool cancelled = false;
};

class FakeTurn final : public LlmTurn {
public:
    explicit FakeTurn(std::shared_ptr<Asked> a) : a_(std::move(a)) {}
    void cancel() override { a_->cancelled = true; }

private:
    std::shared_ptr<Asked> a_;
};

class FakeSession final : public LlmSession {
public:
    FakeSession(std::string model, std::vector<std::shared_ptr<Asked>>& log) : model_(std::move(model)), log_(log) {}
    std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) override {
        auto a = std::make_shared<Asked>(Asked{model_, std::move(req), std::move(cb)});
        log_.push_back(a);
        return std::make_shared<FakeTurn>(a);
    }

private:
    std::string model_;
    std::vector<std::shared_ptr<Asked>>& log_;
};

class ModelFallbacks : public ::testing::Test {
protected:
    boost::asio::io_context io;
    std::vector<std::shared_ptr<Asked>> asked;
    std::vector<Serving> serving;
    std::string text;
    std::vector<ToolCall> tools;
    std::vector<ProviderError> errors;
    int done = 0;

    std::unique_ptr<FallbackLlm> chain(const char* modelJson, std::chrono::milliseconds timeout = 8000ms) {
        FallbackLlm::Options o;
        o.onServing = [this](const Serving& s) { serving.push_back(s); };
        o.tokenTimeout = timeout;
        o.open = [this](const Candidate& c, const Context&) -> std::unique_ptr<LlmSession> {
            return std::make_unique<FakeSession>(std::string(c.config.at("model").as_string()), asked);
        };
        Context ctx;
        ctx.executor = io.get_executor();
        ctx.callId = "llm-fallback-test";
        return std::make_unique<FallbackLlm>(llmChain(json::parse(modelJson).as_object()), ctx, std::move(o));
    }
    std::shared_ptr<LlmTurn> ask(FallbackLlm& llm, const char* user = "What time is it?") {
        LlmRequest req;
        req.messages.push_back(json::object{{"role", "user"}, {"content", user}});
        return llm.complete(std::move(req), {.onText = [this](const std::string& d) { text += d; },
                                             .onToolCall = [this](const ToolCall& t) { tools.push_back(t); },
                                             .onDone = [this](const Usage&) { ++done; },
                                             .onError = [this](const ProviderError& e) { errors.push_back(e); }});
    }
    void poll() {
        io.restart();
        io.poll();
    }
    static ProviderError http(int status) {
        return {status == 429 ? FailureCause::RateLimited : FailureCause::ServerError,
                "HTTP " + std::to_string(status), true, status};
    }
};

constexpr const char* kThree = R"({"provider":"openai","model":"gpt-4o","temperature":0.3,
                                   "fallbackModels":["gpt-4.1","gpt-4o-mini"]})";

TEST_F(ModelFallbacks, ChainIsThePrimaryThenEachNameWithTheSameConfig) {
    auto c = llmChain(json::parse(kThree).as_object());
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].config.at("model").as_string(), "gpt-4o");
    EXPECT_FALSE(c[0].config.contains("fallbackModels"));
    EXPECT_EQ(c[2].provider, "openai");
    EXPECT_EQ(c[2].config.at("model").as_string(), "gpt-4o-mini");
    EXPECT_EQ(c[2].config.at("temperature").as_double(), 0.3);
}

TEST_F(ModelFallbacks, AnErrorBeforeTheFirstTokenAsksTheNextModelInTheSameTurn) {
    auto llm = chain(kThree);
    ASSERT_EQ(serving.size(), 1u);
    EXPECT_EQ(serving[0].model, "gpt-4o");
    ask(*llm);
    ASSERT_EQ(asked.size(), 1u);
    asked[0]->cb.onError(http(500));
    poll();
    ASSERT_EQ(asked.size(), 2u) << "the next model, at once";
    EXPECT_EQ(asked[1]->model, "gpt-4.1");
    EXPECT_EQ(json::serialize(asked[1]->req.messages), json::serialize(asked[0]->req.messages)) << "the same request";
    asked[1]->cb.onError(http(429));
    poll();
    ASSERT_EQ(asked.size(), 3u);
    EXPECT_EQ(asked[2]->model, "gpt-4o-mini");
    asked[2]->cb.onText("It is ");
    asked[2]->cb.onText("noon.");
    asked[2]->cb.onDone({});
    poll();
    EXPECT_EQ(text, "It is noon.");
    EXPECT_EQ(done, 1);
    EXPECT_TRUE(errors.empty());
    ASSERT_EQ(serving.size(), 3u);
    EXPECT_EQ(serving[2].model, "gpt-4o-mini");
    EXPECT_EQ(serving[2].why.status, 429);
    EXPECT_EQ(llm->model(), "gpt-4o-mini");

    // Later turns stay on the model that works.
    ask(*llm, "And tomorrow?");
    ASSERT_EQ(asked.size(), 4u);
    EXPECT_EQ(asked[3]->model, "gpt-4o-mini");
}

TEST_F(ModelFallbacks, NoTokenInTimeIsAFailureOfThatModel) {
    auto llm = chain(kThree, 30ms);
    ask(*llm);
    auto until = std::chrono::steady_clock::now() + 2s;
    while (asked.size() < 2 && std::chrono::steady_clock::now() < until) io.run_for(10ms);
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_TRUE(asked[0]->cancelled) << "the stalled request is abandoned";
    EXPECT_EQ(serving.back().why.cause, FailureCause::Timeout);
    asked[1]->cb.onText("Hi.");
    asked[1]->cb.onDone({});
    poll();
    EXPECT_EQ(text, "Hi.");
}

TEST_F(ModelFallbacks, AFailureMidReplyIsContinuedWithoutRepeatingWhatWasSaid) {
    auto llm = chain(kThree);
    ask(*llm);
    asked[0]->cb.onText("Sure, your appointment ");
    asked[0]->cb.onText("is at te");  // cut in the middle of a word
    asked[0]->cb.onError({FailureCause::Disconnected, "connection reset", true});
    poll();
    EXPECT_EQ(text, "Sure, your appointment is at ") << "the partial word was held back";
    ASSERT_EQ(asked.size(), 2u);
    // The same context, what was said, and the instruction to go on.
    auto& m = asked[1]->req.messages;
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[1].at("role").as_string(), "assistant");
    EXPECT_EQ(m[1].at("content").as_string(), "Sure, your appointment is at ");
    EXPECT_EQ(m[2].at("role").as_string(), "system");
    // The next model repeats the end of it, then goes on: the repeat is dropped.
    asked[1]->cb.onText("appointment is");
    asked[1]->cb.onText(" at ten tomorrow.");
    asked[1]->cb.onDone({});
    poll();
    EXPECT_EQ(text, "Sure, your appointment is at ten tomorrow.");
    EXPECT_EQ(done, 1);
}

TEST_F(ModelFallbacks, AModelThatStartsOverIsHeardOnlyFromWhereTheLastStopped) {
    auto llm = chain(kThree);
    ask(*llm);
    asked[0]->cb.onText("Sure, I can help ");
    asked[0]->cb.onError(http(500));
    poll();
    ASSERT_EQ(asked.size(), 2u);
    for (auto* d : {"Sure, I ", "can help ", "you with ", "that."}) asked[1]->cb.onText(d);
    asked[1]->cb.onDone({});
    poll();
    EXPECT_EQ(text, "Sure, I can help you with that.");
}

TEST_F(ModelFallbacks, ToolCallsAlreadyDeliveredAreNotDeliveredAgain) {
    auto llm = chain(kThree);
    ask(*llm);
    asked[0]->cb.onToolCall({"call_1", "lookup", R"({"day":"monday"})"});
    asked[0]->cb.onError(http(502));
    poll();
    ASSERT_EQ(asked.size(), 2u);
    asked[1]->cb.onToolCall({"call_9", "lookup", R"({"day":"monday"})"});
    asked[1]->cb.onDone({});
    poll();
    EXPECT_EQ(tools.size(), 1u);
    EXPECT_EQ(done, 1);
}

TEST_F(ModelFallbacks, WithNothingLeftTheLastModelsErrorEndsTheTurn) {
    auto llm = chain(R"({"provider":"openai","model":"gpt-4o","fallbackModels":["gpt-4o-mini"]})");
    ask(*llm);
    asked[0]->cb.onError(http(500));
    poll();
    ASSERT_EQ(asked.size(), 2u);
    asked[1]->cb.onError({FailureCause::RateLimited, "HTTP 429", true, 429, "rate_limit_exceeded"});
    poll();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].status, 429) << "the last model's error";
    EXPECT_EQ(errors[0].code, "rate_limit_exceeded");
    EXPECT_TRUE(errors[0].fatal);
    EXPECT_EQ(llm->provider(), "openai");
    EXPECT_EQ(llm->model(), "gpt-4o-mini");
    EXPECT_EQ(done, 0);
}

TEST_F(ModelFallbacks, ACancelledTurnHearsNothingMore) {
    auto llm = chain(kThree);
    auto turn = ask(*llm);
    asked[0]->cb.onText("Hello ");
    turn->cancel();
    EXPECT_TRUE(asked[0]->cancelled);
    asked[0]->cb.onText("there.");
    asked[0]->cb.onError(http(500));
    poll();
    EXPECT_EQ(text, "Hello ");
    EXPECT_EQ(asked.size(), 1u);
    EXPECT_TRUE(errors.empty());
}

TEST_F(ModelFallbacks, ASingleModelPassesTextThroughUnheld) {
    auto llm = chain(R"({"provider":"openai","model":"gpt-4o"})");
    ask(*llm);
    asked[0]->cb.onText("Hel");
    EXPECT_EQ(text, "Hel");
}

// ---- ContinuationFilter -----------------------------------------------------------------

std::string run(const std::string& said, std::initializer_list<const char*> deltas) {
    ContinuationFilter f(said);
    std::string out;
    for (auto* d : deltas) out += f.feed(d);
    return out + f.finish();
}

TEST(ContinuationFilter, DropsWhatRepeatsTheEndOfWhatWasSaid) {
    EXPECT_EQ(run("I can book that for ", {"for you ", "tomorrow."}), "you tomorrow.");
    EXPECT_EQ(run("Sure, your appointment is at ", {"Sure, your ", "appointment is at ten."}), "ten.");
    EXPECT_EQ(run("The total is", {" forty dollars."}), " forty dollars.");
    EXPECT_EQ(run("The total is", {"forty dollars."}), " forty dollars.") << "a space where the words meet";
}

TEST(ContinuationFilter, NewWordsPassAtOnce) {
    ContinuationFilter f("Let me check that. ");
    EXPECT_EQ(f.feed("That "), "") << "one word could still be a repeat";
    EXPECT_EQ(f.feed("works fine."), "That works fine.") << "a new sentence, not a repeat of the last word";
    EXPECT_TRUE(f.passing());
    EXPECT_EQ(f.feed(" Anything else?"), " Anything else?");
}

TEST(ContinuationFilter, WordsNotSaidBeforePassAtOnce) {
    ContinuationFilter f("Let me check that. ");
    EXPECT_EQ(f.feed("It "), "It ");
}

TEST(ContinuationFilter, AReplyThatOnlyRepeatsSaysNothing) {
    EXPECT_EQ(run("Thanks for calling. Goodbye.", {"Goodbye."}), "");
}

}  // namespace
}  // namespace voxa::providers
