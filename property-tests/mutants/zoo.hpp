#pragma once
// The mutant zoo: each broken sink with the rule it breaks.

#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include <sinkkit/runners/harness.hpp>

#include "build_mutants.hpp"
#include "close_mutants.hpp"
#include "fault_mutants.hpp"
#include "runtime_mutants.hpp"
#include "sqlite_mutants.hpp"
#include "write_mutants.hpp"

namespace zoo {

struct Specimen {
  std::string name;  // GoogleTest-safe
  std::string rule;  // the rule it breaks
  std::function<std::unique_ptr<sinkkit::SinkUnderTest>()> make;
};

// GoogleTest names the parameter by this, not by a dump of its bytes.
inline void PrintTo(const Specimen& s, std::ostream* os) { *os << s.name << " (breaks " << s.rule << ")"; }

template <class H>
Specimen specimen(std::string name, std::string rule) {
  return {std::move(name), std::move(rule), [] { return std::make_unique<sinkkit::HarnessSink<H>>(); }};
}

inline std::vector<Specimen> specimens() {
  return {
      specimen<StoreHarness<FailsForHighWorkerIndex>>("FailsForHighWorkerIndex", "SK-1.1"),
      specimen<StoreHarness<CrashesOnBadConfig>>("CrashesOnBadConfig", "SK-1.2"),
      specimen<StoreHarness<IgnoresNullBridge>>("IgnoresNullBridge", "SK-1.3"),
      specimen<StoreHarness<WritesMarkerAtBuild>>("WritesMarkerAtBuild", "SK-1.4"),
      specimen<StoreHarness<BuffersDespiteOnReturn>>("BuffersDespiteOnReturn", "SK-2.1"),
      specimen<StoreHarness<ReordersWithinBatch>>("ReordersWithinBatch", "SK-2.2"),
      specimen<FilesHarness<IgnoresWorkerIndex>>("IgnoresWorkerIndex", "SK-2.3"),
      specimen<StoreHarness<MakesUpItems>>("MakesUpItems", "SK-2.4"),
      specimen<StoreHarness<RetriesDuplicate>>("RetriesDuplicate", "SK-2.5"),
      specimen<StoreHarness<BaseStrideIteration>>("BaseStrideIteration", "SK-2.6"),
      specimen<StoreHarness<RetainsBatch>>("RetainsBatch", "SK-2.7"),
      specimen<StoreHarness<RejectsEmptyBatches>>("RejectsEmptyBatches", "SK-2.8"),
      specimen<StoreHarness<TruncatesLargeBatches>>("TruncatesLargeBatches", "SK-2.9"),
      specimen<FilesHarness<UnguardedSharedState>>("UnguardedSharedState", "SK-2.10"),
      specimen<StoreHarness<ResendsPreviousBatch>>("ResendsPreviousBatch", "SK-2.11"),
      specimen<StoreHarness<DoubleFlushOnClose>>("DoubleFlushOnClose", "SK-3.1"),
      specimen<StoreHarness<CrashOnIdleClose>>("CrashOnIdleClose", "SK-3.2"),
      specimen<StoreHarness<ClosePropagatesWriteError>>("ClosePropagatesWriteError", "SK-3.3"),
      specimen<StoreHarness<DropsLastBufferAtClose>>("DropsLastBufferAtClose", "SK-3.4"),
      specimen<StoreHarness<LeaksDescriptor>>("LeaksDescriptor", "SK-3.5"),
      specimen<StoreHarness<AcceptsWritesAfterClose>>("AcceptsWritesAfterClose", "SK-3.6"),
      specimen<StoreHarness<DropsFailedFlush>>("DropsFailedFlushOnAbort", "SK-4.1"),
      specimen<StoreHarness<DropsFailedFlush>>("DropsFailedFlushWhenWritingOn", "SK-4.2"),
      specimen<SqliteMutantHarness>("SqliteDropsFailedFlushOnAbort", "SK-4.1"),
      specimen<SqliteMutantHarness>("SqliteDropsFailedFlushWhenWritingOn", "SK-4.2"),
      specimen<JsonlDirHarness>("LosesUnflushedOnCrash", "SK-4.3"),
      specimen<FilesHarness<TruncatesOnRestart>>("TruncatesOnRestart", "SK-4.4"),
      specimen<FilesHarness<BranchesShareFile>>("BranchesShareFile", "SK-5.1"),
      specimen<StoreHarness<ForgetsBridgeWork>>("ForgetsBridgeWork", "SK-6.1"),
      specimen<StoreHarness<DisposesSessionManager>>("DisposesSessionManager", "SK-6.2"),
  };
}

}  // namespace zoo
