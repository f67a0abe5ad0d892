// Reading a small file whole, with a size limit, for inputs a user names
// (federation files, bundles, statements).
#pragma once

#include <cstddef>
#include <string>

#include "crypto/status.h"

namespace custos {

// The whole file at `path`. `what` names the input in errors (a flag such as
// "--trust"): InvalidArgument "WHAT: cannot read PATH: …" or "WHAT: PATH is N
// bytes, over the limit of MAX"; IOError "WHAT: reading PATH failed".
Result<std::string> ReadFileLimited(const std::string& path, size_t max_bytes, const char* what);

}  // namespace custos
