// A sink process's stdout, as the runner reads it: the bytes arrive in reads
// of some size, are cut into bounded lines, and each line answers the op the
// runner sent, in the order a run sends them (hello, build, write_batch,
// write_batch, close, read_back, and again). Each op's reader may fail only
// as the runner expects: a line too long, a line that is not a response, a
// hello that breaks the contract, an error response, a read-back it cannot use.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/runners/sink_process.hpp>

#include "fuzz_support.hpp"
#include "runners/wire_responses.hpp"

namespace {

using sinkkit::WireError;
using sinkkit::wire::Op;
namespace detail = sinkkit::detail;
using sinkkit::fuzz::expect;

constexpr std::array kRun = {Op::hello, Op::build, Op::write_batch, Op::write_batch, Op::close, Op::read_back};
// Small, so that inputs reach the bound (the runner's is 64 MiB).
constexpr std::size_t kMaxLineBytes = 512;

void answer(Op op, const std::string& line, std::map<std::string, std::string>& fields) {
  nlohmann::json r;
  try {
    r = detail::parse_response_line(line);
  } catch (const WireError& e) {
    expect(e.kind() == WireError::Kind::malformed, "a line that is not a response is malformed");
    return;  // the runner kills the process; here the next line is read as a new start
  }
  try {
    switch (op) {
      case Op::hello: {
        const auto hello = detail::read_hello(r);
        expect(!hello.sink.fields.contains("key"), "hello accepted a payload field named key");
        fields = hello.sink.fields;
        break;
      }
      case Op::build:
        detail::throw_if_failed(r);
        break;
      case Op::write_batch:
        detail::throw_if_failed(r);
        if (const auto ns = detail::sink_time_of(r)) expect(*ns >= 0 && r["sink_ns"] == *ns, "a sink time not as sent");
        break;
      case Op::close: {
        const auto report = detail::close_report_of(r);
        expect(report.bridge_in_flight.value_or(0) >= 0 && report.sessions_leased.value_or(0) >= 0,
               "a negative count taken from a close report");
        expect(!report.session_manager_disposed || r["session_manager"]["disposed"] == true,
               "disposed read from something other than true");
        detail::throw_if_failed(r);
        break;
      }
      case Op::read_back: {
        const auto back = detail::read_back_of(r, fields);
        expect(back.corrupted >= 0 && static_cast<std::size_t>(back.corrupted) <= back.keys.size(),
               "more corrupted items than items");
        expect((back.corrupted == 0) == back.first_corruption.empty(), "a corruption without its description");
        break;
      }
      default:
        break;
    }
  } catch (const WireError& e) {
    expect(op == Op::hello && e.kind() == WireError::Kind::protocol, "only hello breaks the protocol");
  } catch (const sinkkit::RemoteError& e) {
    expect(op != Op::hello && op != Op::read_back, "an error response read as the sink's error");
    expect(!e.kind().empty() && std::string_view(e.what()).size() > 0, "an error without kind or message");
  } catch (const std::runtime_error&) {
    expect(op == Op::read_back, "only read_back fails as a runtime_error");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte: how many bytes each read returns (0: all at once).
  const std::size_t read_size = data[0] == 0 ? size : data[0];
  const auto out = sinkkit::fuzz::text_of(data + 1, size - 1);
  detail::ResponseLines lines(kMaxLineBytes);
  std::map<std::string, std::string> fields = {{"value", "int"}};
  std::size_t step = 0;
  for (std::size_t at = 0; at < out.size(); at += read_size) {
    lines.append(out.substr(at, read_size));
    for (;;) {
      std::optional<std::string> line;
      try {
        line = lines.next();
      } catch (const WireError& e) {
        expect(e.kind() == WireError::Kind::too_long, "the line reader fails only on a long line");
        return 0;  // the runner kills the process: its stream ends here
      }
      if (!line) break;
      expect(line->size() <= kMaxLineBytes, "a line over the bound was read");
      expect(line->find('\n') == std::string::npos, "a line holds a newline");
      answer(kRun[step++ % kRun.size()], *line, fields);
    }
    expect(!lines.ready(), "lines left to read after the read loop");
  }
  return 0;
}
