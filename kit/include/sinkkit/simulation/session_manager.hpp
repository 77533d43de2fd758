#pragma once
/// \file
/// `SessionManager`: the kit's stand-in for the adapter-owned resource (a DB
/// pool, a client) that `build_partition` receives as `session_manager`. The
/// adapter owns it; a sink may use it and must never dispose it. The kit hands
/// one to every build and checks afterwards that it is still alive (SK-6.2).
///
/// **Example** (a sink that borrows a session):
///
///     auto* pool = static_cast<sinkkit::SessionManager*>(session_manager);
///     if (pool != nullptr) auto lease = pool->acquire();  // fine
///     // pool->dispose();                                 // never: not the sink's to dispose

#include <atomic>
#include <cstdint>

namespace sinkkit {
inline namespace simulation {

class SessionManager {
 public:
  /// A borrowed session; returned to the manager when it goes out of scope.
  class Lease {
   public:
    explicit Lease(SessionManager& m) : manager_(&m) { manager_->leased_.fetch_add(1); }
    Lease(Lease&& o) noexcept : manager_(o.manager_) { o.manager_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (manager_ != nullptr) manager_->leased_.fetch_sub(1);
    }

   private:
    SessionManager* manager_;
  };

  SessionManager() = default;
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  /// Borrows a session (thread-safe).
  [[nodiscard]] Lease acquire() { return Lease(*this); }
  /// What only the adapter may do at the end of a run.
  void dispose() noexcept { disposed_.store(true); }

  [[nodiscard]] bool disposed() const noexcept { return disposed_.load(); }
  /// Sessions currently borrowed.
  [[nodiscard]] std::int64_t leased() const noexcept { return leased_.load(); }

 private:
  std::atomic<bool> disposed_{false};
  std::atomic<std::int64_t> leased_{0};
};

}  // namespace simulation
}  // namespace sinkkit
