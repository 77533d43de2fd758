// Mutants of close and of the runtime resources (SK-3.x, SK-6.x).

#include "zoo.hpp"
#include "close_mutants.hpp"
#include "runtime_mutants.hpp"

namespace zoo {

std::vector<Specimen> close_and_runtime_specimens() {
  return {
      specimen<StoreHarness<DoubleFlushOnClose>>("DoubleFlushOnClose", "SK-3.1"),
      specimen<StoreHarness<CrashOnIdleClose>>("CrashOnIdleClose", "SK-3.2"),
      specimen<StoreHarness<ClosePropagatesWriteError>>("ClosePropagatesWriteError", "SK-3.3"),
      specimen<StoreHarness<DropsLastBufferAtClose>>("DropsLastBufferAtClose", "SK-3.4"),
      specimen<StoreHarness<LeaksDescriptor>>("LeaksDescriptor", "SK-3.5"),
      specimen<StoreHarness<AcceptsWritesAfterClose>>("AcceptsWritesAfterClose", "SK-3.6"),
      specimen<StoreHarness<ForgetsBridgeWork>>("ForgetsBridgeWork", "SK-6.1"),
      specimen<StoreHarness<DisposesSessionManager>>("DisposesSessionManager", "SK-6.2"),
  };
}

}  // namespace zoo
