#include <sinkkit/protocol/async_bridge.hpp>

#include <algorithm>

namespace sinkkit {
inline namespace protocol {

namespace {
// Which bridge (if any) owns the current thread, to refuse a self-deadlocking run().
thread_local const AsyncBridge* tls_current_bridge = nullptr;
}  // namespace

// The threads start with the first task: a process that made a bridge and
// never used it has no threads, so it may still fork (the kit forks a case
// child per case when it isolates cases, and a child has no copy of them).
AsyncBridge::AsyncBridge(std::size_t threads) : thread_count_(std::max<std::size_t>(threads, 1)) {}

AsyncBridge::~AsyncBridge() {
  shutdown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void AsyncBridge::enqueue(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw BridgeError("AsyncBridge: the bridge is shut down and accepts no more work");
    queue_.push_back(std::move(task));
    if (threads_.empty()) {
      threads_.reserve(thread_count_);  // they wait for the lock held here
      for (std::size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { worker_loop(); });
    }
  }
  work_ready_.notify_one();
}

void AsyncBridge::worker_loop() {
  tls_current_bridge = this;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping and drained
    Task task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task(false);  // never throws; calls mark_done() before publishing its result
    lock.lock();
  }
}

void AsyncBridge::mark_done() {
  std::lock_guard lock(mutex_);
  --running_;
  ++completed_;
  if (queue_.empty() && running_ == 0) idle_.notify_all();
}

bool AsyncBridge::shutdown(std::optional<std::chrono::milliseconds> timeout) {
  if (on_bridge_thread()) {
    throw BridgeError("AsyncBridge::shutdown called from a bridge thread: it would wait on itself");
  }
  std::deque<Task> cancelled;
  bool drained = false;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    work_ready_.notify_all();
    auto done = [this] { return queue_.empty() && running_ == 0; };
    if (timeout) {
      drained = idle_.wait_for(lock, *timeout, done);
    } else {
      idle_.wait(lock, done);
      drained = true;
    }
    if (!drained) cancelled.swap(queue_);
  }
  for (auto& task : cancelled) task(true);  // outside the lock: sets the futures' errors
  return drained;
}

bool AsyncBridge::is_shut_down() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

std::size_t AsyncBridge::in_flight() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + running_;
}

std::size_t AsyncBridge::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

bool AsyncBridge::on_bridge_thread() const noexcept { return tls_current_bridge == this; }

}  // namespace protocol
}  // namespace sinkkit
