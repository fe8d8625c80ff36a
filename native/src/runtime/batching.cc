#include "runtime/batching.h"

#include <algorithm>
#include <numeric>

namespace trd::runtime {

std::vector<std::vector<size_t>> make_batches(const std::vector<size_t>& source_lengths, int32_t max_batch_size,
                                              BatchType batch_type) {
  const size_t n = source_lengths.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return source_lengths[a] > source_lengths[b]; });
  std::vector<std::vector<size_t>> batches;
  if (n == 0) return batches;
  if (max_batch_size <= 0) {
    batches.push_back(order);
    return batches;
  }
  const size_t limit = static_cast<size_t>(max_batch_size);
  std::vector<size_t> current;
  size_t longest = 0;
  for (size_t index : order) {
    if (!current.empty()) {
      bool fits;
      if (batch_type == BatchType::Examples) {
        fits = current.size() + 1 <= limit;
      } else {
        const size_t new_longest = std::max(longest, source_lengths[index]);
        fits = (current.size() + 1) * new_longest <= limit;
      }
      if (!fits) {
        batches.push_back(std::move(current));
        current.clear();
        longest = 0;
      }
    }
    current.push_back(index);
    longest = std::max(longest, source_lengths[index]);
  }
  if (!current.empty()) batches.push_back(std::move(current));
  return batches;
}

}  // namespace trd::runtime
