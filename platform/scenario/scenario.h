// A scenario: the hardware configuration and the workload of one simulation run, loaded
// from YAML with validation. Every key and default is listed in docs/scenarios.md.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "epochcore/contract/number_format.h"

namespace epochcore {

// Bad input: the message names the file, the key (dotted path) and what was expected.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The enum-valued keys: parsed once, when the scenario is loaded.
enum class WorkloadKind { S4dLayer, Gemm, S4Model };  // workload.kind
enum class Timing { Cycle, Fast };                    // run.timing
enum class CpuKind { Model, Rv32 };                   // host.cpu
enum class Residency { AllOrNothing, Partial };       // compiler.residency
// precision.format: numfmt::Format (contract/number_format.h).

// The accepted names of each enum-valued key, in the order of the enum's values.
template <class E> struct ChoiceNames;
template <> struct ChoiceNames<WorkloadKind> {
  static const std::vector<std::string>& names();  // s4d_layer, gemm, s4_model
};
template <> struct ChoiceNames<Timing> {
  static const std::vector<std::string>& names();  // cycle, fast
};
template <> struct ChoiceNames<CpuKind> {
  static const std::vector<std::string>& names();  // model, rv32
};
template <> struct ChoiceNames<Residency> {
  static const std::vector<std::string>& names();  // all_or_nothing, partial
};
template <> struct ChoiceNames<numfmt::Format> {
  static const std::vector<std::string>& names();  // fp32, bf16, fp16, int16, int8
};

// A key whose value is one of a fixed set of names, held as its enum: compare it with the
// enum's values (`s.run.timing == Timing::Fast`) or switch on it; name() gives its name.
template <class E>
class Choice {
 public:
  constexpr Choice(E v) : v_(v) {}  // NOLINT: implicit, so fields read like plain enums
  constexpr operator E() const { return v_; }
  constexpr E value() const { return v_; }
  const std::string& name() const { return ChoiceNames<E>::names().at(size_t(v_)); }

  // Transitional: code that still spells these keys as strings (platform/soc/soc.cpp and
  // tests/sc set or compare names) keeps compiling. New code uses the enum.
  // An unknown name throws ScenarioError naming the accepted names.
  Choice& operator=(const std::string& n) {
    v_ = parse(n);
    return *this;
  }
  Choice& operator=(const char* n) { return *this = std::string(n); }
  operator std::string() const { return name(); }
  bool operator==(const char* n) const { return name() == n; }
  bool operator!=(const char* n) const { return name() != n; }
  bool operator==(const std::string& n) const { return name() == n; }
  bool operator!=(const std::string& n) const { return name() != n; }

  // The enum value of a name; nullopt-like failure as an exception.
  static E parse(const std::string& n) {
    const std::vector<std::string>& all = ChoiceNames<E>::names();
    for (size_t i = 0; i < all.size(); ++i)
      if (all[i] == n) return E(i);
    std::string list;
    for (size_t i = 0; i < all.size(); ++i) list += (i ? ", " : "") + all[i];
    throw ScenarioError("unknown name '" + n + "' (expected one of " + list + ")");
  }

 private:
  E v_;
};

struct ArrayConfig {
  uint32_t rows = 32;
  uint32_t cols = 32;
  bool segments = true;      // several channel segments per row (ProDF option, area cost)
  bool segment_direction = false;  // per-segment direction (hardware option, area cost)
  // 1: the array and the vector unit share one in-order compute queue; 2: one queue each,
  // with a scratchpad scoreboard (hardware option, area and energy cost).
  uint32_t compute_queues = 1;
  bool liquid_pe = false;    // Liquid LIMA-PE variant (hardware option, area cost; docs/liquid-s4.md)
  bool real_only = false;    // S4D-Real PEs: imaginary parts forced to zero
  bool selective = false;    // selective (Mamba S6) PEs with an exp unit + coefficient north feed (RUN_SCAN; area, leakage)
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
  // The CPU that runs the firmware (docs/firmware.md): the host-driver model (the firmware
  // compiled into the simulator) or an RV32IMAC core running the firmware ELF.
  Choice<CpuKind> cpu = CpuKind::Model;
  std::string firmware = "";    // rv32: the firmware ELF; "": the one built from firmware/rv32
  double clock_mhz = 1000.0;    // rv32: the core's clock
  uint32_t ram_kib = 1024;      // rv32: firmware RAM at 0x8000_0000 (code, data, stack)
  uint64_t max_instructions = 20000000000ull;  // rv32: the run fails past this many (0: no limit)
  double max_sim_ms = 0;        // rv32: the run fails past this much simulated time (0: no limit)
};

struct WorkloadConfig {
  Choice<WorkloadKind> kind = WorkloadKind::S4dLayer;  // s4d_layer | gemm | s4_model
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

// The model compiler's policies (workload.kind s4_model; docs/model-compiler.md).
struct CompilerConfig {
  // SSM activations: all_or_nothing (every z and s row resident in the scratchpads when all
  // fit, else all streamed through system memory) or partial (the rows that fit stay
  // resident, the rest stream). A compiler/firmware policy, no hardware.
  Choice<Residency> residency = Residency::AllOrNothing;
};

struct PrecisionConfig {
  Choice<numfmt::Format> format = numfmt::Format::FP32;  // fp32 | bf16 | fp16 | int16 | int8 (docs/precisions.md)
};

struct VectorConfig {
  uint32_t lanes = 32;              // vector-unit lanes (elements per cycle per pass)
};

struct EnergyConfig {
  // Technology table: a name in scenarios/tech/ (e.g. "45nm") or a path to a YAML file.
  std::string tech = "45nm";
  // PE power states (compute, preload, sleep) with clock-gating cells: docs/energy-area.md.
  bool pe_clock_gating = false;
};

struct RunConfig {
  Choice<Timing> timing = Timing::Cycle;  // cycle (PE-level, clocked) | fast (whole passes in bulk)
  bool check_protocol = false;      // a TLM-2.0 base-protocol checker on every socket (--check-protocol)
  uint32_t host_memory_mib = 0;     // ceiling on the run's host memory; 0: half of the machine's RAM
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
  CompilerConfig compiler;
  PrecisionConfig precision;
  VectorConfig vector;
  EnergyConfig energy;
  RunConfig run;
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
// The same keys as a JSON object mirroring the YAML (sections are objects; numbers, booleans
// and strings keep their types; enum-valued keys give their names), for the report.
nlohmann::json scenario_to_json(const Scenario& s);

}  // namespace epochcore
