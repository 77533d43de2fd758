// Mutants of build and write_batch (SK-1.x, SK-2.x).

#include "zoo.hpp"
#include "build_mutants.hpp"
#include "write_mutants.hpp"

namespace zoo {

std::vector<Specimen> build_and_write_specimens() {
  return {
      specimen<StoreHarness<FailsForHighWorkerIndex>>("FailsForHighWorkerIndex", "SK-1.1"),
      specimen<StoreHarness<RacesAtOpen>>("RacesAtOpen", "SK-1.1"),
      specimen<StoreHarness<CreatesTableAtFirstWrite>>("CreatesTableAtFirstWrite", "SK-2.10"),
      specimen<SharedVectorHarness>("SharesUnguardedVector", "SK-2.10"),
      specimen<StoreHarness<CrashesOnBadConfig>>("CrashesOnBadConfig", "SK-1.2"),
      specimen<StoreHarness<IgnoresNullBridge>>("IgnoresNullBridge", "SK-1.3"),
      specimen<StoreHarness<WritesMarkerAtBuild>>("WritesMarkerAtBuild", "SK-1.4"),
      specimen<StoreHarness<BuffersDespiteOnReturn>>("BuffersDespiteOnReturn", "SK-2.1"),
      specimen<StoreHarness<ReordersWithinBatch>>("ReordersWithinBatch", "SK-2.2"),
      specimen<FilesHarness<IgnoresWorkerIndex>>("IgnoresWorkerIndex", "SK-2.3"),
      specimen<StoreHarness<MakesUpItems>>("MakesUpItems", "SK-2.4"),
      specimen<StoreHarness<RetriesDuplicate>>("RetriesDuplicate", "SK-2.5"),
      specimen<StoreHarness<BaseStrideIteration>>("BaseStrideIteration", "SK-2.6"),
      specimen<StoreHarness<RefusesSubtypeBatches>>("RefusesSubtypeBatches", "SK-2.6"),
      specimen<StoreHarness<RetainsBatch>>("RetainsBatch", "SK-2.7"),
      specimen<StoreHarness<RejectsEmptyBatches>>("RejectsEmptyBatches", "SK-2.8"),
      specimen<StoreHarness<CrashesOnEmptyBatch>>("CrashesOnEmptyBatch", "SK-2.8"),
      specimen<StoreHarness<TruncatesLargeBatches>>("TruncatesLargeBatches", "SK-2.9"),
      specimen<FilesHarness<UnguardedSharedState>>("UnguardedSharedState", "SK-2.10"),
      specimen<StoreHarness<ResendsPreviousBatch>>("ResendsPreviousBatch", "SK-2.11"),
  };
}

}  // namespace zoo
