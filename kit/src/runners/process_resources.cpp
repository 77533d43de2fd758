#include "process_resources.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace sinkkit::detail {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> link_target(const fs::path& link) {
  std::array<char, 4096> buf{};
  const auto n = ::readlink(link.c_str(), buf.data(), buf.size() - 1);
  if (n < 0) return std::nullopt;
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

// "0100007F:1F90" (IPv4, little-endian words) or 32 hex digits (IPv6) -> "127.0.0.1:8080".
std::string address_text(std::string_view hex) {
  const auto colon = hex.find(':');
  if (colon == std::string_view::npos) return std::string(hex);
  const auto ip = hex.substr(0, colon);
  unsigned port = 0;
  std::from_chars(hex.data() + colon + 1, hex.data() + hex.size(), port, 16);
  auto byte_at = [&](std::size_t i) {
    unsigned b = 0;
    std::from_chars(ip.data() + i, ip.data() + i + 2, b, 16);
    return b;
  };
  std::string out;
  if (ip.size() == 8) {
    for (int i = 3; i >= 0; --i) out += std::to_string(byte_at(static_cast<std::size_t>(i) * 2)) + (i > 0 ? "." : "");
  } else if (ip.size() == 32) {
    // Four little-endian 32-bit words; "::ffff:a.b.c.d" is shown as IPv4.
    std::array<unsigned, 16> bytes{};
    for (std::size_t word = 0; word < 4; ++word)
      for (std::size_t b = 0; b < 4; ++b) bytes[word * 4 + b] = byte_at(word * 8 + (3 - b) * 2);
    bool mapped = true;
    for (std::size_t i = 0; i < 10; ++i) mapped = mapped && bytes[i] == 0;
    mapped = mapped && bytes[10] == 0xff && bytes[11] == 0xff;
    if (mapped) {
      for (std::size_t i = 12; i < 16; ++i) out += std::to_string(bytes[i]) + (i < 15 ? "." : "");
    } else {
      out = "[";
      char part[8];
      for (std::size_t i = 0; i < 16; i += 2) {
        std::snprintf(part, sizeof part, "%x", bytes[i] << 8 | bytes[i + 1]);
        out += std::string(part) + (i < 14 ? ":" : "");
      }
      out += "]";
    }
  } else {
    return std::string(hex);
  }
  return out + ":" + std::to_string(port);
}

// Socket inode -> "a TCP socket 127.0.0.1:41234 -> 127.0.0.1:6379", from the
// tables of the process's network namespace.
std::unordered_map<std::string, std::string> socket_names(pid_t pid) {
  std::unordered_map<std::string, std::string> names;
  const fs::path net = fs::path("/proc") / std::to_string(pid) / "net";
  for (const auto& [file, protocol] : {std::pair{"tcp", "TCP"}, {"tcp6", "TCP"}, {"udp", "UDP"}, {"udp6", "UDP"}}) {
    std::ifstream in(net / file);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) continue;
      const bool listening = std::string_view(protocol) == "TCP" && state == "0A";
      names[inode] = std::string("a ") + protocol + " socket " + address_text(local) +
                     (listening ? " (listening)" : " -> " + address_text(remote));
    }
  }
  std::ifstream unix_table(net / "unix");
  std::string line;
  std::getline(unix_table, line);
  while (std::getline(unix_table, line)) {
    std::istringstream fields(line);
    std::string slot, refs, protocol, flags, type, state, inode, path;
    if (!(fields >> slot >> refs >> protocol >> flags >> type >> state >> inode)) continue;
    fields >> path;
    names[inode] = "a Unix socket" + (path.empty() ? std::string() : " " + path);
  }
  return names;
}

std::string descriptor_name(const std::string& target, const std::unordered_map<std::string, std::string>& sockets) {
  if (target.starts_with("socket:[")) {
    const auto inode = target.substr(8, target.size() - 9);
    const auto it = sockets.find(inode);
    // In no table of the namespace: not bound nor connected (or of another family).
    return it != sockets.end() ? it->second : "a socket, not bound nor connected, " + target;
  }
  if (target.starts_with("pipe:[")) return "a pipe (" + target + ")";
  return target;
}

// One thread's children (/proc/PID/task/TID/children, CONFIG_PROC_CHILDREN).
std::vector<pid_t> children_of_task(const fs::path& task) {
  std::vector<pid_t> out;
  std::ifstream in(task / "children");
  for (pid_t child = 0; in >> child;) out.push_back(child);
  return out;
}

}  // namespace

std::optional<ProcessResources> look_at_process(pid_t pid) {
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  ProcessResources out;
  out.pid = static_cast<int>(pid);
  std::error_code ec;
  fs::directory_iterator fds(proc / "fd", ec);
  if (ec) return std::nullopt;
  std::unordered_map<std::string, std::string> sockets;
  bool sockets_read = false;
  const bool self = pid == ::getpid();
  for (fs::directory_iterator end; fds != end; fds.increment(ec)) {
    if (ec) return std::nullopt;
    int fd = -1;
    const auto name = fds->path().filename().string();
    std::from_chars(name.data(), name.data() + name.size(), fd);
    auto target = link_target(fds->path());
    if (fd < 0 || !target) continue;  // closed meanwhile
    // Looking at itself, the kit's own iterator is open: not the sink's.
    if (self && *target == proc.string() + "/fd") continue;
    if (target->starts_with("socket:[") && !sockets_read) {
      sockets = socket_names(pid);
      sockets_read = true;
    }
    out.descriptors[fd] = descriptor_name(*target, sockets);
  }
  for (fs::directory_iterator task(proc / "task", ec), end; !ec && task != end; task.increment(ec)) {
    ++out.threads;
    for (const pid_t child : children_of_task(task->path())) {  // by command name
      std::ifstream comm(fs::path("/proc") / std::to_string(child) / "comm");
      std::string command;
      std::getline(comm, command);
      out.children[child] = command.empty() ? "?" : command;
    }
  }
  if (ec) return std::nullopt;
  return out;
}

namespace {

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task", ec)) {
    const auto of_task = children_of_task(task.path());
    out.insert(out.end(), of_task.begin(), of_task.end());
  }
  return out;
}

}  // namespace

void kill_process_tree(pid_t pid) noexcept {
  if (pid <= 0) return;
  try {
    // Each stopped before its children are read, so that none forks past
    // the walk or exits and has its pid reused before the kill; a second
    // walk finds a child forked while the stop was on its way.
    std::vector<pid_t> tree{pid};
    ::kill(pid, SIGSTOP);
    for (int walk = 0; walk < 2; ++walk) {
      for (std::size_t i = 0; i < tree.size() && tree.size() < 4096; ++i) {
        for (const pid_t child : children_of(tree[i])) {
          if (std::find(tree.begin(), tree.end(), child) != tree.end()) continue;
          ::kill(child, SIGSTOP);
          tree.push_back(child);
        }
      }
    }
    for (const pid_t p : tree) ::kill(p, SIGKILL);
  } catch (...) {  // no memory for the walk: the process itself, at least
    ::kill(pid, SIGKILL);
  }
}

}  // namespace sinkkit::detail
