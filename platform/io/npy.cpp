#include "epochcore/platform/io/npy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

namespace epochcore::io {
namespace detail {

size_t element_size(ElementType type) {
  return (type == ElementType::F32 || type == ElementType::I32) ? 4 : 8;
}

bool checked_byte_count(const std::vector<size_t>& shape, ElementType type,
                        size_t& elements, size_t& bytes) {
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  size_t n = 1;
  for (size_t dim : shape) {
    if (dim != 0 && n > kMax / dim) return false;
    n *= dim;
  }
  const size_t size = element_size(type);
  if (n > kMax / size) return false;
  elements = n;
  bytes = n * size;
  return true;
}

std::string shape_string(const std::vector<size_t>& shape, bool python_tuple) {
  std::string s = python_tuple ? "(" : "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (python_tuple && shape.size() == 1) s += ",";
  s += python_tuple ? ")" : "]";
  return s;
}

namespace {

// Flat C-order index -> "[i, j, k]".
std::string multi_index(size_t flat, const std::vector<size_t>& shape) {
  std::vector<size_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_string(index);
}

std::string element_name(size_t flat, const std::vector<size_t>& shape) {
  std::string s = "element " + std::to_string(flat);
  if (shape.size() > 1) s += " (index " + multi_index(flat, shape) + ")";
  return s;
}

uint64_t load_le(const unsigned char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

void store_le(unsigned char* p, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i, v >>= 8) p[i] = static_cast<unsigned char>(v);
}

constexpr size_t kChunkBytes = size_t(1) << 20;  // bounded buffer for large arrays
constexpr int64_t kMaxExactInt = int64_t(1) << 53;

template <typename Src>
void write_values(std::ofstream& out, ElementType type, const Src* values, size_t count) {
  const size_t size = element_size(type);
  std::vector<unsigned char> chunk(std::min(count * size, kChunkBytes));
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(count - done, chunk.size() / size);
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits;
      if (type == ElementType::F32) {
        const float f = static_cast<float>(values[done + i]);
        uint32_t b;
        std::memcpy(&b, &f, 4);
        bits = b;
      } else if (type == ElementType::I64) {
        bits = static_cast<uint64_t>(static_cast<int64_t>(values[done + i]));
      } else {
        const double d = static_cast<double>(values[done + i]);
        std::memcpy(&bits, &d, 8);
      }
      store_le(&chunk[i * size], bits, size);
    }
    out.write(reinterpret_cast<const char*>(chunk.data()),
              static_cast<std::streamsize>(n * size));
    done += n;
  }
}

}  // namespace

std::vector<double> read_elements(std::ifstream& in, ElementType type, size_t count,
                                  const std::vector<size_t>& shape,
                                  const std::string& context) {
  const size_t size = element_size(type);
  std::vector<double> values(count);
  std::vector<unsigned char> chunk(std::min(count * size, kChunkBytes));
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(count - done, chunk.size() / size);
    in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(n * size));
    if (static_cast<size_t>(in.gcount()) != n * size)
      throw FormatError(context + ": data ends early: read " +
                        std::to_string(done * size + static_cast<size_t>(in.gcount())) +
                        " of " + std::to_string(count * size) + " bytes");
    for (size_t i = 0; i < n; ++i) {
      const uint64_t bits = load_le(&chunk[i * size], size);
      double v;
      if (type == ElementType::F32) {
        const uint32_t b = static_cast<uint32_t>(bits);
        float f;
        std::memcpy(&f, &b, 4);
        v = f;
      } else if (type == ElementType::F64) {
        std::memcpy(&v, &bits, 8);
      } else if (type == ElementType::I32) {
        v = static_cast<int32_t>(static_cast<uint32_t>(bits));
      } else {
        const int64_t k = static_cast<int64_t>(bits);
        if (k > kMaxExactInt || k < -kMaxExactInt)
          throw FormatError(context + ": " + element_name(done + i, shape) + " is " +
                            std::to_string(k) +
                            ", beyond 2^53 in magnitude (not exact as a double)");
        v = static_cast<double>(k);
      }
      if (!std::isfinite(v))
        throw FormatError(context + ": " + element_name(done + i, shape) + " is " +
                          (std::isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") +
                          " (only finite values are accepted)");
      values[done + i] = v;
    }
    done += n;
  }
  return values;
}

void write_elements(std::ofstream& out, ElementType type, const double* values,
                    size_t count) {
  write_values(out, type, values, count);
}

}  // namespace detail

namespace {

using detail::ElementType;

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMaxHeaderBytes = size_t(1) << 20;  // real headers are < 1 KiB

// Parser for the header: a Python dict literal with string keys whose values are
// strings, True/False or tuples of non-negative integers.
struct HeaderValue {
  enum Kind { String, Bool, Tuple, List } kind = String;
  std::string text;  // a string's contents, or a list's source text
  bool flag = false;
  std::vector<size_t> tuple;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  std::map<std::string, HeaderValue> parse_dict() {
    std::map<std::string, HeaderValue> dict;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      expect(':');
      HeaderValue value = parse_value();
      if (!dict.emplace(key, value).second) fail("key '" + key + "' appears twice");
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the closing '}'");
    return dict;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(path_ + ": malformed header dictionary at character " +
                      std::to_string(pos_) + ": " + what + " (header starts: " +
                      printable_prefix() + ")");
  }
  // The header for messages: at most 120 characters, non-printable ones as '?'.
  std::string printable_prefix() const {
    std::string text = s_.substr(0, 120);
    text.erase(text.find_last_not_of(" \n") + 1);
    for (char& c : text)
      if (c < 32 || c > 126) c = '?';
    return text;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string text = s_.substr(pos_ + 1, end - pos_ - 1);
    if (text.find('\\') != std::string::npos) fail("escape sequences are not supported");
    pos_ = end + 1;
    return text;
  }
  size_t parse_size() {
    if (peek() < '0' || peek() > '9') fail("expected a non-negative integer");
    size_t value = 0;
    while (peek() >= '0' && peek() <= '9') {
      const size_t digit = static_cast<size_t>(peek() - '0');
      if (value > (std::numeric_limits<size_t>::max() - digit) / 10)
        fail("dimension does not fit in 64 bits");
      value = value * 10 + digit;
      ++pos_;
    }
    return value;
  }
  HeaderValue parse_value() {
    skip_space();
    HeaderValue v;
    if (peek() == '\'' || peek() == '"') {
      v.text = parse_string();
    } else if (s_.compare(pos_, 4, "True") == 0 || s_.compare(pos_, 5, "False") == 0) {
      v.kind = HeaderValue::Bool;
      v.flag = s_[pos_] == 'T';
      pos_ += v.flag ? 4 : 5;
    } else if (peek() == '(') {
      v.kind = HeaderValue::Tuple;
      ++pos_;
      bool after_comma = false;
      skip_space();
      while (peek() != ')') {
        v.tuple.push_back(parse_size());
        after_comma = false;
        skip_space();
        if (peek() == ',') {
          ++pos_;
          after_comma = true;
          skip_space();
        } else if (peek() != ')') {
          fail("expected ',' or ')' in the shape tuple");
        }
      }
      // Python writes "(5,)" for one dimension; "(5)" would be an int, not a tuple.
      if (v.tuple.size() == 1 && !after_comma)
        fail("a one-dimensional shape needs a trailing comma, e.g. (5,)");
      ++pos_;
    } else if (peek() == '[') {  // only as the descr of a structured dtype, rejected later
      v.kind = HeaderValue::List;
      const size_t start = pos_;
      for (int depth = 0; pos_ < s_.size(); ++pos_) {
        depth += s_[pos_] == '[' ? 1 : s_[pos_] == ']' ? -1 : 0;
        if (depth == 0) break;
      }
      if (pos_ == s_.size()) fail("unterminated list");
      v.text = s_.substr(start, ++pos_ - start);
    } else {
      fail("expected a string, True, False or a tuple");
    }
    return v;
  }

  const std::string& s_;
  const std::string& path_;
  size_t pos_ = 0;
};

// "descr" -> element type, with the messages the brief asks for.
ElementType parse_descr(const std::string& descr, const std::string& path, std::string& dtype) {
  const std::string expected = " (expected float32, float64, int32 or int64)";
  if (descr.empty()) throw FormatError(path + ": dtype '' not supported" + expected);
  if (descr[0] == '>')
    throw FormatError(path + ": dtype '" + descr +
                      "' is big-endian (expected little-endian '<' or '|' byte order)");
  if (descr[0] != '<' && descr[0] != '|')
    throw FormatError(path + ": dtype '" + descr + "' has no '<' or '|' byte order" +
                      " (expected e.g. '<f4'; only little-endian files are supported)");
  dtype = descr.substr(1);
  if (dtype == "f4") return ElementType::F32;
  if (dtype == "f8") return ElementType::F64;
  if (dtype == "i4") return ElementType::I32;
  if (dtype == "i8") return ElementType::I64;
  throw FormatError(path + ": dtype '" + descr + "' not supported" + expected);
}

const HeaderValue& require(const std::map<std::string, HeaderValue>& dict, const char* key,
                           HeaderValue::Kind kind, const char* kind_name,
                           const std::string& path) {
  const auto it = dict.find(key);
  if (it == dict.end())
    throw FormatError(path + ": header dictionary has no '" + key +
                      "' key (expected keys 'descr', 'fortran_order', 'shape')");
  if (it->second.kind != kind)
    throw FormatError(path + ": header key '" + key + "' must be " + kind_name);
  return it->second;
}

void write_npy(const std::string& path, const std::vector<size_t>& shape, ElementType type,
               const void* data) {
  size_t elements = 0, bytes = 0;
  if (!detail::checked_byte_count(shape, type, elements, bytes))
    throw std::invalid_argument(path + ": shape " + detail::shape_string(shape) +
                                " has too many elements");
  if (data == nullptr && elements > 0)
    throw std::invalid_argument(path + ": no data given for a non-empty array");
  std::string header = std::string("{'descr': '<") +
                       (type == ElementType::F32 ? "f4" : type == ElementType::I64 ? "i8" : "f8") +
                       "', 'fortran_order': False, 'shape': " +
                       detail::shape_string(shape, true) + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary, as numpy does.
  size_t preamble = 10;
  if (header.size() + 1 + preamble > 65535) preamble = 12;  // version 2.0: 4-byte length
  const size_t total = (preamble + header.size() + 1 + 63) / 64 * 64;
  header.append(total - preamble - header.size() - 1, ' ');
  header += '\n';

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw FormatError(path + ": cannot open for writing");
  unsigned char pre[12];
  std::memcpy(pre, kMagic, 6);
  pre[6] = preamble == 10 ? 1 : 2;
  pre[7] = 0;
  detail::store_le(pre + 8, header.size(), preamble - 8);
  out.write(reinterpret_cast<const char*>(pre), static_cast<std::streamsize>(preamble));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  if (type == ElementType::F32)
    detail::write_values(out, type, static_cast<const float*>(data), elements);
  else if (type == ElementType::I64)
    detail::write_values(out, type, static_cast<const int64_t*>(data), elements);
  else
    detail::write_values(out, type, static_cast<const double*>(data), elements);
  out.close();
  if (!out) throw FormatError(path + ": write failed");
}

}  // namespace

namespace {

NpyHeader parse_npy_header(const std::string& path, std::ifstream& in, ElementType& type) {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw FormatError(path + ": cannot read file: " + ec.message());
  in.open(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open file");

  unsigned char pre[12] = {};
  in.read(reinterpret_cast<char*>(pre), 10);
  if (in.gcount() < 8 || std::memcmp(pre, kMagic, 6) != 0)
    throw FormatError(path + ": not a .npy file (expected the magic string \\x93NUMPY)");
  if (in.gcount() < 10) throw FormatError(path + ": file ends inside the .npy preamble");
  const unsigned major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    throw FormatError(path + ": .npy format version " + std::to_string(major) + "." +
                      std::to_string(minor) + " not supported (expected 1.0, 2.0 or 3.0)");
  size_t preamble = 10;
  if (major >= 2) {  // versions 2.0 and 3.0 have a 4-byte header length
    in.read(reinterpret_cast<char*>(pre + 10), 2);
    if (in.gcount() != 2) throw FormatError(path + ": file ends inside the .npy preamble");
    preamble = 12;
  }
  const size_t header_len = detail::load_le(pre + 8, preamble - 8);
  if (header_len > file_size - preamble)
    throw FormatError(path + ": header length " + std::to_string(header_len) +
                      " runs past the end of the file (" + std::to_string(file_size) +
                      " bytes)");
  if (header_len > kMaxHeaderBytes)
    throw FormatError(path + ": header length " + std::to_string(header_len) +
                      " exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (static_cast<size_t>(in.gcount()) != header_len)
    throw FormatError(path + ": file ends inside the header");

  const auto dict = HeaderParser(header, path).parse_dict();
  for (const auto& entry : dict)
    if (entry.first != "descr" && entry.first != "fortran_order" && entry.first != "shape")
      throw FormatError(path + ": unexpected header key '" + entry.first +
                        "' (expected keys 'descr', 'fortran_order', 'shape')");
  const auto descr_it = dict.find("descr");
  if (descr_it != dict.end() && descr_it->second.kind == HeaderValue::List)
    throw FormatError(path + ": structured dtype " + descr_it->second.text +
                      " not supported (expected float32, float64, int32 or int64)");
  const auto& descr = require(dict, "descr", HeaderValue::String, "a string", path);
  const auto& fortran = require(dict, "fortran_order", HeaderValue::Bool, "True or False", path);
  const auto& shape = require(dict, "shape", HeaderValue::Tuple, "a tuple of integers", path);

  NpyHeader array;
  type = parse_descr(descr.text, path, array.dtype);
  if (fortran.flag)
    throw FormatError(path + ": fortran_order is True (expected C order; save with "
                             "numpy.ascontiguousarray)");
  array.shape = shape.tuple;
  size_t elements = 0, bytes = 0;
  if (!detail::checked_byte_count(array.shape, type, elements, bytes))
    throw FormatError(path + ": shape " + detail::shape_string(array.shape, true) +
                      " has too many elements (the byte count overflows)");
  const size_t available = file_size - preamble - header_len;
  const std::string what = " for shape " + detail::shape_string(array.shape, true) +
                           " of dtype '" + descr.text + "'";
  if (available < bytes)
    throw FormatError(path + ": data is truncated: expected " + std::to_string(bytes) +
                      " bytes" + what + ", the file has " + std::to_string(available));
  if (available > bytes)
    throw FormatError(path + ": " + std::to_string(available - bytes) +
                      " unexpected bytes after the data (expected exactly " +
                      std::to_string(bytes) + " bytes" + what + ")");
  array.elements = elements;
  array.data_bytes = bytes;
  array.data_offset = preamble + header_len;
  return array;
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  std::ifstream in;
  ElementType type;
  return parse_npy_header(path, in, type);
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in;
  ElementType type;
  NpyHeader h = parse_npy_header(path, in, type);
  NpyArray array;
  array.dtype = std::move(h.dtype);
  array.shape = std::move(h.shape);
  array.data = detail::read_elements(in, type, h.elements, array.shape, path);
  return array;
}

void write_npy_f32(const std::string& path, const std::vector<size_t>& shape,
                   const float* data) {
  write_npy(path, shape, ElementType::F32, data);
}

void write_npy_f64(const std::string& path, const std::vector<size_t>& shape,
                   const double* data) {
  write_npy(path, shape, ElementType::F64, data);
}

void write_npy_i64(const std::string& path, const std::vector<size_t>& shape,
                   const int64_t* data) {
  write_npy(path, shape, ElementType::I64, data);
}

}  // namespace epochcore::io
