// A small blocking HTTP/1.1 client (Boost.Beast) for the node's calls to
// services outside the federation: C2SP tlog-witnesses (witness_asker.h)
// and RFC 3161 time-stamping authorities (timestamper in federation.h).
// Each call makes one connection, with a 10 s timeout for each step.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace custos::node {

// The parts of an http:// or https:// URL; InvalidArgument naming what is wrong.
struct HttpUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // the prefix, without a trailing '/'; "" for none
};
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// POSTs `body` to url.path + `path`. `ca_file`: the PEM certificates an
// https:// server must chain to ("" for the system's); an answer longer than
// `max_answer` bytes is an error. IOError naming the step that failed.
Result<HttpReply> HttpPost(const HttpUrl& url, std::string_view path, std::string_view content_type, std::string body,
                           const std::string& ca_file, size_t max_answer);

}  // namespace custos::node
