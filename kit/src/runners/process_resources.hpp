#pragma once
// What a process holds, read from /proc: its descriptors (each named), its
// thread count and its child processes. The kit looks at its own process
// for a harness, and at each sink process it started over the wire (rule
// SK-3.5); the sink needs no help for it.

#include <sys/types.h>

#include <optional>

#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit::detail {

/// Process `pid` now, or nothing when /proc does not show it (gone, or not
/// Linux). A socket is named by its peer (TCP, UDP, Unix), a pipe as a pipe,
/// a file by its path; what cannot be named keeps the kernel's words
/// ("anon_inode:[eventpoll]").
std::optional<ProcessResources> look_at_process(pid_t pid);

/// SIGKILLs `pid` and every process descended from it (read from /proc, each
/// stopped first). A sink started through a wrapper (`sh -c`, a script
/// without exec, `npm start`) runs as the wrapper's child: killing the
/// wrapper alone left the sink running, writing after its "crash", and
/// holding the pipes until the call timeout.
void kill_process_tree(pid_t pid) noexcept;

}  // namespace sinkkit::detail
