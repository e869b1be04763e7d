// A control message can reach a session between attach() publishing it and start() running
// on its loop (monitor.controlUrl posts to the session's loop from another thread). Such
// messages wait and are applied, in order, once the call has started.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "call/call.h"
#include "call/session.h"
#include "store/store.h"

namespace voxa::call {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

struct CapturingSink : TransportSink {
    std::vector<json::object> messages;
    void sendAudio(std::span<const int16_t>) override {}
    void sendJson(const json::object& m) override { messages.push_back(m); }
    void close() override {}
};

json::object benchAssistant() {
    return json::object{{"transcriber", json::object{{"provider", "bench"}}},
                        {"voice", json::object{{"provider", "bench"}, {"msPerWord", 50}}},
                        {"model", json::object{{"provider", "bench"}, {"reply", "Sure."}}},
                        {"firstMessage", "Hello there, how are you today?"},
                        {"artifactPlan", json::object{{"recordingEnabled", false}}}};
}

json::object addMessage(const std::string& content) {
    return json::object{{"type", "add-message"},
                        {"message", json::object{{"role", "system"}, {"content", content}}},
                        {"triggerResponseEnabled", false}};
}

class SessionStart : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("voxa-session-start-" + std::to_string(::getpid()));
        store_ = store::open({.dataDir = ":memory:"});
        store_->migrate();
        mgr_.emplace(*store_, db_, compute_, CallSettings{.dataDir = dir_.string()});
    }
    void TearDown() override {
        mgr_.reset();
        std::filesystem::remove_all(dir_);
    }
    std::shared_ptr<CallSession> session(std::shared_ptr<CapturingSink> sink) {
        json::object record{{"id", "0190a0a0-0000-7000-8000-000000000001"},
                            {"orgId", "org"},
                            {"type", "vapi.websocketCall"},
                            {"status", "in-progress"}};
        return std::make_shared<CallSession>(*mgr_, record, CallSetup{.assistant = benchAssistant()},
                                             sink, io_.get_executor());
    }
    // The system messages the client saw in its last conversation-update.
    std::vector<std::string> systemMessages(const CapturingSink& sink) {
        std::vector<std::string> out;
        for (auto it = sink.messages.rbegin(); it != sink.messages.rend(); ++it) {
            if (it->at("type") != "conversation-update") continue;
            for (auto& m : it->at("messages").as_array())
                if (m.at("role") == "system") out.emplace_back(m.at("message").as_string());
            break;
        }
        return out;
    }

    std::filesystem::path dir_;
    std::unique_ptr<store::Store> store_;
    asio::thread_pool db_{1};
    asio::thread_pool compute_{1};
    std::optional<CallManager> mgr_;
    asio::io_context io_;
};

TEST_F(SessionStart, ControlMessagesBeforeStartAreAppliedInOrderOnceItHasStarted) {
    auto sink = std::make_shared<CapturingSink>();
    auto s = session(sink);
    // The order attach() allows: published, then messages, then start() on the loop.
    EXPECT_EQ(s->onClientMessage(addMessage("first")), std::nullopt);
    EXPECT_EQ(s->onClientMessage(json::object{{"type", "say"},
                                              {"content", "Right away."},
                                              {"interruptAssistantEnabled", true}}),
              std::nullopt);
    EXPECT_EQ(s->onClientMessage(addMessage("second")), std::nullopt);
    EXPECT_TRUE(systemMessages(*sink).empty());  // nothing applied before the start
    s->start();
    auto seen = systemMessages(*sink);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], "first");
    EXPECT_EQ(seen[1], "second");
    // And the call goes on as usual: the first message and the `say` are spoken.
    io_.run_for(std::chrono::milliseconds(2500));
    bool said = false;
    for (auto& m : sink->messages)
        said = said || (m.at("type") == "transcript" && m.at("role") == "assistant" &&
                        m.at("transcript") == "Right away.");
    EXPECT_TRUE(said);
    s->end("customer-ended-call");
    io_.run_for(std::chrono::milliseconds(500));
}

TEST_F(SessionStart, MessagesBeforeStartAreBoundedAndAnEndedCallDoesNotStart) {
    auto sink = std::make_shared<CapturingSink>();
    auto s = session(sink);
    int refused = 0;
    for (int i = 0; i < 100; ++i)
        if (s->onClientMessage(addMessage("m" + std::to_string(i)))) ++refused;
    EXPECT_GT(refused, 0);
    EXPECT_LT(refused, 100);
    // end-call before the start ends the call at once, and start() then runs nothing.
    EXPECT_EQ(s->onClientMessage(json::object{{"type", "end-call"}}), std::nullopt);
    EXPECT_TRUE(s->ended());
    s->start();
    EXPECT_TRUE(s->ended());
    EXPECT_TRUE(systemMessages(*sink).empty());  // the queued ones were not applied
    io_.run_for(std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace voxa::call
