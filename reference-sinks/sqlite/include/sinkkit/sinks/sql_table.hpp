#pragma once
/// \file
/// `SqlTable<E>`: how a payload type maps to the columns of a table, for
/// `SqliteTableSink<E>`. A user specialises it once per payload type: the
/// columns in order, which column identifies a row (its unique key, so a
/// replayed batch does not duplicate rows), how to bind an item's fields and
/// how to read a row back.
///
/// **Example**:
///
///     struct Reading { std::string id; double value; };
///     template <>
///     struct sinkkit::sinks::SqlTable<Reading> {
///       static constexpr std::array<SqlColumn, 2> columns{{{"id", SqlType::text}, {"value", SqlType::real}}};
///       static constexpr std::size_t unique_key = 0;  // "id"
///       static void bind(const Reading& r, SqlRowWriter& w) { w.text(r.id); w.real(r.value); }
///       static Reading read(const SqlRowReader& r) { return {r.text(0), r.real(1)}; }
///     };

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sinkkit::sinks {

/// SQLite storage classes.
enum class SqlType { integer, real, text, blob };

struct SqlColumn {
  std::string_view name;  ///< a plain identifier: [A-Za-z_][A-Za-z0-9_]*
  SqlType type;
};

/// Binds one item's fields, in column order. Implemented over a prepared
/// statement by the sink.
class SqlRowWriter {
 public:
  virtual void integer(std::int64_t v) = 0;
  virtual void real(double v) = 0;
  virtual void text(std::string_view v) = 0;
  virtual void blob(std::span<const std::byte> v) = 0;
  virtual void null() = 0;

 protected:
  ~SqlRowWriter() = default;
};

/// Reads the columns of one stored row, by column index.
class SqlRowReader {
 public:
  [[nodiscard]] virtual std::int64_t integer(int column) const = 0;
  [[nodiscard]] virtual double real(int column) const = 0;
  [[nodiscard]] virtual std::string text(int column) const = 0;
  [[nodiscard]] virtual bool is_null(int column) const = 0;

 protected:
  ~SqlRowReader() = default;
};

/// Specialise for each payload type (see the file comment).
template <class E>
struct SqlTable;

/// A payload type with a complete `SqlTable` description.
template <class E>
concept SqlMappable = requires(const E& e, SqlRowWriter& w, const SqlRowReader& r) {
  { SqlTable<E>::columns.size() } -> std::convertible_to<std::size_t>;
  { SqlTable<E>::unique_key } -> std::convertible_to<std::size_t>;
  SqlTable<E>::bind(e, w);
  { SqlTable<E>::read(r) } -> std::convertible_to<E>;
};

}  // namespace sinkkit::sinks
