// Must NOT compile: a sink for a subtype cannot take a batch of its base.
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit_test/events.hpp>
int main() {
  std::vector<sinkkit_test::Event> items(1);
  sinkkit::Batch<sinkkit_test::TaggedEvent> batch(items);
  return static_cast<int>(batch.size());
}
