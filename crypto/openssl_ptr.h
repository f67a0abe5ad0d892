// Owning pointers for OpenSSL objects: std::unique_ptr with the object's own
// free function (OpenSslPtr<BIO, BIO_free_all>).
#pragma once

#include <memory>

namespace custos {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

}  // namespace custos
