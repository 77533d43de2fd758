#pragma once
/// \file
/// Every header of the judgement layer (the oracle and its verdicts).
///
/// **Example**:
///
///     #include <sinkkit/judgement/all.hpp>
///     sinkkit::Verdict v = sinkkit::Oracle(caps).judge(trace, stored_keys);

#include <sinkkit/judgement/oracle.hpp>
#include <sinkkit/judgement/verdict.hpp>
