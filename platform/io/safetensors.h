// Reader and writer for safetensors files, written for this project (nlohmann-json
// parses the JSON header; everything else is here).
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [3, 2], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value"}}      (metadata optional, string values only)
// then the data buffer; offsets are relative to its start, little-endian, C order.
//
// The reader checks: N fits in the file (and 100 MB), the JSON parses and has no
// duplicate names, each entry has exactly dtype, shape and data_offsets, the dtype is
// F32, F64, I32 or I64 (others such as BF16 are rejected by name), end - begin equals
// the shape's byte count, offsets lie inside the buffer, tensors do not overlap, and,
// as the format requires, the buffer has no holes and nothing after the last tensor.
// Values must be finite; I64 values must be within 2^53 in magnitude. Every error is a
// FormatError starting with the file path and naming the tensor.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "epochcore/platform/io/npy.h"  // FormatError

namespace epochcore::io {

struct Tensor {
  std::string dtype;          // "F32", "F64", "I32" or "I64"
  std::vector<size_t> shape;  // empty for a scalar
  std::vector<double> data;   // converted to double, C order
};

std::map<std::string, Tensor> read_safetensors(const std::string& path);

// What a safetensors file holds, from its header alone: every check of read_safetensors
// that needs no element is made (header, entries, offsets, layout), no data is read. Use
// it to compare names and shapes with what a run needs, and the sizes with the
// host-memory ceiling, before read_safetensors converts the data to doubles.
struct TensorInfo {
  std::string dtype;          // "F32", "F64", "I32" or "I64"
  std::vector<size_t> shape;
  size_t elements = 0;
};
std::map<std::string, TensorInfo> read_safetensors_header(const std::string& path);

// Write every tensor as `dtype` ("F32" or "F64"; Tensor::dtype is ignored), in name
// order, header padded with spaces to a multiple of 8 bytes. Throws
// std::invalid_argument for another dtype, an empty or "__metadata__" name, data whose
// size does not match the shape, or a finite value too large for F32; FormatError if
// the file cannot be written. Non-finite values are written as given.
void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::string& dtype);

}  // namespace epochcore::io
