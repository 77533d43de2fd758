#pragma once
/// \file
/// Every header of the runners layer except runners/gtest.hpp (which needs
/// GoogleTest): the Harness, child-process isolation and `run_suite`.
///
/// **Example**:
///
///     #include <sinkkit/runners/all.hpp>
///     sinkkit::HarnessSink<MyHarness> sut;
///     return sinkkit::run_suite(sut, {.progress = &std::cerr}).exit_code();

#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/bench.hpp>
#include <sinkkit/runners/child_process.hpp>
#include <sinkkit/runners/harness.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <sinkkit/runners/sink_process.hpp>
#include <sinkkit/runners/soak.hpp>
#include <sinkkit/runners/suite.hpp>
#include <sinkkit/runners/wire_messages.hpp>
#include <sinkkit/runners/wire_server.hpp>
#include <sinkkit/runners/wire_sink.hpp>
