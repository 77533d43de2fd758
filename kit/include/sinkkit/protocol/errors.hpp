#pragma once
/// \file
/// The errors a sink throws, so that the runtime (and the kit) can tell a bad
/// config from a misuse from a storage failure.
///
/// **Example**:
///
///     struct FilePartition {
///       std::FILE* file = nullptr;
///       bool closed = false;
///       void write_batch(sinkkit::Batch<Event> items) {
///         if (closed) throw sinkkit::ClosedError("write_batch");
///         for (const Event& e : items)
///           if (std::fprintf(file, "%s\n", e.key.c_str()) < 0) throw sinkkit::SinkError("append failed at " + e.key);
///       }
///     };
///     if (!config.contains("dir")) throw sinkkit::ConfigError("dir", "is required");  // in build_partition

#include <stdexcept>
#include <string>
#include <utility>

namespace sinkkit {
inline namespace protocol {

/// Base of every error the protocol defines.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad config at build. The message always starts with the offending key, so
/// a user can find it in `streaming.sinks.<name>`.
class ConfigError : public Error {
 public:
  /// `key` is the config key (dotted for nested keys), `problem` what is wrong.
  ConfigError(std::string key, const std::string& problem)
      : Error("config key " + quoted(key) + ": " + printable(problem)), key_(std::move(key)) {}

  /// How the message shows `key`: in single quotes, printable.
  static std::string quoted(const std::string& key) { return "'" + printable(key) + "'"; }

  /// `text` with control characters as \u00XX: a config's keys and values
  /// are anyone's text, and a NUL in one (found by fuzzing) cut the message
  /// short; the message stays one line.
  static std::string printable(const std::string& text) {
    std::string out;
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
      } else {
        out += c;
      }
    }
    return out;
  }

  /// The offending key, e.g. `"dir"` or `"buffer.max_records"`.
  [[nodiscard]] const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

/// A call on a partition that was already closed (anything but a repeated
/// `close`, which must succeed).
class ClosedError : public Error {
 public:
  /// `operation` names the call that came too late, e.g. `"write_batch"`.
  explicit ClosedError(const std::string& operation)
      : Error(operation + " called on a closed partition") {}
};

/// The sink's storage failed. The effect of the failed call on storage is
/// unknown; whatever was acknowledged before it must survive.
class SinkError : public Error {
 public:
  using Error::Error;
};

/// The async bridge refused or gave up on work: it is shut down, or a wait
/// timed out.
class BridgeError : public Error {
 public:
  using Error::Error;
};

/// An error a sink in another process reported over the wire protocol, with
/// the kind it named (`config`, `closed`, `write`, `protocol`, `other`), so
/// the trace records it as the sink meant it.
class RemoteError : public Error {
 public:
  RemoteError(std::string kind, const std::string& message) : Error(message), kind_(std::move(kind)) {}
  [[nodiscard]] const std::string& kind() const noexcept { return kind_; }

 private:
  std::string kind_;
};

}  // namespace protocol
}  // namespace sinkkit
