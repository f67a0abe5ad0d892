#include "ledger/tlog/tile_path.h"

#include <cstdio>

#include "ledger/tlog/checkpoint.h"

namespace custos::merkle {

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A decimal number with no leading zero (or "0"), at most `max`.
bool ParseCanonicalDecimal(std::string_view s, uint64_t max, uint64_t* out) {
  return ParseDecimal(s, out) && *out <= max;
}

// Splits off the element before the next '/' (or the rest).
std::string_view NextElement(std::string_view* rest) {
  const size_t slash = rest->find('/');
  std::string_view element = rest->substr(0, slash);
  rest->remove_prefix(slash == std::string_view::npos ? rest->size() : slash + 1);
  return element;
}

Status Bad(const std::string& why) { return Status::InvalidArgument("tile path: " + why); }

// "x001/x234/067" and an optional ".p/<W>", to the end of `rest`.
Status ParseIndexAndWidth(std::string_view rest, TilePath* out) {
  uint64_t index = 0;
  for (;;) {
    if (rest.empty()) return Bad("the index is missing");
    std::string_view element = NextElement(&rest);
    const bool more = !element.empty() && element[0] == 'x';
    if (more) element.remove_prefix(1);
    std::string_view digits = element.substr(0, 3);
    if (digits.size() != 3 || !AllDigits(digits)) return Bad("an index element is not three digits");
    const uint64_t part = static_cast<uint64_t>(digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
    if (index > (UINT64_MAX - part) / 1000) return Bad("the index is above 2^64 - 1");
    index = index * 1000 + part;
    element.remove_prefix(3);
    if (more) {
      if (!element.empty()) return Bad("an index element is not three digits");
      continue;
    }
    if (element.empty() && rest.empty()) break;
    if (!element.empty() && element[0] != '.') return Bad("an index element is not three digits");
    if (element != ".p") return Bad("the last index element must not begin with x, and only .p/<W> may follow it");
    uint64_t width = 0;
    if (!ParseCanonicalDecimal(rest, 255, &width) || width == 0) {
      return Bad("the width of a partial tile is 1..255, with no leading zero");
    }
    out->width = static_cast<uint32_t>(width);
    break;
  }
  out->index = index;
  return Status::OK();
}

}  // namespace

std::string FormatTilePath(const TilePath& path) {
  std::string out = path.entries ? "tile/entries" : "tile/" + std::to_string(path.level);
  // The index in 3-digit groups, most significant first.
  std::vector<unsigned> groups;
  uint64_t n = path.index;
  do {
    groups.push_back(static_cast<unsigned>(n % 1000));
    n /= 1000;
  } while (n > 0);
  for (size_t i = groups.size(); i-- > 0;) {
    char element[6];
    std::snprintf(element, sizeof element, "%s%03u", i > 0 ? "x" : "", groups[i]);
    out += "/";
    out += element;
  }
  if (!path.full()) out += ".p/" + std::to_string(path.width);
  return out;
}

Result<TilePath> ParseTilePath(std::string_view path) {
  std::string_view rest = path;
  if (path.ends_with('/')) return Bad("ends with /");
  if (NextElement(&rest) != "tile") return Bad("must begin with tile/");
  TilePath out;
  std::string_view level = NextElement(&rest);
  if (level == "entries") {
    out.entries = true;
  } else {
    uint64_t l = 0;
    if (!ParseCanonicalDecimal(level, 63, &l)) return Bad("the level is 0..63, with no leading zero, or \"entries\"");
    out.level = static_cast<uint8_t>(l);
  }
  CUSTOS_RETURN_IF_ERROR(ParseIndexAndWidth(rest, &out));
  // One resource, one path: "x000/067" would name tile 67 too.
  if (FormatTilePath(out) != path) return Bad("the index has a leading x000 element");
  return out;
}

bool TreeHasTile(uint64_t size, const TilePath& path) {
  uint64_t hashes = size;  // the number of hashes at level 8L
  for (int l = 0; l < path.level && hashes > 0; ++l) hashes /= 256;
  if (path.index > (hashes / 256)) return false;
  return path.index * 256 + path.width <= hashes;
}

std::vector<TilePath> NewTiles(uint64_t old_size, uint64_t new_size) {
  std::vector<TilePath> out;
  // At one level: `old_hashes` and `new_hashes` hashes (or entries) there.
  auto level = [&](bool entries, uint8_t l, uint64_t old_hashes, uint64_t new_hashes) {
    for (uint64_t n = old_hashes / 256; n < new_hashes / 256; ++n) out.push_back(TilePath{entries, l, n, 256});
    if (new_hashes % 256 != 0 && new_hashes != old_hashes) {
      out.push_back(TilePath{entries, l, new_hashes / 256, static_cast<uint32_t>(new_hashes % 256)});
    }
  };
  uint64_t old_hashes = old_size, new_hashes = new_size;
  for (uint8_t l = 0; new_hashes > 0 && l < 64; ++l, old_hashes /= 256, new_hashes /= 256) {
    level(false, l, old_hashes, new_hashes);
  }
  level(true, 0, old_size, new_size);
  return out;
}

Result<std::string> EncodeEntryBundle(std::span<const Bytes> entries) {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Bytes& e = entries[i];
    if (e.size() > kMaxBundledEntryBytes) {
      return Status::InvalidArgument("entry bundle: entry " + std::to_string(i) + " is " + std::to_string(e.size()) +
                                     " bytes, over the 65,535 a bundle's uint16 length can say");
    }
    out.push_back(static_cast<char>(e.size() >> 8));
    out.push_back(static_cast<char>(e.size() & 0xff));
    out.append(reinterpret_cast<const char*>(e.data()), e.size());
  }
  return out;
}

Result<std::vector<Bytes>> DecodeEntryBundle(ByteSpan bundle) {
  std::vector<Bytes> out;
  size_t at = 0;
  while (at < bundle.size()) {
    if (bundle.size() - at < 2) return Status::InvalidArgument("entry bundle: ends inside a length");
    const size_t length = (size_t{bundle[at]} << 8) | bundle[at + 1];
    at += 2;
    if (bundle.size() - at < length) {
      return Status::InvalidArgument("entry bundle: entry " + std::to_string(out.size()) + " is cut short");
    }
    out.emplace_back(bundle.begin() + static_cast<std::ptrdiff_t>(at),
                     bundle.begin() + static_cast<std::ptrdiff_t>(at + length));
    at += length;
  }
  return out;
}

}  // namespace custos::merkle
