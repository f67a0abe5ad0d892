"""A small reader of canonical Cap'n Proto messages (docs/entry-format.md,
schema/canonical.h): one segment without a segment table, the root pointer
first, objects in pre-order, no far pointers, trailing zero words of a
struct's data and trailing null pointers truncated.

`open_canonical` re-encodes the message in canonical form from its pointers
alone (no schema needed) and requires the very same bytes back: whatever is
not exactly canonical — a pointer outside the message, a far pointer, a
capability, padding that is not zero, an object out of order, a struct not
truncated — is refused, so a reader sees each record the one way the C++
side sees it. Field positions come from the schema
(`capnp compile -ocapnp schema/custos.capnp` prints them) and live in
records.py.
"""

import struct as _struct

from .errors import MalformedError

WORD = 8
MAX_NESTING = 16  # schema::kMaxNestingDepth
_BITS = {0: 0, 1: 1, 2: 8, 3: 16, 4: 32, 5: 64, 6: 64}  # list element sizes 0-6
_ELEMENT_BYTE = 2
_ELEMENT_POINTER = 6
_ELEMENT_COMPOSITE = 7


def _u64(buf, word):
    return _struct.unpack_from("<Q", buf, word * WORD)[0]


def _signed30(v):
    return v - (1 << 30) if v & (1 << 29) else v


class _Pointer:
    """A decoded pointer: kind "struct" (target, data words, pointer count),
    "list" (target, element size, count; for a composite list target is the
    tag word) or None for a null pointer."""

    __slots__ = ("kind", "target", "a", "b")

    def __init__(self, kind, target=0, a=0, b=0):
        self.kind, self.target, self.a, self.b = kind, target, a, b


def _decode_pointer(buf, at, nwords, what):
    v = _u64(buf, at)
    if v == 0:
        return _Pointer(None)
    kind = v & 3
    offset = _signed30((v >> 2) & 0x3FFFFFFF)
    target = at + 1 + offset
    bad = MalformedError(f"{what}: not a well-formed message: a pointer leads outside the message")
    if kind == 0:
        dw, pc = (v >> 32) & 0xFFFF, v >> 48
        if dw == 0 and pc == 0 and offset == -1:
            return _Pointer("struct", at, 0, 0)  # an empty struct points at itself
        if target < 0 or target + dw + pc > nwords:
            raise bad
        return _Pointer("struct", target, dw, pc)
    if kind == 1:
        size, count = (v >> 32) & 7, v >> 35
        if size == _ELEMENT_COMPOSITE:
            if target < 0 or target + 1 + count > nwords:
                raise bad
            return _Pointer("list", target, size, count)
        words = (count * _BITS[size] + 63) // 64
        if target < 0 or target + words > nwords:
            raise bad
        return _Pointer("list", target, size, count)
    if kind == 2:
        raise MalformedError(f"{what}: not in canonical form (a far pointer)")
    raise MalformedError(f"{what}: not a well-formed message: a capability pointer")


def _composite_tag(buf, ptr, nwords, what):
    """(elements, data words, pointer count) of a composite list's tag."""
    tag = _u64(buf, ptr.target)
    elements = (tag >> 2) & 0x3FFFFFFF
    dw, pc = (tag >> 32) & 0xFFFF, tag >> 48
    if tag & 3 != 0 or elements * (dw + pc) > ptr.b:
        raise MalformedError(f"{what}: not a well-formed message: a list's tag does not fit its words")
    return elements, dw, pc


class _Canonicalizer:
    """Re-encodes a message canonically, stopping as soon as the output is
    longer than the input (then it cannot be the same bytes)."""

    def __init__(self, buf, what):
        self.buf, self.what = buf, what
        self.nwords = len(buf) // WORD
        self.out = bytearray(WORD)  # the root pointer

    def alloc(self, words):
        at = len(self.out) // WORD
        self.out += bytes(words * WORD)
        if len(self.out) > len(self.buf):
            raise MalformedError(f"{self.what}: not in canonical form")
        return at

    def put(self, word, value):
        _struct.pack_into("<Q", self.out, word * WORD, value)

    def copy_pointer(self, src, dst, depth):
        p = _decode_pointer(self.buf, src, self.nwords, self.what)
        if p.kind is None:
            return
        if depth <= 0:
            raise MalformedError(f"{self.what}: nested more than {MAX_NESTING} levels deep")
        if p.kind == "struct":
            self.copy_struct(p.target, p.a, p.b, dst, depth - 1)
        elif p.a == _ELEMENT_COMPOSITE:
            self.copy_composite(p, dst, depth - 1)
        else:
            self.copy_list(p, dst, depth - 1)

    def sizes(self, start, dw, pc):
        """The struct's data words and pointers once trailing zeros are cut."""
        tdw = dw
        while tdw and _u64(self.buf, start + tdw - 1) == 0:
            tdw -= 1
        tpc = pc
        while tpc and _u64(self.buf, start + dw + tpc - 1) == 0:
            tpc -= 1
        return tdw, tpc

    def copy_struct(self, src, dw, pc, dst, depth):
        tdw, tpc = self.sizes(src, dw, pc)
        if tdw == 0 and tpc == 0:
            self.put(dst, 0xFFFFFFFC)  # the empty struct: offset -1, no sections
            return
        at = self.alloc(tdw + tpc)
        self.put(dst, ((at - dst - 1) & 0x3FFFFFFF) << 2 | tdw << 32 | tpc << 48)
        self.out[at * WORD:(at + tdw) * WORD] = self.buf[src * WORD:(src + tdw) * WORD]
        for i in range(tpc):
            self.copy_pointer(src + dw + i, at + tdw + i, depth)

    def list_pointer(self, at, dst, size, count):
        self.put(dst, 1 | ((at - dst - 1) & 0x3FFFFFFF) << 2 | size << 32 | count << 35)

    def copy_list(self, p, dst, depth):
        size, count = p.a, p.b
        words = (count * _BITS[size] + 63) // 64
        at = self.alloc(words)
        self.list_pointer(at, dst, size, count)
        if size == _ELEMENT_POINTER:
            for i in range(count):
                self.copy_pointer(p.target + i, at + i, depth)
            return
        nbytes = (count * _BITS[size] + 7) // 8
        body = bytearray(self.buf[p.target * WORD:p.target * WORD + nbytes])
        if size == 1 and count % 8:
            body[-1] &= (1 << (count % 8)) - 1  # bits past the list are padding
        self.out[at * WORD:at * WORD + nbytes] = body

    def copy_composite(self, p, dst, depth):
        elements, dw, pc = _composite_tag(self.buf, p, self.nwords, self.what)
        first = p.target + 1
        cut = [self.sizes(first + e * (dw + pc), dw, pc) for e in range(elements)]
        tdw = max((c[0] for c in cut), default=0)
        tpc = max((c[1] for c in cut), default=0)
        at = self.alloc(1 + elements * (tdw + tpc))
        self.list_pointer(at, dst, _ELEMENT_COMPOSITE, elements * (tdw + tpc))
        self.put(at, (elements & 0x3FFFFFFF) << 2 | tdw << 32 | tpc << 48)
        for e in range(elements):
            src, out = first + e * (dw + pc), at + 1 + e * (tdw + tpc)
            self.out[out * WORD:(out + tdw) * WORD] = self.buf[src * WORD:(src + tdw) * WORD]
            for i in range(tpc):
                self.copy_pointer(src + dw + i, out + tdw + i, depth)


class Struct:
    """A struct in a message: reads fields by position, with the schema's
    defaults (zero, null) past a truncated section."""

    def __init__(self, msg, start, data_words, pointers):
        self.msg, self.start, self.data_words, self.pointers = msg, start, data_words, pointers

    def check_layout(self, masks, pointers, field):
        """Refuses bits and pointers outside the fields the schema knows
        (schema/well_formed.h, Unknown::kRefuse): `masks` holds, per data
        word, the bits the fields use; `pointers` is the pointer count."""
        if self.data_words > len(masks) or self.pointers > pointers:
            raise MalformedError(f"{self.msg.what}: {field}: a struct larger than its schema (a newer record?)")
        for i in range(self.data_words):
            if self.u64(i * WORD) & ~masks[i]:
                raise MalformedError(f"{self.msg.what}: {field}: bits set outside the fields its schema knows")

    def _uint(self, byte_offset, size):
        if byte_offset + size > self.data_words * WORD:
            return 0
        at = self.start * WORD + byte_offset
        return int.from_bytes(self.msg.buf[at:at + size], "little")

    def u16(self, byte_offset):
        return self._uint(byte_offset, 2)

    def u32(self, byte_offset):
        return self._uint(byte_offset, 4)

    def u64(self, byte_offset):
        return self._uint(byte_offset, 8)

    def i64(self, byte_offset):
        v = self._uint(byte_offset, 8)
        return v - (1 << 64) if v >> 63 else v

    def _pointer(self, i):
        if i >= self.pointers:
            return _Pointer(None)
        return _decode_pointer(self.msg.buf, self.start + self.data_words + i, self.msg.nwords, self.msg.what)

    def has(self, i):
        return self._pointer(i).kind is not None

    def struct(self, i, field):
        p = self._pointer(i)
        if p.kind is None:
            return Struct(self.msg, 0, 0, 0)  # the default: every field zero or null
        if p.kind != "struct":
            raise MalformedError(f"{self.msg.what}: {field}: a list where a struct belongs")
        return Struct(self.msg, p.target, p.a, p.b)

    def data(self, i, field):
        p = self._pointer(i)
        if p.kind is None:
            return b""
        if p.kind != "list" or p.a != _ELEMENT_BYTE:
            raise MalformedError(f"{self.msg.what}: {field}: not a list of bytes")
        return bytes(self.msg.buf[p.target * WORD:p.target * WORD + p.b])

    def text(self, i, field):
        """A Text: bytes ending in a NUL, valid UTF-8, with no NUL inside."""
        if not self.has(i):
            return ""
        raw = self.data(i, field)
        if not raw or raw[-1] != 0:
            raise MalformedError(f"{self.msg.what}: {field}: text without its NUL terminator")
        if 0 in raw[:-1]:
            raise MalformedError(f"{self.msg.what}: {field}: holds a NUL byte")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError(f"{self.msg.what}: {field}: text that is not valid UTF-8") from None

    def struct_list(self, i, field):
        p = self._pointer(i)
        if p.kind is None:
            return []
        if p.kind != "list" or p.a != _ELEMENT_COMPOSITE:
            raise MalformedError(f"{self.msg.what}: {field}: not a list of structs")
        elements, dw, pc = _composite_tag(self.msg.buf, p, self.msg.nwords, self.msg.what)
        return [Struct(self.msg, p.target + 1 + e * (dw + pc), dw, pc) for e in range(elements)]

    def data_list(self, i, field):
        p = self._pointer(i)
        if p.kind is None:
            return []
        if p.kind != "list" or p.a != _ELEMENT_POINTER:
            raise MalformedError(f"{self.msg.what}: {field}: not a list of Data")
        item = Struct(self.msg, p.target, 0, p.b)
        return [item.data(e, f"{field}[{e}]") for e in range(p.b)]


class Message:
    def __init__(self, buf, what):
        self.buf, self.what = buf, what
        self.nwords = len(buf) // WORD

    def root(self):
        p = _decode_pointer(self.buf, 0, self.nwords, self.what)
        if p.kind != "struct":
            raise MalformedError(f"{self.what}: the root is not a struct")
        return Struct(self, p.target, p.a, p.b)


def open_canonical(data, what, max_bytes):
    """Returns the root Struct of `data` if it is exactly a canonical
    message of at most `max_bytes`; MalformedError "<what>: …" otherwise."""
    data = bytes(data)
    if not data:
        raise MalformedError(f"{what}: empty")
    if len(data) % WORD:
        raise MalformedError(f"{what}: {len(data)} bytes, not a whole number of 8-byte words")
    if len(data) > max_bytes:
        raise MalformedError(f"{what}: {len(data)} bytes, over the limit of {max_bytes}")
    canon = _Canonicalizer(data, what)
    canon.copy_pointer(0, 0, MAX_NESTING)
    if bytes(canon.out) != data:
        raise MalformedError(f"{what}: not in canonical form")
    return Message(data, what).root()
