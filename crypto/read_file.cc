#include "crypto/read_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace custos {

Result<std::string> ReadFileLimited(const std::string& path, size_t max_bytes, const char* what) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::InvalidArgument(std::string(what) + ": cannot read " + path + ": " + ec.message());
  if (size > max_bytes) {
    return Status::InvalidArgument(std::string(what) + ": " + path + " is " + std::to_string(size) +
                                   " bytes, over the limit of " + std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError(std::string(what) + ": reading " + path + " failed");
  return ss.str();
}

}  // namespace custos
