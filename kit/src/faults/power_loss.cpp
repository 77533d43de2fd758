#include "power_loss.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <utility>

#include <sinkkit/detail/rng.hpp>

#include "journal_format.hpp"

namespace sinkkit::detail::faults {

namespace fs = std::filesystem;

namespace {

struct Record {
  JournalHeader header{};
  std::string one;  // a path, or a write's or a sync's bytes
  std::string two;  // a second path
};

// Every record of every journal, in time order (a journal's own order for ties).
std::vector<Record> read_journals(const std::vector<fs::path>& journals) {
  std::vector<std::tuple<std::uint64_t, std::size_t, std::size_t, Record>> all;
  for (std::size_t j = 0; j < journals.size(); ++j) {
    std::error_code ec;
    if (!fs::exists(journals[j], ec)) continue;  // a process that changed nothing under the root
    std::ifstream in(journals[j], std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw std::runtime_error("power loss: cannot read the journal " + journals[j].string());
    std::size_t at = 0;
    for (std::size_t n = 0; at + sizeof(JournalHeader) <= bytes.size(); ++n) {
      Record r;
      std::memcpy(&r.header, bytes.data() + at, sizeof r.header);
      const std::size_t size = r.header.size;
      if (size < sizeof r.header || at + size > bytes.size() ||
          std::size_t{r.header.len1} + r.header.len2 != size - sizeof r.header) {
        break;  // a record the process was killed while writing: the rest is not there
      }
      r.one.assign(bytes, at + sizeof r.header, r.header.len1);
      r.two.assign(bytes, at + sizeof r.header + r.header.len1, r.header.len2);
      all.emplace_back(r.header.ns, j, n, std::move(r));
      at += size;
    }
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  std::vector<Record> out;
  out.reserve(all.size());
  for (auto& t : all) out.push_back(std::move(std::get<3>(t)));
  return out;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

struct Node {
  bool dir = false;
  std::uint64_t ino = 0;
};

struct Change {
  bool truncate = false;
  std::uint64_t at = 0;  // a write's offset, a truncation's size
  std::string data;
};

void apply(std::string& content, const Change& c) {
  if (c.truncate) {
    content.resize(static_cast<std::size_t>(c.at));
    return;
  }
  const auto end = static_cast<std::size_t>(c.at) + c.data.size();
  if (content.size() < end) content.resize(end);
  std::copy(c.data.begin(), c.data.end(), content.begin() + static_cast<std::ptrdiff_t>(c.at));
}

struct FileState {
  std::optional<std::string> durable;  // as of its last sync; none: never synced
  std::vector<Change> pending;         // since then, in order
};

// A name change in a directory since that directory's last fsync.
struct NameChange {
  std::string path;
  std::optional<Node> node;  // none: the name was removed
};

// The journal replayed: the namespace as the page cache has it (`live`) and
// as a disk keeps it (`durable`), each file's durable content and its
// changes since, each directory's unsynced name changes.
class Model {
 public:
  explicit Model(const TreeSnapshot& before) {
    for (const auto& [path, entry] : before.entries) {
      const Node node{!entry.content.has_value(), entry.ino};
      live_[path] = durable_[path] = node;
      if (entry.content) files_[entry.ino].durable = *entry.content;
    }
  }

  void replay(const Record& r, const std::function<std::optional<std::string>(const std::string&)>& relative) {
    const auto& h = r.header;
    switch (static_cast<JournalKind>(h.kind)) {
      case JournalKind::write:
        files_[h.ino].pending.push_back({false, h.value, r.one});
        break;
      case JournalKind::truncate:
        files_[h.ino].pending.push_back({true, h.value, {}});
        break;
      case JournalKind::sync: {
        auto& f = files_[h.ino];
        f.durable = r.one;
        f.pending.clear();
        break;
      }
      case JournalKind::dirsync:
        if (const auto dir = relative(r.one)) sync_directory(*dir);
        break;
      case JournalKind::create:
        if (const auto path = relative(r.one)) {
          files_[h.ino] = FileState{};
          set_name(*path, Node{false, h.ino});
        }
        break;
      case JournalKind::mkdir:
        if (const auto path = relative(r.one)) set_name(*path, Node{true, 0});
        break;
      case JournalKind::unlink:
      case JournalKind::rmdir:
        if (const auto path = relative(r.one)) set_name(*path, std::nullopt);
        break;
      case JournalKind::rename:
      case JournalKind::link: {
        const auto from = relative(r.one);
        const auto to = relative(r.two);
        const auto node = from ? find(live_, *from) : std::nullopt;
        if (from && static_cast<JournalKind>(h.kind) == JournalKind::rename) {
          if (node && node->dir) move_children(*from, to.value_or(""));
          set_name(*from, std::nullopt);
        }
        if (to && node) set_name(*to, node);
        break;
      }
      case JournalKind::syncall:
        durable_ = live_;
        for (auto& [ino, f] : files_) {
          f.durable = content(f, f.pending.size());
          f.pending.clear();
        }
        pending_names_.clear();
        break;
    }
  }

  // The crash state `choice` draws, and its description against the page cache's.
  std::pair<std::map<std::string, std::optional<std::string>>, PowerCutReport> crash_state(
      const CrashStateChoice& choice) const {
    Rng rng(choice.seed ^ 0x70077E5ULL);
    auto names = durable_;
    if (!choice.strict) {
      for (const auto& [dir, changes] : pending_names_) {
        for (const auto& c : changes) {
          if (rng.below(2) == 0) continue;
          if (c.node) {
            names[c.path] = *c.node;
          } else {
            names.erase(c.path);
          }
        }
      }
    }
    std::map<std::uint64_t, std::size_t> kept;  // unsynced changes kept per file
    for (const auto& [ino, f] : files_) kept[ino] = choice.strict ? 0 : static_cast<std::size_t>(rng.below(f.pending.size() + 1));
    std::map<std::string, std::optional<std::string>> state;
    for (const auto& [path, node] : names) {
      if (!reachable(names, path)) continue;
      if (node.dir) {
        state[path] = std::nullopt;
      } else {
        const auto f = files_.find(node.ino);
        state[path] = f == files_.end() ? std::string() : content(f->second, kept[node.ino]);
      }
    }
    PowerCutReport report;
    std::vector<std::string> said;
    for (const auto& [path, node] : live_) {
      if (node.dir || !reachable(live_, path)) continue;
      const auto f = files_.find(node.ino);
      const auto kept_name = names.find(path);
      if (!state.contains(path)) {
        ++report.names_not_durable;
        said.push_back("the name " + path + " not yet durable");
      } else if (kept_name->second.ino != node.ino) {
        ++report.names_not_durable;
        said.push_back(path + " still the file it named before (its replacement not yet durable)");
      } else if (f != files_.end() && f->second.pending.size() > kept[node.ino]) {
        const auto dropped = static_cast<int>(f->second.pending.size() - kept[node.ino]);
        report.writes_dropped += dropped;
        said.push_back(std::to_string(dropped) + (dropped == 1 ? " unsynced write of " : " unsynced writes of ") + path +
                       " dropped");
      }
    }
    for (const auto& [path, content] : state) {
      if (content && !live_.contains(path)) said.push_back(path + " still there (its removal not yet durable)");
    }
    if (said.empty()) {
      report.description = "nothing written was unsynced";
    } else {
      for (std::size_t i = 0; i < said.size() && i < 4; ++i) report.description += (i == 0 ? "" : ", ") + said[i];
      if (said.size() > 4) report.description += ", and " + std::to_string(said.size() - 4) + " more";
    }
    return {std::move(state), std::move(report)};
  }

 private:
  static std::optional<Node> find(const std::map<std::string, Node>& names, const std::string& path) {
    const auto it = names.find(path);
    if (it == names.end()) return std::nullopt;
    return it->second;
  }

  // Every directory above `path` is there (the root always is).
  static bool reachable(const std::map<std::string, Node>& names, const std::string& path) {
    for (auto dir = parent_of(path); !dir.empty(); dir = parent_of(dir)) {
      const auto it = names.find(dir);
      if (it == names.end() || !it->second.dir) return false;
    }
    return true;
  }

  static std::string content(const FileState& f, std::size_t changes) {
    std::string c = f.durable.value_or(std::string());
    for (std::size_t i = 0; i < changes && i < f.pending.size(); ++i) apply(c, f.pending[i]);
    return c;
  }

  void set_name(const std::string& path, std::optional<Node> node) {
    if (node) {
      live_[path] = *node;
    } else {
      live_.erase(path);
    }
    pending_names_[parent_of(path)].push_back({path, node});
  }

  // A directory renamed: what is under it moves with it (in the page cache).
  void move_children(const std::string& from, const std::string& to) {
    std::map<std::string, Node> moved;
    for (auto it = live_.lower_bound(from + "/"); it != live_.end() && it->first.starts_with(from + "/");) {
      moved[to + it->first.substr(from.size())] = it->second;
      it = live_.erase(it);
    }
    live_.insert(moved.begin(), moved.end());
  }

  void sync_directory(const std::string& dir) {
    for (auto it = durable_.begin(); it != durable_.end();) {
      it = parent_of(it->first) == dir ? durable_.erase(it) : std::next(it);
    }
    for (const auto& [path, node] : live_) {
      if (parent_of(path) == dir) durable_[path] = node;
    }
    pending_names_.erase(dir);
  }

  std::map<std::string, Node> live_;
  std::map<std::string, Node> durable_;
  std::map<std::uint64_t, FileState> files_;
  std::map<std::string, std::vector<NameChange>> pending_names_;
};

}  // namespace

TreeSnapshot snapshot_tree(const fs::path& root) {
  TreeSnapshot out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto rel = fs::relative(it->path(), root, ec).string();
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      out.entries[rel] = {std::nullopt, static_cast<std::uint64_t>(st.st_ino)};
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(it->path(), std::ios::binary);
      out.entries[rel] = {std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
                          static_cast<std::uint64_t>(st.st_ino)};
    }
  }
  return out;
}

void start_tracking(ControlBlock& block, const fs::path& root, const fs::path& journal) {
  std::error_code ec;
  const auto given = fs::absolute(root, ec);
  const auto resolved = fs::weakly_canonical(root, ec);
  if (given.native().size() >= kPathBytes || journal.native().size() >= kPathBytes) {
    throw std::invalid_argument("power loss: a path is too long for the interposer: " + root.string());
  }
  block.track.store(0, std::memory_order_release);
  copy_into(block.root, sizeof block.root, given.string());
  copy_into(block.resolved_root, sizeof block.resolved_root, (ec ? given : resolved).string());
  copy_into(block.journal, sizeof block.journal, journal.string());
  // A value this tracking has alone (the pid apart: a forked child's counter
  // starts where its parent's was).
  static std::atomic<std::uint32_t> trackings{0};
  std::uint32_t value = 0;
  while (value == 0) value = (static_cast<std::uint32_t>(::getpid()) << 12) ^ ++trackings;
  block.track.store(value, std::memory_order_release);
}

void stop_tracking(ControlBlock& block) noexcept { block.track.store(0, std::memory_order_release); }

PowerCutReport cut_power(const fs::path& root, const TreeSnapshot& before, const std::vector<fs::path>& journals,
                         CrashStateChoice choice) {
  std::error_code ec;
  const std::string given = fs::absolute(root, ec).string();
  const std::string resolved = fs::weakly_canonical(root, ec).string();
  auto relative = [&](const std::string& path) -> std::optional<std::string> {
    for (const auto& r : {given, resolved}) {
      if (path == r) return std::string();
      if (path.size() > r.size() && path.compare(0, r.size(), r) == 0 && path[r.size()] == '/') {
        return path.substr(r.size() + 1);
      }
    }
    return std::nullopt;  // outside the root
  };
  Model model(before);
  for (const auto& record : read_journals(journals)) model.replay(record, relative);
  auto [state, report] = model.crash_state(choice);
  // The tree becomes that state: everything under the root goes, then the
  // state's directories (parents sort first) and files.
  for (const auto& entry : fs::directory_iterator(root, ec)) fs::remove_all(entry.path(), ec);
  for (const auto& [path, content] : state) {
    const auto at = root / path;
    if (!content) {
      fs::create_directories(at, ec);
      continue;
    }
    fs::create_directories(at.parent_path(), ec);
    std::ofstream out(at, std::ios::binary | std::ios::trunc);
    out.write(content->data(), static_cast<std::streamsize>(content->size()));
    if (!out) throw std::runtime_error("power loss: cannot write the crash state's " + at.string());
  }
  return report;
}

}  // namespace sinkkit::detail::faults
