// Whether a Cap'n Proto message that came from outside the process can be
// read whole, by any accessor, without an exception, and holds nothing this
// build does not know. ReadCanonical (canonical.h) runs it on every record,
// so that no later reader of a record has to expect a throw.
#pragma once

#include <capnp/dynamic.h>

#include "crypto/status.h"

namespace custos::schema {

// What CheckWellFormed does with what this build does not know.
enum class Unknown {
  kRefuse,  // records (ReadCanonical): all of the checks below
  kAllow,   // RPC answers, which a newer peer may extend: only that every
            // pointer can be followed and every text read (the first two)
};

// Walks every field of `root` that the schema of this build names (for a
// union, its set member), into every struct, list and text, and checks:
//  - every pointer is of the kind its field needs and within the message;
//  - every Text ends with its NUL terminator and is valid UTF-8;
//  - every enum value is an enumerant of its enum, every union has a member
//    this build knows;
//  - every list is encoded with its element type's own element size (lists
//    of structs as inline-composite lists);
//  - no bit of a struct's data section and no pointer lies outside those
//    fields: padding, the other members of a union and the fields of a newer
//    schema are all zero. So equal values have equal bytes once the message
//    is also canonical (capnp's isCanonical() checks list padding itself);
//  - no field is a capability or an AnyPointer (records have none).
//
// Returns OK, or InvalidArgument "<path>: <reason>" for the first field that
// fails, e.g. "body.caseClosed.reason: text without its NUL terminator" (the
// path is left out for the root struct itself). Never throws.
// Thread-safe: a pure function of the message.
Status CheckWellFormed(capnp::DynamicStruct::Reader root, Unknown unknown = Unknown::kRefuse);

// A sentence for an exception that Cap'n Proto threw while reading a message
// ("a pointer leads outside the message"), for messages to users instead of
// capnp's internal text.
std::string DescribeReadError(const kj::Exception& e);

}  // namespace custos::schema
