// A scenario: the hardware configuration and the workload of one simulation run, loaded
// from YAML with validation. Every key and default is listed in docs/scenarios.md.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace epochcore {

struct ArrayConfig {
  uint32_t rows = 32;
  uint32_t cols = 32;
  bool segments = true;      // several channel segments per row (ProDF option, area cost)
  bool real_only = false;    // S4D-Real PEs: imaginary parts forced to zero
  double clock_mhz = 1000.0;
};

struct SpadConfig {
  uint32_t size_kib = 4096;
  uint32_t banks = 32;   // word-interleaved (4-byte words)
  uint32_t ports = 1;    // accesses per bank per cycle
};

struct DmaConfig {
  uint32_t bytes_per_cycle = 64;  // engine datapath width
  uint32_t setup_cycles = 32;     // per transfer command
  uint32_t burst_bytes = 1024;    // largest bus transaction
  uint32_t max_outstanding = 4;   // bursts in flight (hides memory latency)
};

struct MemoryConfig {
  uint32_t size_mib = 256;
  double latency_ns = 40.0;     // per transaction
  double bytes_per_ns = 32.0;   // streaming bandwidth
};

struct HostConfig {
  double quantum_ns = 1000.0;   // temporal-decoupling quantum of the host and DMA
};

struct WorkloadConfig {
  std::string kind = "s4d_layer";   // s4d_layer | gemm | s4_model
  uint32_t channels = 256;          // H
  uint32_t modes = 2;               // M = N/2 complex modes
  uint32_t length = 2048;           // L
  uint32_t batch = 1;               // B
  bool bidirectional = false;       // second set of slots on the reversed sequence (ssm.md)
  std::string init = "s4d_lin";     // s4d_lin | s4d_inv | s4d_real
  double dt_min = 1e-3;
  double dt_max = 1e-1;
  uint64_t seed = 1;                // parameters and input (gemm: A and B)
  // kind gemm: C[M][N] = A[M][K] * B[K][N] (the s4d_layer keys above are ignored but seed)
  uint32_t gemm_m = 256;
  uint32_t gemm_n = 128;
  uint32_t gemm_k = 256;
  // kind s4_model (docs/models.md): the model, its weights and inputs. Paths are taken
  // relative to the current directory, else to the scenario file's directory.
  std::string model = "";           // an LRA task name (listops, ..., pathx) or a model YAML path
  std::string weights = "";         // safetensors file; "": seeded weights (workload.seed)
  std::string inputs = "";          // .npy token ids or values; "": `batch` seeded inputs
  std::string lengths = "";         // .npy valid lengths; "": every sequence has length L
  bool reference = true;            // run the double-precision reference model and compare
};

struct PrecisionConfig {
  std::string format = "fp32";      // fp32 | bf16 | fp16 | int16 | int8 (docs/precisions.md)
};

struct VectorConfig {
  uint32_t lanes = 32;              // vector-unit lanes (elements per cycle per pass)
};

struct EnergyConfig {
  // Technology table: a name in scenarios/tech/ (e.g. "45nm") or a path to a YAML file.
  std::string tech = "45nm";
};

struct RunConfig {
  std::string timing = "cycle";     // cycle (PE-level, clocked) | fast (whole passes in bulk)
  bool check_protocol = false;      // a TLM-2.0 base-protocol checker on every socket (--check-protocol)
};

struct Scenario {
  std::string name = "default";
  std::string description;
  ArrayConfig array;
  // Input and output feed one word per segment per cycle: 512 banks serve every
  // segment of a 32x32 array at M = 2 without stalls.
  SpadConfig spad_input{4096, 512, 1};
  SpadConfig spad_param{512, 32, 1};
  // Dual-ported: accumulation (read-modify-write) sustains one word per segment per beat.
  SpadConfig spad_output{4096, 512, 2};
  DmaConfig dma;
  MemoryConfig memory;
  HostConfig host;
  WorkloadConfig workload;
  PrecisionConfig precision;
  VectorConfig vector;
  EnergyConfig energy;
  RunConfig run;
};

// Bad input: the message names the file, the key (dotted path) and what was expected.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads a YAML scenario (keys absent from the file keep their defaults), then applies
// overrides of the form "key.path=value" in order, then validates the whole.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text (`origin` names it in messages).
Scenario parse_scenario(const std::string& yaml_text, const std::string& origin,
                        const std::vector<std::string>& overrides = {});
// Throws ScenarioError naming the key for any value out of range.
void validate_scenario(const Scenario& s);
// The scenario as YAML (every key), for reports and `--print-scenario`.
std::string scenario_to_yaml(const Scenario& s);

}  // namespace epochcore
