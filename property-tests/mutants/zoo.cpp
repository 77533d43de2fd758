#include "zoo.hpp"

namespace zoo {

std::vector<Specimen> specimens() {
  std::vector<Specimen> all;
  for (auto part : {build_and_write_specimens(), close_and_runtime_specimens(), fault_specimens(), stateful_specimens()}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace zoo
