// Mutants around faults, crashes, power cuts, restarts and branches (SK-4.x,
// SK-5.1), and one that duplicates what a storage fault made it retry (SK-2.5).

#include "zoo.hpp"
#include "fault_mutants.hpp"
#include "power_mutants.hpp"
#include "sqlite_mutants.hpp"

namespace zoo {

std::vector<Specimen> fault_specimens() {
  return {
      specimen<StoreHarness<DropsFailedFlush<GivesUpFailedRows::at_close>>>("DropsFailedFlushOnAbort", "SK-4.1"),
      specimen<StoreHarness<DropsFailedFlush<GivesUpFailedRows::on_the_next_write>>>("DropsFailedFlushWhenWritingOn",
                                                                                     "SK-4.2"),
      specimen<SqliteMutantHarness<GivesUpFailedRows::at_close>>("SqliteDropsFailedFlushOnAbort", "SK-4.1"),
      specimen<SqliteMutantHarness<GivesUpFailedRows::on_the_next_write>>("SqliteDropsFailedFlushWhenWritingOn",
                                                                           "SK-4.2"),
      specimen<JsonlDirHarness>("LosesUnflushedOnCrash", "SK-2.1"),
      specimen<PosixJsonlHarness<PosixJsonlSink<FileBug::discards_pending_at_restart>>>("DiscardsPendingAtRestart",
                                                                                      "SK-4.3"),
      specimen<PartsOnlyHarness>("MovesItsFileAsideToRewrite", "SK-4.3"),
      specimen<PosixJsonlHarness<PosixJsonlSink<FileBug::keeps_torn_line>>>("FileKeepsTornLineAfterShortWrite", "SK-4.2"),
      specimen<PosixJsonlHarness<PosixJsonlSink<FileBug::ignores_failed_fsync>>>("FileIgnoresFailedFsync", "SK-4.5"),
      specimen<PosixJsonlHarness<PosixJsonlSink<FileBug::swallows_write_error>>>("FileSwallowsWriteError", "SK-4.5"),
      specimen<PosixJsonlHarness<RetriesBatchFromItsStart>>("FileRetriesBatchFromItsStart", "SK-2.5"),
      specimen<FilesHarness<TruncatesOnRestart>>("TruncatesOnRestart", "SK-4.4"),
      specimen<FilesHarness<BranchesShareFile>>("BranchesShareFile", "SK-5.1"),
      specimen<PowerCutHarness<LosesOnPowerCut<PowerBug::no_directory_fsync_after_create>>>(
          "NoDirectoryFsyncAfterCreate", "SK-4.6"),
      specimen<PowerCutHarness<LosesOnPowerCut<PowerBug::renames_unsynced_file>>>("RenamesUnsyncedFile", "SK-4.6"),
      specimen<PowerCutHarness<LosesOnPowerCut<PowerBug::fsyncs_before_the_last_write>>>("FsyncsBeforeTheLastWrite",
                                                                                           "SK-4.6"),
      specimen<PowerCutHarness<LosesOnPowerCut<PowerBug::fsyncs_the_wrong_descriptor>>>("FsyncsTheWrongDescriptor",
                                                                                          "SK-4.6"),
  };
}

}  // namespace zoo
