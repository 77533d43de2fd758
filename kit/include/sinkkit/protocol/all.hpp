#pragma once
/// \file
/// Every header of the protocol layer. Convenient, but it pulls in all of
/// nlohmann/json and <future>: prefer the one header you use.
///
/// **Example**:
///
///     #include <sinkkit/protocol/all.hpp>
///     static_assert(sinkkit::IntoSink<MySink>);

#include <sinkkit/protocol/any_partition.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/protocol/capabilities.hpp>
#include <sinkkit/protocol/concepts.hpp>
#include <sinkkit/protocol/config.hpp>
#include <sinkkit/protocol/diagnostics.hpp>
#include <sinkkit/protocol/errors.hpp>
#include <sinkkit/protocol/item_key.hpp>
