#pragma once
/// \file
/// Every header of the rules layer: the catalogue, the sink-under-test
/// interface and `check_rule`.
///
/// **Example**:
///
///     #include <sinkkit/rules/all.hpp>
///     for (const sinkkit::Rule& r : sinkkit::catalogue()) std::cout << r.id << "\n";

#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/causes.hpp>
#include <sinkkit/rules/check.hpp>
#include <sinkkit/rules/rule.hpp>
#include <sinkkit/rules/sink_under_test.hpp>
