#include "epochcore/platform/io/safetensors.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace epochcore::io {
namespace {

using detail::ElementType;
using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit of the reference reader

struct Entry {
  std::string name;
  ElementType type;
  std::vector<size_t> shape;
  size_t elements = 0;
  uint64_t begin = 0, end = 0;
};

bool parse_dtype(const std::string& name, ElementType& type) {
  if (name == "F32") type = ElementType::F32;
  else if (name == "F64") type = ElementType::F64;
  else if (name == "I32") type = ElementType::I32;
  else if (name == "I64") type = ElementType::I64;
  else return false;
  return true;
}

const char* dtype_name(ElementType type) {
  switch (type) {
    case ElementType::F32: return "F32";
    case ElementType::F64: return "F64";
    case ElementType::I32: return "I32";
    case ElementType::I64: return "I64";
  }
  return "?";
}

// nlohmann::json keeps the last of duplicate keys silently; a parse callback keeps
// one set of keys per open object and records the first duplicate.
json parse_header(const std::string& text, const std::string& path) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text, callback);
  } catch (const json::exception& e) {
    throw FormatError(path + ": header is not valid JSON: " + e.what());
  }
  if (!duplicate.empty())
    throw FormatError(path + ": header has the key '" + duplicate + "' twice");
  if (!header.is_object())
    throw FormatError(path + ": header must be a JSON object of tensors, found " +
                      std::string(header.type_name()));
  return header;
}

std::vector<uint64_t> unsigned_array(const json& value, const std::string& where) {
  if (!value.is_array()) throw FormatError(where + " must be an array of integers");
  std::vector<uint64_t> numbers;
  for (const json& v : value) {
    if (!v.is_number_unsigned())
      throw FormatError(where + " must hold non-negative integers, found " + v.dump());
    numbers.push_back(v.get<uint64_t>());
  }
  return numbers;
}

Entry parse_entry(const std::string& name, const json& value, uint64_t buffer_size,
                  const std::string& path) {
  const std::string where = path + ": tensor '" + name + "'";
  if (!value.is_object()) throw FormatError(where + " must be a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!value.contains(key)) throw FormatError(where + " has no '" + key + "' field");
  for (const auto& item : value.items())
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets")
      throw FormatError(where + " has an unexpected field '" + item.key() +
                        "' (expected dtype, shape, data_offsets)");
  Entry entry;
  entry.name = name;
  const json& dtype = value["dtype"];
  if (!dtype.is_string()) throw FormatError(where + ": 'dtype' must be a string");
  if (!parse_dtype(dtype.get<std::string>(), entry.type))
    throw FormatError(where + " has dtype '" + dtype.get<std::string>() +
                      "', not supported (expected F32, F64, I32 or I64)");
  for (uint64_t dim : unsigned_array(value["shape"], where + ": 'shape'"))
    entry.shape.push_back(static_cast<size_t>(dim));
  const auto offsets = unsigned_array(value["data_offsets"], where + ": 'data_offsets'");
  if (offsets.size() != 2)
    throw FormatError(where + ": 'data_offsets' must be [begin, end]");
  entry.begin = offsets[0];
  entry.end = offsets[1];
  size_t bytes = 0;
  if (!detail::checked_byte_count(entry.shape, entry.type, entry.elements, bytes))
    throw FormatError(where + " has shape " + detail::shape_string(entry.shape) +
                      " with too many elements (the byte count overflows)");
  const std::string range =
      "[" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + "]";
  if (entry.begin > entry.end || entry.end > buffer_size)
    throw FormatError(where + " has data_offsets " + range +
                      " outside the data buffer of " + std::to_string(buffer_size) +
                      " bytes (expected begin <= end <= buffer size)");
  if (entry.end - entry.begin != bytes)
    throw FormatError(where + " has data_offsets " + range + " spanning " +
                      std::to_string(entry.end - entry.begin) + " bytes but shape " +
                      detail::shape_string(entry.shape) + " of " + dtype_name(entry.type) +
                      " needs " + std::to_string(bytes));
  return entry;
}

void check_metadata(const json& metadata, const std::string& path) {
  if (!metadata.is_object())
    throw FormatError(path + ": '__metadata__' must be an object of string values");
  for (const auto& item : metadata.items())
    if (!item.value().is_string())
      throw FormatError(path + ": '__metadata__' value for '" + item.key() +
                        "' must be a string, found " + item.value().dump());
}

// Sorted by offset, tensors must tile the buffer exactly (the format forbids holes).
void check_layout(std::vector<Entry>& entries, uint64_t buffer_size, const std::string& path) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t position = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < position)
      throw FormatError(path + ": tensors '" + previous->name + "' and '" + e.name +
                        "' overlap (bytes " + std::to_string(e.begin) + " to " +
                        std::to_string(position) + " of the data buffer)");
    if (e.begin > position)
      throw FormatError(path + ": bytes " + std::to_string(position) + " to " +
                        std::to_string(e.begin) + " of the data buffer (before tensor '" +
                        e.name + "') belong to no tensor; the format allows no holes");
    position = e.end;
    previous = &e;
  }
  if (position != buffer_size)
    throw FormatError(path + ": " + std::to_string(buffer_size - position) +
                      " bytes after the last tensor's data (the format allows none)");
}

}  // namespace

namespace {

// Opens `path` into `in`, checks the whole header; the entries in offset order.
std::vector<Entry> parse_file_header(const std::string& path, std::ifstream& in,
                                     uint64_t& data_start) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw FormatError(path + ": cannot read file: " + ec.message());
  in.open(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open file");
  unsigned char prefix[8] = {};
  in.read(reinterpret_cast<char*>(prefix), 8);
  if (in.gcount() != 8)
    throw FormatError(path + ": file has " + std::to_string(file_size) +
                      " bytes, too short for a safetensors header length (8 bytes)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | prefix[i];
  if (header_len > file_size - 8 || header_len > kMaxHeaderBytes)
    throw FormatError(path + ": header length " + std::to_string(header_len) +
                      " does not fit the file of " + std::to_string(file_size) +
                      " bytes (or exceeds " + std::to_string(kMaxHeaderBytes) +
                      "); is this a safetensors file?");
  std::string text(static_cast<size_t>(header_len), '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_len));
  if (static_cast<uint64_t>(in.gcount()) != header_len)
    throw FormatError(path + ": file ends inside the header");

  const json header = parse_header(text, path);
  data_start = 8 + header_len;
  const uint64_t buffer_size = file_size - data_start;
  std::vector<Entry> entries;
  for (const auto& item : header.items()) {
    if (item.key() == "__metadata__")
      check_metadata(item.value(), path);
    else
      entries.push_back(parse_entry(item.key(), item.value(), buffer_size, path));
  }
  check_layout(entries, buffer_size, path);
  return entries;
}

}  // namespace

std::map<std::string, TensorInfo> read_safetensors_header(const std::string& path) {
  std::ifstream in;
  uint64_t data_start = 0;
  std::map<std::string, TensorInfo> out;
  for (const Entry& e : parse_file_header(path, in, data_start))
    out[e.name] = TensorInfo{dtype_name(e.type), e.shape, e.elements};
  return out;
}

std::map<std::string, Tensor> read_safetensors(const std::string& path) {
  std::ifstream in;
  uint64_t data_start = 0;
  const std::vector<Entry> entries = parse_file_header(path, in, data_start);
  std::map<std::string, Tensor> tensors;
  for (const Entry& e : entries) {  // in offset order, so reading is sequential
    in.seekg(static_cast<std::streamoff>(data_start + e.begin));
    Tensor& t = tensors[e.name];
    t.dtype = dtype_name(e.type);
    t.shape = e.shape;
    t.data = detail::read_elements(in, e.type, e.elements, e.shape,
                                   path + ": tensor '" + e.name + "'");
  }
  return tensors;
}

void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::string& dtype) {
  ElementType type;
  if ((dtype != "F32" && dtype != "F64") || !parse_dtype(dtype, type))
    throw std::invalid_argument(path + ": cannot write dtype '" + dtype +
                                "' (expected F32 or F64)");
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const std::string where = path + ": tensor '" + name + "'";
    if (name.empty() || name == "__metadata__")
      throw std::invalid_argument(path + ": invalid tensor name '" + name + "'");
    size_t elements = 0, bytes = 0;
    if (!detail::checked_byte_count(tensor.shape, type, elements, bytes))
      throw std::invalid_argument(where + ": shape has too many elements");
    if (tensor.data.size() != elements)
      throw std::invalid_argument(where + " has " + std::to_string(tensor.data.size()) +
                                  " values but shape " + detail::shape_string(tensor.shape) +
                                  " needs " + std::to_string(elements));
    for (size_t i = 0; type == ElementType::F32 && i < elements; ++i)
      if (std::isfinite(tensor.data[i]) && std::fabs(tensor.data[i]) > FLT_MAX)
        throw std::invalid_argument(where + ": value " + std::to_string(tensor.data[i]) +
                                    " at element " + std::to_string(i) +
                                    " is out of the F32 range");
    header[name] = {{"dtype", dtype}, {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw FormatError(path + ": cannot open for writing");
  char prefix[8];
  uint64_t len = text.size();
  for (char& byte : prefix) {
    byte = static_cast<char>(len & 0xff);
    len >>= 8;
  }
  out.write(prefix, 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& item : tensors)  // std::map order, as the offsets above
    detail::write_elements(out, type, item.second.data.data(), item.second.data.size());
  out.close();
  if (!out) throw FormatError(path + ": write failed");
}

}  // namespace epochcore::io
