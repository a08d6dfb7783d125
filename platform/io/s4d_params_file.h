// S4D layer parameters in safetensors files, with the tensor names of the minimal S4D
// layer of the S4 repository (models/s4/s4d.py):
//   log_dt [H], log_A_real [H, M], A_imag [H, M], C [H, M, 2] (last axis real, imag), D [H]
// F32 or F64. A bidirectional layer stores C as [2, H, M, 2] (forward, backward), as the
// S4 repository's full kernel does with channels = 2 (view_as_real of a complex
// [channels, H, M] tensor); [1, H, M, 2] is read as one direction. S4dParams::directions
// is set from C's shape. The first four may also carry the prefix "kernel." as in that module's
// state_dict (kernel.log_dt, kernel.log_A_real, kernel.A_imag, kernel.C, D). H and M are
// taken from log_A_real; every other tensor must match them. Missing, misshapen,
// integer-typed or unknown extra tensors are errors (FormatError naming the file and
// tensor), so a typo is never silently ignored; so are non-finite values (found by
// read_safetensors). Note that a full S4D state_dict also holds output_linear.*
// weights: those are not part of the SSM and must be left out of the file.
#pragma once
#include <string>

#include "epochcore/description/s4d_params.h"
#include "epochcore/platform/io/safetensors.h"

namespace epochcore::io {

S4dParams load_s4d_params(const std::string& path);

// Write `p` with the unprefixed names, as dtype "F32" or "F64"; C as [H, M, 2], or
// [2, H, M, 2] when p.directions == 2. Throws std::invalid_argument if directions is not
// 1 or 2, a vector's size does not match H, M and directions, or for another dtype.
void save_s4d_params(const std::string& path, const S4dParams& p, const std::string& dtype);

}  // namespace epochcore::io
