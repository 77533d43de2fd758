// Control for the compile-fail tests: same flags and includes, a conversion
// that is allowed. If this stops compiling, the failures prove nothing.
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit_test/events.hpp>
int main() {
  std::vector<sinkkit_test::TaggedEvent> items(1);
  sinkkit::Batch<sinkkit_test::Event> batch(items);
  return static_cast<int>(batch.size()) - 1;
}
