#include <sinkkit/protocol/async_bridge.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using sinkkit::AsyncBridge;
using sinkkit::BridgeError;

// A gate the test opens by hand, so "still running" is a fact, not a timing guess.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(m);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(m);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(AsyncBridge, RunReturnsTheResultComputedOnABridgeThread) {
  AsyncBridge bridge;
  auto caller = std::this_thread::get_id();
  auto [value, ran_on] = bridge.run([] { return std::pair{42, std::this_thread::get_id()}; });
  EXPECT_EQ(value, 42);
  EXPECT_NE(ran_on, caller);
  bridge.run([] {});  // void results work too
  EXPECT_EQ(bridge.completed(), 2u);
}

TEST(AsyncBridge, RunRethrowsTheTasksException) {
  AsyncBridge bridge;
  EXPECT_THROW(bridge.run([]() -> int { throw std::runtime_error("disk full"); }), std::runtime_error);
  EXPECT_EQ(bridge.run([] { return 1; }), 1) << "a throwing task must not break the bridge";
}

TEST(AsyncBridge, AcceptsMoveOnlyTasks) {
  AsyncBridge bridge;
  auto owned = std::make_unique<int>(7);
  EXPECT_EQ(bridge.run([p = std::move(owned)] { return *p; }), 7);
}

TEST(AsyncBridge, RunTimesOutWithAClearErrorWhileTheTaskKeepsItsOwner) {
  AsyncBridge bridge;
  Gate gate;
  try {
    bridge.run([&] { gate.wait(); }, 20ms);
    FAIL() << "run did not time out";
  } catch (const BridgeError& e) {
    EXPECT_NE(std::string(e.what()).find("did not finish within 20 ms"), std::string::npos) << e.what();
  }
  EXPECT_EQ(bridge.in_flight(), 1u);
  gate.release();
  EXPECT_TRUE(bridge.shutdown(10s));
  EXPECT_EQ(bridge.in_flight(), 0u);
}

TEST(AsyncBridge, RunAfterShutdownFailsClearly) {
  AsyncBridge bridge;
  EXPECT_TRUE(bridge.shutdown());
  EXPECT_TRUE(bridge.is_shut_down());
  try {
    bridge.run([] { return 0; });
    FAIL() << "run after shutdown did not throw";
  } catch (const BridgeError& e) {
    EXPECT_NE(std::string(e.what()).find("shut down"), std::string::npos) << e.what();
  }
  EXPECT_THROW(bridge.submit([] {}), BridgeError);
  EXPECT_TRUE(bridge.shutdown()) << "shutdown is idempotent";
}

TEST(AsyncBridge, ShutdownDrainsQueuedWork) {
  AsyncBridge bridge;
  std::atomic<int> done{0};
  std::vector<std::future<void>> futures;
  for (int i = 0; i < 50; ++i) futures.push_back(bridge.submit([&] { done.fetch_add(1); }));
  EXPECT_TRUE(bridge.shutdown());
  EXPECT_EQ(done.load(), 50);
  for (auto& f : futures) EXPECT_NO_THROW(f.get());
}

TEST(AsyncBridge, ShutdownTimesOutAndCancelsWhatHadNotStarted) {
  auto bridge = std::make_unique<AsyncBridge>(1);
  Gate gate;
  std::atomic<bool> second_ran{false};
  auto first = bridge->submit([&] { gate.wait(); });
  auto second = bridge->submit([&] { second_ran = true; });
  EXPECT_FALSE(bridge->shutdown(20ms));
  try {
    second.get();
    FAIL() << "the queued task was not cancelled";
  } catch (const BridgeError& e) {
    EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
  }
  gate.release();
  bridge.reset();  // the destructor waits for the running task: nothing outlives the bridge
  EXPECT_NO_THROW(first.get());
  EXPECT_FALSE(second_ran.load());
}

TEST(AsyncBridge, RefusesToWaitOnItselfFromItsOwnThread) {
  AsyncBridge bridge(1);
  auto inner = bridge.run([&] {
    try {
      bridge.run([] { return 1; });
      return std::string("no error");
    } catch (const BridgeError& e) {
      return std::string(e.what());
    }
  });
  EXPECT_NE(inner.find("would wait on itself"), std::string::npos) << inner;
}

TEST(AsyncBridge, ManyWorkersSubmittingConcurrently) {
  AsyncBridge bridge(3);
  std::atomic<long> sum{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 200; ++i) sum += bridge.run([=] { return static_cast<long>(w * 1000 + i); });
    });
  }
  for (auto& t : workers) t.join();
  long expected = 0;
  for (int w = 0; w < 8; ++w)
    for (int i = 0; i < 200; ++i) expected += w * 1000 + i;
  EXPECT_EQ(sum.load(), expected);
  EXPECT_EQ(bridge.completed(), 1600u);
}

}  // namespace
