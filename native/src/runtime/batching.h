// Splitting a call into internal batches (CTranslate2's rebatch_input, batch_reader.cc:L174-227).
#pragma once

#include <cstddef>
#include <vector>

#include "runtime/options.h"

namespace trd::runtime {

// Groups example indices into batches: examples sorted by source length, longest first (ties
// keep input order), then cut by max_batch_size examples, or, for BatchType::Tokens, while
// (examples) x (longest source) <= max_batch_size, with at least one example per batch.
// max_batch_size 0 puts everything into one batch.
std::vector<std::vector<size_t>> make_batches(const std::vector<size_t>& source_lengths, int32_t max_batch_size,
                                              BatchType batch_type);

}  // namespace trd::runtime
