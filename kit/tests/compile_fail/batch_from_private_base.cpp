// Must NOT compile: a private base is not a subtype from the outside.
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit_test/events.hpp>
int main() {
  std::vector<sinkkit_test::PrivateEvent> items(1);
  sinkkit::Batch<sinkkit_test::Event> batch(items);
  return static_cast<int>(batch.size());
}
