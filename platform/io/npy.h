// Reader and writers for NumPy .npy files (format versions 1.0, 2.0 and 3.0), written
// for this project: no third-party parser. Also holds FormatError and the element
// decoding shared with the safetensors reader.
//
// Accepted: little-endian ('<') or '|' byte order, C order, dtypes float32, float64,
// int32 and int64. Integers are converted to double (int64 only up to 2^53 in
// magnitude, where double is still exact). Rejected with a FormatError whose message
// starts with the file path: bad magic or version, malformed header dictionary,
// fortran_order True, big-endian or other dtypes, shapes whose element count overflows,
// truncated data, bytes after the data (np.save writes none, so they mean corruption
// or several arrays in one file), and NaN or infinity (the index of the first is given).
#pragma once
#include <cstddef>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace epochcore::io {

// A file cannot be read or written, or its contents break the format. The message
// starts with the file path and says what was expected.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NpyArray {
  std::string dtype;          // "f4", "f8", "i4" or "i8" (descr without the byte order)
  std::vector<size_t> shape;  // empty for a 0-d array (one element)
  std::vector<double> data;   // converted to double, C order
};

NpyArray read_npy(const std::string& path);

// What a .npy file holds, from its header alone: every check of read_npy that needs no
// element (magic, version, header dictionary, dtype, C order, element count overflow,
// file size equal to header + data) is made, no data is read. Use it to compare the
// shape with what a run needs, and the size with the host-memory ceiling, before
// read_npy converts the data to doubles (8 bytes per element).
struct NpyHeader {
  std::string dtype;          // as NpyArray::dtype
  std::vector<size_t> shape;
  size_t elements = 0;        // product of shape
  size_t data_bytes = 0;      // elements * element size in the file
  size_t data_offset = 0;     // where the data starts in the file
};
NpyHeader read_npy_header(const std::string& path);

// Write a C-order array as format 1.0 (2.0 if the header would not fit). Throws
// std::invalid_argument if the shape's element count overflows or data is null for a
// non-empty array, FormatError if the file cannot be written. Values are written as
// given, NaN included (read_npy rejects them).
void write_npy_f32(const std::string& path, const std::vector<size_t>& shape,
                   const float* data);
void write_npy_f64(const std::string& path, const std::vector<size_t>& shape,
                   const double* data);
void write_npy_i64(const std::string& path, const std::vector<size_t>& shape,
                   const int64_t* data);

namespace detail {

// Element types of both file formats, stored little-endian.
enum class ElementType { F32, F64, I32, I64 };

size_t element_size(ElementType type);

// Product of the dimensions times element_size; false if it overflows size_t.
bool checked_byte_count(const std::vector<size_t>& shape, ElementType type,
                        size_t& elements, size_t& bytes);

// "[3, 50]" (or "(3, 50)" with python_tuple, "(50,)" for rank 1, "()" for rank 0).
std::string shape_string(const std::vector<size_t>& shape, bool python_tuple = false);

// Read `count` elements from `in` (already positioned) and convert them to double,
// reading in bounded chunks. Throws FormatError prefixed by `context` (e.g.
// "p.safetensors: tensor 'C'") on a short read, a non-finite value or an int64 beyond
// 2^53; indices are reported both flat and per dimension of `shape`.
std::vector<double> read_elements(std::ifstream& in, ElementType type, size_t count,
                                  const std::vector<size_t>& shape,
                                  const std::string& context);

// Write `count` values as little-endian `type` (F32 or F64 only). The caller has
// checked that the values fit the type.
void write_elements(std::ofstream& out, ElementType type, const double* values,
                    size_t count);

}  // namespace detail
}  // namespace epochcore::io
