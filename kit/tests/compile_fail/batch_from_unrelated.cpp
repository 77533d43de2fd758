// Must NOT compile: a batch of Event cannot view items of an unrelated type,
// even one with the same fields.
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit_test/events.hpp>
int main() {
  std::vector<sinkkit_test::Unrelated> items(1);
  sinkkit::Batch<sinkkit_test::Event> batch(items);
  return static_cast<int>(batch.size());
}
