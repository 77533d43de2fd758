#pragma once
/// \file
/// The results layer: rule and suite results, and their one JSON file form.
#include <sinkkit/results/cause.hpp>
#include <sinkkit/results/result_file.hpp>
#include <sinkkit/results/rule_result.hpp>
#include <sinkkit/results/shard.hpp>
#include <sinkkit/results/suite_result.hpp>
