#include <utility>  // before Boost (Boost 1.74 in C++20)

#include "node/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "crypto/text.h"

namespace custos::node {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kTimeout = std::chrono::seconds(10);

// Runs the operation `start` begins on `io` until it completes; its error.
template <typename Start>
beast::error_code Run(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

template <typename Stream>
Result<HttpReply> Exchange(asio::io_context& io, Stream& stream, const http::request<http::string_body>& request,
                           size_t max_answer) {
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(kTimeout);
  if (auto ec = Run(io, [&](auto done) { http::async_write(stream, request, done); })) {
    return Status::IOError("sending: " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_answer);
  lowest.expires_after(kTimeout);
  if (auto ec = Run(io, [&](auto done) { http::async_read(stream, buffer, parser, done); })) {
    return Status::IOError("reading the answer: " + ec.message());
  }
  const auto& response = parser.get();
  return HttpReply{response.result_int(), std::string(response[http::field::content_type]), response.body()};
}

}  // namespace

Result<HttpReply> HttpPost(const HttpUrl& url, std::string_view path, std::string_view content_type, std::string body,
                           const std::string& ca_file, size_t max_answer) {
  asio::io_context io;
  std::string target = url.path + std::string(path);
  if (target.empty()) target = "/";
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "custosd");
  request.set(http::field::content_type, std::string(content_type));
  request.body() = std::move(body);
  request.prepare_payload();
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return Status::IOError("resolving " + url.host + ": " + ec.message());
  if (!url.tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(kTimeout);
    if ((ec = Run(io, [&](auto done) { stream.async_connect(endpoints, done); }))) {
      return Status::IOError("connecting: " + ec.message());
    }
    return Exchange(io, stream, request, max_answer);
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  if (ca_file.empty()) {
    tls.set_default_verify_paths(ec);
  } else {
    tls.load_verify_file(ca_file, ec);
    if (ec) return Status::IOError("caFile " + ca_file + ": " + ec.message());
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
  tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  // SSL_set_tlsext_host_name, a macro with a C cast in it.
  if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(url.host.c_str())) != 1) {
    return Status::IOError("TLS: cannot set the server name " + url.host);
  }
  beast::get_lowest_layer(stream).expires_after(kTimeout);
  if ((ec = Run(io, [&](auto done) { beast::get_lowest_layer(stream).async_connect(endpoints, done); }))) {
    return Status::IOError("connecting: " + ec.message());
  }
  if ((ec = Run(io, [&](auto done) { stream.async_handshake(asio::ssl::stream_base::client, done); }))) {
    return Status::IOError("TLS handshake: " + ec.message());
  }
  return Exchange(io, stream, request, max_answer);
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  HttpUrl out;
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    out.tls = true;
  } else {
    return Status::InvalidArgument("must begin with http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  if (out.path.find_first_of("?# ") != std::string::npos) return Status::InvalidArgument("no query or fragment, please");
  // host, host:port, [v6], [v6]:port
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("an IPv6 address without its ']'");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return Status::InvalidArgument("text after the IPv6 address");
    port = after.empty() ? "" : after.substr(1);
    if (!after.empty() && port.empty()) return Status::InvalidArgument("an empty port");
    authority = authority.substr(1, close - 1);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    port = authority.substr(colon + 1);
    if (port.empty()) return Status::InvalidArgument("an empty port");
    authority = authority.substr(0, colon);
  }
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    uint64_t n = 0;
    if (!ParseDecimal(port, &n) || n == 0 || n > 65535) {
      return Status::InvalidArgument("the port is not a number from 1 to 65535");
    }
    out.port = std::to_string(n);
  }
  if (authority.empty()) return Status::InvalidArgument("no host");
  out.host = std::string(authority);
  return out;
}

}  // namespace custos::node
