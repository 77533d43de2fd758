#pragma once
/// \file
/// `Batch<E>`: the read-only view a sink partition receives in one
/// `write_batch` call.
///
/// A batch is contravariant in its element type: a `Batch<Base>` can be made
/// from a span of any type publicly derived from `Base`, without a copy, even
/// when `Base` is not the first base of the derived type or the derived type is
/// larger. A sink written for `Base` therefore accepts batches of every subtype.
///
/// **Example**:
///
///     struct Audit { std::int64_t at = 0; };
///     struct Tagged : Audit, Event { int tag = 0; };  // Event at a non-zero offset
///
///     std::vector<Tagged> rows(3);
///     sinkkit::Batch<Event> batch{rows};               // no copy
///     for (const Event& e : batch) std::cout << e.key;  // strides over Tagged

#include <concepts>
#include <cstddef>
#include <iterator>
#include <new>
#include <span>
#include <type_traits>
#include <vector>

namespace sinkkit {
inline namespace protocol {

/// True when a `Batch<E>` may view elements of type `D`: `D` is `E`, or `D`
/// is publicly and unambiguously derived from `E`.
template <class D, class E>
concept BatchElementOf = std::same_as<std::remove_cv_t<D>, std::remove_cv_t<E>> ||
                         std::derived_from<std::remove_cv_t<D>, std::remove_cv_t<E>>;

template <class E>
class Batch;

}  // namespace protocol

namespace detail {
// Byte distance from the start of a `D` to its `E` subobject. Taken from a real
// element so that virtual bases (whose offset only the object knows) work too.
template <class E, class D>
std::ptrdiff_t base_offset(const D& element) noexcept {
  const E& base = element;
  return reinterpret_cast<const std::byte*>(&base) - reinterpret_cast<const std::byte*>(&element);
}
}  // namespace detail

inline namespace protocol {

/// A random-access, non-owning, read-only view over the items of one
/// `write_batch` call. It never outlives the call: the runtime (and the kit,
/// which poisons the memory afterwards) may reuse the storage once
/// `write_batch` returns, so a sink that keeps items must copy them.
template <class E>
class Batch {
  static_assert(!std::is_reference_v<E>, "Batch<E> needs an object type");

 public:
  using value_type = std::remove_cv_t<E>;
  using element_type = const E;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = const E&;
  using pointer = const E*;

  /// A random-access iterator over `const E&`, striding over the elements of
  /// the viewed (possibly derived) type.
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using iterator_concept = std::random_access_iterator_tag;
    using value_type = Batch::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = const E&;
    using pointer = const E*;

    iterator() = default;

    reference operator*() const noexcept { return *at(0); }
    pointer operator->() const noexcept { return at(0); }
    reference operator[](difference_type n) const noexcept { return *at(n); }

    iterator& operator++() noexcept { pos_ += stride_; return *this; }
    iterator operator++(int) noexcept { iterator old = *this; ++*this; return old; }
    iterator& operator--() noexcept { pos_ -= stride_; return *this; }
    iterator operator--(int) noexcept { iterator old = *this; --*this; return old; }
    iterator& operator+=(difference_type n) noexcept { pos_ += n * stride_; return *this; }
    iterator& operator-=(difference_type n) noexcept { pos_ -= n * stride_; return *this; }
    friend iterator operator+(iterator it, difference_type n) noexcept { return it += n; }
    friend iterator operator+(difference_type n, iterator it) noexcept { return it += n; }
    friend iterator operator-(iterator it, difference_type n) noexcept { return it -= n; }
    friend difference_type operator-(const iterator& a, const iterator& b) noexcept {
      return a.stride_ == 0 ? 0 : (a.pos_ - b.pos_) / a.stride_;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.pos_ == b.pos_; }
    friend auto operator<=>(const iterator& a, const iterator& b) noexcept { return a.pos_ <=> b.pos_; }

   private:
    friend class Batch;
    iterator(const std::byte* pos, std::ptrdiff_t stride) noexcept : pos_(pos), stride_(stride) {}
    // `pos_` addresses the E subobject of the current element; launder makes
    // the byte-pointer-to-E step well defined (an E lives there).
    pointer at(difference_type n) const noexcept {
      return std::launder(reinterpret_cast<pointer>(pos_ + n * stride_));
    }
    const std::byte* pos_ = nullptr;
    std::ptrdiff_t stride_ = 0;
  };
  using const_iterator = iterator;

  /// An empty batch.
  constexpr Batch() noexcept = default;

  /// Views `items`, where `D` is `E` or publicly derived from it. No copy.
  template <class D>
    requires BatchElementOf<D, E>
  Batch(std::span<const D> items) noexcept  // NOLINT(google-explicit-constructor): views convert like span
      : first_(items.empty() ? nullptr : element_address(items.front())),
        size_(items.size()),
        stride_(static_cast<std::ptrdiff_t>(sizeof(D))) {}

  /// Views `items`, where `D` is `E` or publicly derived from it. No copy.
  template <class D>
    requires BatchElementOf<D, E>
  Batch(std::span<D> items) noexcept  // NOLINT(google-explicit-constructor)
      : Batch(std::span<const D>(items)) {}

  /// Views the elements of `items`; the vector must outlive the batch.
  template <class D, class A>
    requires BatchElementOf<D, E>
  Batch(const std::vector<D, A>& items) noexcept  // NOLINT(google-explicit-constructor)
      : Batch(std::span<const D>(items.data(), items.size())) {}

  /// Re-views a batch of a subtype as a batch of one of its bases (how a
  /// wrapping sink forwards a batch). No copy.
  template <class D>
    requires(BatchElementOf<D, E> && !std::same_as<std::remove_cv_t<D>, std::remove_cv_t<E>>)
  Batch(const Batch<D>& other) noexcept  // NOLINT(google-explicit-constructor)
      : first_(other.empty() ? nullptr : element_address(other[0])),
        size_(other.size()),
        stride_(other.stride_bytes()) {}

  /// Number of items.
  [[nodiscard]] size_type size() const noexcept { return size_; }
  /// True when the batch holds no item (rare, but the runtime may deliver one).
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The item at `i`; `i < size()` is the caller's duty.
  [[nodiscard]] reference operator[](size_type i) const noexcept { return begin()[static_cast<difference_type>(i)]; }
  [[nodiscard]] reference front() const noexcept { return (*this)[0]; }
  [[nodiscard]] reference back() const noexcept { return (*this)[size_ - 1]; }
  [[nodiscard]] iterator begin() const noexcept { return iterator(first_, stride_); }
  [[nodiscard]] iterator end() const noexcept {
    return iterator(first_ + static_cast<std::ptrdiff_t>(size_) * stride_, stride_);
  }

  /// Byte distance between consecutive items: `sizeof` the viewed type.
  [[nodiscard]] std::ptrdiff_t stride_bytes() const noexcept { return stride_; }
  /// True when the items are laid out as a plain array of `E` (no subtype).
  [[nodiscard]] bool is_contiguous() const noexcept {
    return size_ == 0 || stride_ == static_cast<std::ptrdiff_t>(sizeof(E));
  }

  /// Copies the payload projection of every item (what a buffering sink must
  /// do before `write_batch` returns).
  [[nodiscard]] std::vector<value_type> to_vector() const
    requires std::copy_constructible<value_type>
  {
    return std::vector<value_type>(begin(), end());
  }

 private:
  template <class D>
  static const std::byte* element_address(const D& element) noexcept {
    return reinterpret_cast<const std::byte*>(&element) + detail::base_offset<E>(element);
  }

  const std::byte* first_ = nullptr;
  size_type size_ = 0;
  std::ptrdiff_t stride_ = static_cast<std::ptrdiff_t>(sizeof(E));
};

template <class D>
Batch(std::span<const D>) -> Batch<D>;
template <class D>
Batch(std::span<D>) -> Batch<D>;
template <class D, class A>
Batch(const std::vector<D, A>&) -> Batch<D>;

}  // namespace protocol
}  // namespace sinkkit
