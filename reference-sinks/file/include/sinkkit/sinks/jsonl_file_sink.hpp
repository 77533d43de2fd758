#pragma once
/// \file
/// `JsonlFileSink<E>`: one JSON Lines file per partition, each batch appended
/// with one write. The reference for file sinks: partitions never collide, a
/// batch is in the file whole or not at all, a torn tail left by a crash is cut
/// off at the next build, and `close` is idempotent.
///
/// Config: `{"dir": PATH, "fsync": "batch" | "close" | "never"}` (`fsync`
/// defaults to `"batch"`). `dir` must exist and be writable.
///
/// **Example**:
///
///     // Event {key, value} has to_json/from_json (NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Event, key, value))
///     sinkkit::sinks::JsonlFileSink<Event> node;
///     nlohmann::json cfg = {{"dir", "/tmp/out"}, {"fsync", "close"}};
///     auto p = node.build_partition(cfg, 0, 1, nullptr, nullptr);  // /tmp/out/part-w0-b0.jsonl
///     p.write_batch(events);
///     p.close();
///     std::vector<Event> stored = sinkkit::sinks::JsonlFileSink<Event>::read_back(cfg);

#include <cstdint>
#include <filesystem>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/sinks/detail/jsonl_file_io.hpp>
#include <sinkkit/sinks/jsonl_encoder.hpp>

namespace sinkkit::sinks {

/// Types that nlohmann::json can write and read back (`to_json`/`from_json`).
template <class E>
concept JsonCodec = std::default_initializable<E> && requires(const E& e, const nlohmann::json& j, E& out) {
  nlohmann::json(e);
  nlohmann::from_json(j, out);
};

/// The JSON Lines reference sink node.
template <JsonCodec E>
class JsonlFileSink {
 public:
  using payload_type = E;
  std::string name = "jsonl_file";
  static constexpr bool router_branch_safe = true;

  /// One partition: owns one locked file. Move-only.
  class Partition {
   public:
    /// What the batch's lines are encoded into: a `JsonText` when the
    /// encoder appends to one, else a `std::string`.
    using Buffer = std::conditional_t<requires(JsonText& t, const E& e) { JsonlEncoder<E>::append(t, e); }, JsonText,
                                      std::string>;

    Partition(detail::PartitionFile file, detail::FsyncPolicy fsync) : file_(std::move(file)), fsync_(fsync) {}
    Partition(Partition&& other) noexcept
        : file_(std::exchange(other.file_, detail::PartitionFile{})), fsync_(other.fsync_),
          closed_(std::exchange(other.closed_, true)), buffer_(std::move(other.buffer_)) {}
    Partition& operator=(Partition&& other) noexcept {
      if (this != &other) {
        release();
        file_ = std::exchange(other.file_, detail::PartitionFile{});
        fsync_ = other.fsync_;
        closed_ = std::exchange(other.closed_, true);
        buffer_ = std::move(other.buffer_);
      }
      return *this;
    }
    Partition(const Partition&) = delete;
    Partition& operator=(const Partition&) = delete;
    /// Releases the descriptor if `close` never ran (the runtime always calls
    /// it; this only guards against leaks).
    ~Partition() { release(); }

    /// Encodes every item (through `JsonlEncoder<E>`), then appends them in
    /// one write (and fdatasync with `fsync: batch`). An item that cannot be
    /// encoded, or whose encoding holds a raw newline, fails the batch before
    /// anything is written. Throws `ClosedError` after `close`.
    void write_batch(Batch<E> batch) {
      if (closed_) throw ClosedError("write_batch");
      if (batch.empty()) return;
      buffer_.clear();  // keeps its capacity: no allocation per batch in a steady stream
      std::size_t index = 0;
      for (const E& item : batch) {
        try {
          JsonlEncoder<E>::append(buffer_, item);
        } catch (const std::exception& e) {
          throw SinkError("item " + std::to_string(index) + " of the batch cannot be written as JSON: " + e.what());
        }
        buffer_ += '\n';
        ++index;
      }
      // One line per item: a raw newline from an encoder is looked for once
      // over the batch (a scan per item was a tenth of its cost), and named
      // by encoding the items again only when there is one.
      const std::string_view text = text_of(buffer_);
      if (detail::count_newlines(text) != index) throw SinkError(raw_newline_in(batch));
      detail::append_all(file_, text);
      if (buffer_.capacity() > kKeptBufferBytes) buffer_ = Buffer();  // one huge batch: give it back
      if (fsync_ == detail::FsyncPolicy::batch) detail::sync_file(file_);
    }

    /// Syncs (unless `fsync: never`) and releases the file. Idempotent. If the
    /// sync fails, throws `SinkError` and stays open so that close can be
    /// retried.
    void close() {
      if (closed_) return;
      if (fsync_ != detail::FsyncPolicy::never) detail::sync_file(file_);
      closed_ = true;
      detail::close_file(file_);
    }

    [[nodiscard]] bool closed() const noexcept { return closed_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return file_.path; }
    /// Bytes of a torn last line cut off when this partition opened its file.
    [[nodiscard]] std::uint64_t repaired_bytes() const noexcept { return file_.repaired_bytes; }

   private:
    static constexpr std::size_t kKeptBufferBytes = 16u << 20;
    void release() noexcept {
      if (file_.fd >= 0) {
        try {
          detail::close_file(file_);
        } catch (...) {  // destructor: nothing left to tell
        }
      }
    }
    detail::PartitionFile file_;
    detail::FsyncPolicy fsync_;
    bool closed_ = false;
    static std::string_view text_of(const Buffer& b) noexcept {
      if constexpr (std::is_same_v<Buffer, JsonText>) {
        return b.view();
      } else {
        return b;
      }
    }
    // Which item of `batch` its encoder wrote with a raw newline.
    static std::string raw_newline_in(const Batch<E>& batch) {
      std::size_t index = 0;
      for (const E& item : batch) {
        Buffer line;
        JsonlEncoder<E>::append(line, item);
        if (text_of(line).find('\n') != std::string_view::npos) break;
        ++index;
      }
      return "item " + std::to_string(index) + " of the batch was encoded with a raw newline";
    }
    Buffer buffer_;
  };

  /// Validates `config` and opens this partition's file. Throws `ConfigError`
  /// naming the key for a bad config, `std::invalid_argument` for worker
  /// arguments out of range.
  Partition build_partition(const nlohmann::json& config, int worker_index, int worker_count,
                            AsyncBridge* /*bridge*/, void* /*session_manager*/) const {
    check_worker_args(worker_index, worker_count);
    auto cfg = detail::parse_jsonl_config(config);
    return Partition(detail::open_partition_file(cfg.dir, worker_index, cfg.fsync), cfg.fsync);
  }

  /// Parses every complete line the target holds, files in name order. A line
  /// that does not parse as `E` throws `SinkError` naming file and line.
  static std::vector<E> read_back(const nlohmann::json& config) {
    auto cfg = detail::parse_jsonl_config(config);
    std::vector<E> out;
    detail::for_each_stored_line(cfg.dir, [&](std::string_view line, const std::filesystem::path& file,
                                              std::size_t line_no) {
      try {
        out.push_back(nlohmann::json::parse(line).template get<E>());
      } catch (const std::exception& e) {  // the JSON's, or E's own from_json's
        throw SinkError(file.string() + ":" + std::to_string(line_no) + ": not a stored item: " + e.what());
      }
    });
    return out;
  }

  /// Exactly once, in order, readable on return (written to the kernel before
  /// `write_batch` returns, whatever the fsync policy), and it survives the
  /// worker process being killed. It survives a power cut with `fsync: batch`
  /// only: each batch is fdatasynced before `write_batch` returns and a new
  /// file's directory is fsynced. (`close` syncs at close, too late for an
  /// acknowledgement made on return.)
  static Capabilities capabilities(const nlohmann::json& config) {
    Capabilities caps;
    caps.survives_crash = true;
    caps.survives_power_loss = detail::fsync_policy_of(config) == detail::FsyncPolicy::batch;
    return caps;
  }
};

}  // namespace sinkkit::sinks
