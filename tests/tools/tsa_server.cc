// custos_test_tsa: a time-stamping authority on 127.0.0.1 for tests (RFC
// 3161 over HTTP: POST application/timestamp-query, answer
// application/timestamp-reply), built on TestTsa (OpenSSL's TS_RESP_CTX).
//
//   custos_test_tsa --cert-out tsa.pem --port-file tsa.port [--name CN] [--expired]
//
// Writes its certificate (PEM) and its port, then answers one connection at a
// time until killed. --expired: its certificate's validity ended yesterday.
#include <utility>  // before Boost (Boost 1.74 in C++20)

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/tools/test_tsa.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

int main(int argc, char** argv) {
  std::string cert_out, port_file, name = "Custos test TSA";
  bool expired = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--cert-out") cert_out = next();
    else if (arg == "--port-file") port_file = next();
    else if (arg == "--name") name = next();
    else if (arg == "--expired") expired = true;
    else {
      std::cerr << "custos_test_tsa: unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (cert_out.empty() || port_file.empty()) {
    std::cerr << "usage: custos_test_tsa --cert-out FILE --port-file FILE [--name CN] [--expired]\n";
    return 2;
  }
  auto tsa = expired ? custos::testing::TestTsa::Create(name, -48, -24) : custos::testing::TestTsa::Create(name);
  if (!tsa.ok()) {
    std::cerr << "custos_test_tsa: " << tsa.status().ToString() << "\n";
    return 1;
  }
  std::ofstream(cert_out) << tsa->certificate_pem();
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  {
    std::ofstream out(port_file + ".tmp");
    out << acceptor.local_endpoint().port() << "\n";
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {  // keep-alive: answer requests until the client closes
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) break;
      http::response<http::string_body> response;
      response.version(11);
      response.keep_alive(request.keep_alive());
      if (request.method() != http::verb::post ||
          request[http::field::content_type] != "application/timestamp-query") {
        response.result(http::status::bad_request);
        response.set(http::field::content_type, "text/plain");
        response.body() = "POST application/timestamp-query\n";
      } else {
        const std::string& body = request.body();
        auto answer = tsa->Answer(custos::ByteSpan(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
        if (!answer.ok()) {
          response.result(http::status::internal_server_error);
          response.body() = answer.status().ToString() + "\n";
        } else {
          response.result(http::status::ok);
          response.set(http::field::content_type, "application/timestamp-reply");
          response.body().assign(answer->begin(), answer->end());
        }
      }
      response.prepare_payload();
      http::write(socket, response, ec);
      if (ec || !request.keep_alive()) break;
    }
  }
}
