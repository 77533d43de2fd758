#pragma once
/// \file
/// `AsyncBridge`: lets a synchronous worker hand work to background threads
/// (an async storage client, a network flush) and wait for it, like loom's
/// bridge to an asyncio loop.
///
/// **Example**:
///
///     sinkkit::AsyncBridge bridge;                           // one background thread
///     int rows = bridge.run([&] { return db.insert(batch); },
///                           std::chrono::seconds(5));        // BridgeError after 5 s
///     std::future<void> f = bridge.submit([&] { db.flush(); });
///     bridge.shutdown(std::chrono::seconds(1));              // drain, or give up
///     bridge.run([] { return 0; });                          // throws BridgeError

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <sinkkit/protocol/errors.hpp>

namespace sinkkit {
inline namespace protocol {

/// A small pool of background threads with a FIFO queue. Thread-safe.
///
/// Lifetime: tasks never outlive the bridge. `shutdown` stops new work and
/// waits (up to a timeout) for queued and running tasks; tasks that had not
/// started by the timeout are cancelled (their futures throw `BridgeError`);
/// the destructor waits for any task still running.
class AsyncBridge {
 public:
  /// Starts `threads` background threads (at least one).
  explicit AsyncBridge(std::size_t threads = 1);
  /// Shuts down without a timeout: drains every queued task.
  ~AsyncBridge();
  AsyncBridge(const AsyncBridge&) = delete;
  AsyncBridge& operator=(const AsyncBridge&) = delete;

  /// Queues `fn` and returns a future for its result (or its exception).
  /// Throws `BridgeError` once the bridge is shut down.
  template <class F>
  auto submit(F&& fn) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    // Held by pointer: the queue's std::function must be copyable, the task need not be.
    auto f = std::make_shared<std::decay_t<F>>(std::forward<F>(fn));
    enqueue([this, promise, f](bool cancelled) {
      if (cancelled) {
        promise->set_exception(std::make_exception_ptr(
            BridgeError("AsyncBridge: task cancelled, the bridge shut down before it started")));
        return;
      }
      // Finish the bookkeeping before publishing the result: whoever wakes on
      // the future must already see this task as done (in_flight() == 0).
      std::exception_ptr error;
      if constexpr (std::is_void_v<R>) {
        try {
          (*f)();
        } catch (...) {
          error = std::current_exception();
        }
        mark_done();
        error ? promise->set_exception(error) : promise->set_value();
      } else {
        std::optional<R> value;
        try {
          value.emplace((*f)());
        } catch (...) {
          error = std::current_exception();
        }
        mark_done();
        error ? promise->set_exception(error) : promise->set_value(std::move(*value));
      }
    });
    return future;
  }

  /// Runs `fn` on the bridge and waits for its result; rethrows what `fn`
  /// throws. With a timeout, throws `BridgeError` if `fn` has not finished in
  /// time (it keeps running; the bridge still owns it). Throws `BridgeError`
  /// when shut down, or when called from the bridge's own thread (it would
  /// wait on itself).
  template <class F>
  auto run(F&& fn, std::optional<std::chrono::milliseconds> timeout = std::nullopt)
      -> std::invoke_result_t<std::decay_t<F>&> {
    if (on_bridge_thread()) {
      throw BridgeError("AsyncBridge::run called from a bridge thread: it would wait on itself");
    }
    using R = std::invoke_result_t<std::decay_t<F>&>;
    // fn's exception travels in `error`, which the bridge thread fills before
    // the result is published and this thread empties after: the exception
    // object is then only ever released here. (Through the future, the bridge
    // thread could drop the last reference while this thread still reads the
    // exception; safe, but invisible to TSan, whose runtime cannot see the
    // exception's reference count.)
    auto error = std::make_shared<std::exception_ptr>();
    auto task = [error, f = std::decay_t<F>(std::forward<F>(fn))]() mutable {
      if constexpr (std::is_void_v<R>) {
        try {
          f();
        } catch (...) {
          *error = std::current_exception();
        }
      } else {
        try {
          return std::optional<R>(f());
        } catch (...) {
          *error = std::current_exception();
        }
        return std::optional<R>();
      }
    };
    auto future = submit(std::move(task));
    if (timeout && future.wait_for(*timeout) != std::future_status::ready) {
      throw BridgeError("AsyncBridge::run: task did not finish within " +
                        std::to_string(timeout->count()) + " ms");
    }
    if constexpr (std::is_void_v<R>) {
      future.get();
      if (*error) std::rethrow_exception(std::exchange(*error, nullptr));
    } else {
      auto value = future.get();
      if (*error) std::rethrow_exception(std::exchange(*error, nullptr));
      return std::move(*value);
    }
  }

  /// Stops accepting work and waits until every queued and running task is
  /// done, or until `timeout`. Returns true when drained; false when it timed
  /// out (tasks not yet started are cancelled). Idempotent.
  bool shutdown(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// True once `shutdown` was called.
  [[nodiscard]] bool is_shut_down() const;
  /// Tasks queued or running now (the kit checks it is 0 after `close`).
  [[nodiscard]] std::size_t in_flight() const;
  /// Tasks that have finished (ran to completion or threw) so far.
  [[nodiscard]] std::size_t completed() const;

 private:
  using Task = std::function<void(bool cancelled)>;
  void enqueue(Task task);
  void mark_done();
  void worker_loop();
  bool on_bridge_thread() const noexcept;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable idle_;
  std::deque<Task> queue_;
  std::size_t running_ = 0;
  std::size_t completed_ = 0;
  bool stopping_ = false;
  std::size_t thread_count_;
  std::vector<std::thread> threads_;  // started by the first task
};

}  // namespace protocol
}  // namespace sinkkit
