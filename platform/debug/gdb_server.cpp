// The GDB remote serial protocol server (gdb_server.h, docs/gdb.md). Synchronous Boost.Asio
// on the simulation thread; nothing here runs unless the CPU calls on_stop() or
// interrupt_requested(), and the latter is one non-blocking recv() without allocation.
#include "epochcore/platform/debug/gdb_server.h"

#include <sys/socket.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <vector>

#include <boost/asio.hpp>

namespace epochcore {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Disconnected {};  // the client went away (thrown inside the server only)

constexpr unsigned kMaxMemBytes = 2048;  // per m/M/X packet (PacketSize=0x1000 below)
constexpr size_t kMaxPacket = 0x1000;     // what we accept (PacketSize); longer is dropped
constexpr const char* kSupported = "PacketSize=1000;QStartNoAckMode+;qXfer:features:read+";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A hex number at s[pos..] up to a character that is not a hex digit; false if none.
bool parse_hex(const std::string& s, size_t& pos, uint32_t& out) {
  uint64_t v = 0;
  const size_t start = pos;
  while (pos < s.size() && hex_digit(s[pos]) >= 0) {
    v = (v << 4) | static_cast<unsigned>(hex_digit(s[pos++]));
    if (v > 0xFFFFFFFFull) return false;
  }
  out = static_cast<uint32_t>(v);
  return pos > start;
}

bool expect(const std::string& s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

void append_hex_byte(std::string& out, uint8_t b) {
  static const char* digits = "0123456789abcdef";
  out += digits[b >> 4];
  out += digits[b & 15];
}

void append_reg(std::string& out, uint32_t v) {  // RV32: little-endian
  for (int i = 0; i < 4; ++i) append_hex_byte(out, static_cast<uint8_t>(v >> (8 * i)));
}

bool parse_reg(const std::string& s, size_t pos, uint32_t& v) {
  if (s.size() < pos + 8) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) {
    const int hi = hex_digit(s[pos + 2 * i]), lo = hex_digit(s[pos + 2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    v |= static_cast<uint32_t>(hi * 16 + lo) << (8 * i);
  }
  return true;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

const std::string& GdbServer::target_xml() {
  static const std::string xml = [] {
    static const char* names[] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0",
                                  "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                                  "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "pc"};
    std::string x =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
        "<target version=\"1.0\">\n<architecture>riscv:rv32</architecture>\n<osabi>none</osabi>\n"
        "<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
    for (unsigned i = 0; i < DebuggableCpu::kNumRegs; ++i) {
      const char* type = (i == 1 || i == 32) ? "code_ptr" : (i >= 2 && i <= 4) ? "data_ptr" : "int";
      x += std::string("  <reg name=\"") + names[i] + "\" bitsize=\"32\" type=\"" + type +
           "\" regnum=\"" + std::to_string(i) + "\"/>\n";
    }
    return x + "</feature>\n</target>\n";
  }();
  return xml;
}

struct GdbServer::Impl {
  enum class State { Listening, Connected, Done };

  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::socket sock{io};
  std::ostream* log;
  uint16_t port = 0;
  State state = State::Listening;
  bool ack_mode = true;
  bool peer_gone = false;       // seen by interrupt_requested(): detach at the next stop
  std::string in;               // received, not yet consumed bytes
  size_t in_pos = 0;
  std::string last_stop = "S05";
  std::set<uint32_t> breakpoints;  // set by the client: removed when it leaves

  void note(const std::string& s) {
    if (log) *log << "epochcore: " << s << std::endl;
  }

  // ------------------------------------------------------------------ bytes and packets
  char read_byte() {
    if (in_pos == in.size()) {
      in.clear();
      in_pos = 0;
      char buf[4096];
      boost::system::error_code ec;
      size_t n = 0;
      do n = sock.read_some(asio::buffer(buf), ec);
      while (ec == asio::error::interrupted);
      if (ec || n == 0) throw Disconnected{};
      in.assign(buf, n);
    }
    return in[in_pos++];
  }

  void write_raw(const std::string& s) {
    boost::system::error_code ec;
    asio::write(sock, asio::buffer(s), ec);
    if (ec) throw Disconnected{};
  }

  void send_packet(const std::string& payload) {
    std::string out = "$";
    uint8_t sum = 0;
    for (char c : payload) {
      if (c == '$' || c == '#' || c == '}' || c == '*') {
        out += '}';
        sum = static_cast<uint8_t>(sum + '}');
        c = static_cast<char>(c ^ 0x20);
      }
      out += c;
      sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
    }
    out += '#';
    append_hex_byte(out, sum);
    for (int attempt = 0; attempt < 16; ++attempt) {
      write_raw(out);
      if (!ack_mode) return;
      for (;;) {
        const char c = read_byte();
        if (c == '+') return;
        if (c == '-') break;  // retransmit
        if (c == '$') {       // a new packet instead of an ack: take it as acknowledged
          --in_pos;
          return;
        }
      }
    }
    throw Disconnected{};  // sixteen NAKs in a row: the link is unusable
  }

  std::string read_packet() {
    for (;;) {
      char c = read_byte();
      if (c != '$') continue;  // acks, stray Ctrl-C, noise between packets
      std::string body;
      uint8_t sum = 0;
      bool overlong = false;  // longer than we said we take: read to its end, never run it
      while ((c = read_byte()) != '#') {
        if (c == '$') {  // a packet restarted: drop the partial one
          body.clear();
          sum = 0;
          overlong = false;
          continue;
        }
        if (body.size() >= kMaxPacket) overlong = true;
        if (!overlong) body += c;
        sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
      }
      const int hi = hex_digit(read_byte()), lo = hex_digit(read_byte());
      if (overlong) {  // framed, but not run: an error reply
        if (ack_mode) write_raw("+");
        send_packet("E01");
        continue;
      }
      if (ack_mode) {
        if (hi < 0 || lo < 0 || hi * 16 + lo != sum) {
          write_raw("-");
          continue;
        }
        write_raw("+");
      }
      std::string out;  // undo the '}' escapes (binary data of X packets)
      out.reserve(body.size());
      for (size_t i = 0; i < body.size(); ++i)
        out += (body[i] == '}' && i + 1 < body.size()) ? static_cast<char>(body[++i] ^ 0x20) : body[i];
      return out;
    }
  }

  // ------------------------------------------------------------------ connection
  void close_client() {
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    state = State::Done;
  }

  void client_left(DebuggableCpu& cpu, const char* how = "disconnected") {
    for (uint32_t a : breakpoints) cpu.remove_breakpoint(a);
    breakpoints.clear();
    close_client();
    note(std::string("GDB ") + how + "; the run goes on without the debugger");
  }

  // After W/X: let the client read it and close first (closing with unread data in our
  // receive buffer would reset the connection and could lose the reply). At most 2 s.
  void linger() {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd p{sock.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
      char buf[512];
      const ssize_t n = ::recv(sock.native_handle(), buf, sizeof buf, 0);
      if (n <= 0) return;
    }
  }

  // ------------------------------------------------------------------ commands
  std::string read_memory(DebuggableCpu& cpu, const std::string& p) {
    size_t pos = 1;
    uint32_t addr = 0, len = 0;
    if (!parse_hex(p, pos, addr) || !expect(p, pos, ',') || !parse_hex(p, pos, len)) return "E01";
    if (len > kMaxMemBytes) len = kMaxMemBytes;  // gdb takes a shorter reply and asks again
    std::vector<uint8_t> data(len);
    if (len != 0 && !cpu.read_mem(addr, data.data(), len)) {
      uint32_t got = 0;  // a read across the end of a region: as much as answers, bytewise
      while (got < len && cpu.read_mem(addr + got, &data[got], 1)) ++got;
      if (got == 0) return "E01";
      data.resize(got);
    }
    std::string out;
    for (uint8_t b : data) append_hex_byte(out, b);
    return out;
  }

  std::string write_memory(DebuggableCpu& cpu, const std::string& p, bool binary) {
    size_t pos = 1;
    uint32_t addr = 0, len = 0;
    if (!parse_hex(p, pos, addr) || !expect(p, pos, ',') || !parse_hex(p, pos, len) || !expect(p, pos, ':'))
      return "E01";
    std::vector<uint8_t> data;
    if (binary) {
      data.assign(p.begin() + static_cast<std::ptrdiff_t>(pos), p.end());
    } else {
      for (; pos + 1 < p.size(); pos += 2) {
        const int hi = hex_digit(p[pos]), lo = hex_digit(p[pos + 1]);
        if (hi < 0 || lo < 0) return "E01";
        data.push_back(static_cast<uint8_t>(hi * 16 + lo));
      }
    }
    if (data.size() != len) return "E01";
    if (len == 0) return "OK";  // gdb probes X with an empty write
    return cpu.write_mem(addr, data.data(), len) ? "OK" : "E01";
  }

  std::string breakpoint(DebuggableCpu& cpu, const std::string& p) {
    size_t pos = 1;
    uint32_t type = 0, addr = 0, kind = 0;
    if (!parse_hex(p, pos, type) || !expect(p, pos, ',') || !parse_hex(p, pos, addr) || !expect(p, pos, ',') ||
        !parse_hex(p, pos, kind))
      return "E01";
    if (type > 1) return "";  // watchpoints: not supported
    if (p[0] == 'Z') {
      if (breakpoints.insert(addr).second) cpu.add_breakpoint(addr);
    } else if (breakpoints.erase(addr) != 0) {
      cpu.remove_breakpoint(addr);
    }
    return "OK";
  }

  std::string xfer_features(const std::string& p) {
    const std::string prefix = "qXfer:features:read:target.xml:";
    if (!starts_with(p, prefix.c_str())) return "E00";
    size_t pos = prefix.size();
    uint32_t off = 0, len = 0;
    if (!parse_hex(p, pos, off) || !expect(p, pos, ',') || !parse_hex(p, pos, len)) return "E00";
    const std::string& xml = target_xml();
    if (off >= xml.size()) return "l";
    const std::string chunk = xml.substr(off, len);
    return (off + chunk.size() >= xml.size() ? "l" : "m") + chunk;
  }

  // Serves packets until the client resumes the CPU; returns how.
  ResumeAction serve(DebuggableCpu& cpu) {
    for (;;) {
      const std::string p = read_packet();
      const char cmd = p.empty() ? '\0' : p[0];
      std::string reply;
      switch (cmd) {
        case '?': reply = last_stop; break;
        case 'g':
          for (unsigned i = 0; i < DebuggableCpu::kNumRegs; ++i) append_reg(reply, cpu.read_reg(i));
          break;
        case 'G': {
          uint32_t v[DebuggableCpu::kNumRegs];
          bool ok = p.size() >= 1 + 8 * DebuggableCpu::kNumRegs;
          for (unsigned i = 0; ok && i < DebuggableCpu::kNumRegs; ++i) ok = parse_reg(p, 1 + 8 * i, v[i]);
          if (ok)
            for (unsigned i = 0; i < DebuggableCpu::kNumRegs; ++i) cpu.write_reg(i, v[i]);
          reply = ok ? "OK" : "E01";
          break;
        }
        case 'p': {
          size_t pos = 1;
          uint32_t n = 0;
          if (parse_hex(p, pos, n) && n < DebuggableCpu::kNumRegs)
            append_reg(reply, cpu.read_reg(n));
          else
            reply = "E01";  // CSRs, FPU: not in our target description
          break;
        }
        case 'P': {
          size_t pos = 1;
          uint32_t n = 0, v = 0;
          const bool ok = parse_hex(p, pos, n) && expect(p, pos, '=') && parse_reg(p, pos, v) &&
                          n < DebuggableCpu::kNumRegs;
          if (ok) cpu.write_reg(n, v);
          reply = ok ? "OK" : "E01";
          break;
        }
        case 'm': reply = read_memory(cpu, p); break;
        case 'M': reply = write_memory(cpu, p, false); break;
        case 'X': reply = write_memory(cpu, p, true); break;
        case 'c':
        case 's': {
          size_t pos = 1;
          uint32_t addr = 0;
          if (parse_hex(p, pos, addr)) cpu.write_reg(32, addr);
          return cmd == 'c' ? ResumeAction::Continue : ResumeAction::Step;
        }
        case 'Z':
        case 'z': reply = breakpoint(cpu, p); break;
        case 'k':  // no reply: gdb closes its end
          close_client();
          note("GDB killed the run");
          return ResumeAction::Kill;
        case 'D':
          send_packet("OK");
          client_left(cpu, "detached");
          return ResumeAction::Detach;
        case 'H':
        case 'T': reply = "OK"; break;
        case 'q':
          if (starts_with(p, "qSupported")) reply = kSupported;
          else if (p == "qAttached") reply = "1";  // quitting gdb detaches: the run goes on
          else if (p == "qC") reply = "QC1";
          else if (p == "qfThreadInfo") reply = "m1";
          else if (p == "qsThreadInfo") reply = "l";
          else if (p == "qOffsets") reply = "Text=0;Data=0;Bss=0";
          else if (p == "qSymbol::") reply = "OK";
          else if (starts_with(p, "qXfer:features:read:")) reply = xfer_features(p);
          break;
        case 'Q':
          if (p == "QStartNoAckMode") {
            send_packet("OK");  // still acknowledged; no acks from here on
            ack_mode = false;
            continue;
          }
          break;
        case 'v':
          if (starts_with(p, "vKill")) {
            send_packet("OK");
            close_client();
            note("GDB killed the run");
            return ResumeAction::Kill;
          }
          break;  // vMustReplyEmpty, vCont? (gdb then uses c/s) and the rest: empty
        default: break;
      }
      send_packet(reply);
    }
  }
};

GdbServer::GdbServer(uint16_t port, std::ostream* log) : impl_(std::make_unique<Impl>()) {
  impl_->log = log;
  try {
    const tcp::endpoint ep(asio::ip::address_v4::loopback(), port);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(1);
    impl_->port = impl_->acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("GDB server: cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                             e.code().message());
  }
  impl_->note("waiting for GDB on 127.0.0.1:" + std::to_string(impl_->port));
}

GdbServer::~GdbServer() = default;

uint16_t GdbServer::port() const { return impl_->port; }
bool GdbServer::connected() const { return impl_->state == Impl::State::Connected; }

ResumeAction GdbServer::on_stop(DebuggableCpu& cpu, StopReason why, int exit_code) {
  Impl& s = *impl_;
  const bool ended = why == StopReason::Exit || why == StopReason::Fault;
  char stop[8];
  switch (why) {
    case StopReason::Interrupt: std::snprintf(stop, sizeof stop, "S02"); break;  // SIGINT
    case StopReason::Exit: std::snprintf(stop, sizeof stop, "W%02x", exit_code & 0xFF); break;
    case StopReason::Fault: std::snprintf(stop, sizeof stop, "X0b"); break;  // SIGSEGV
    default: std::snprintf(stop, sizeof stop, "S05"); break;                  // SIGTRAP
  }
  s.last_stop = stop;
  try {
    if (s.state == Impl::State::Listening) {
      boost::system::error_code ec, ignored;
      if (!ended) {  // the simulation waits for the client here
        do s.acceptor.accept(s.sock, ec);
        while (ec == asio::error::interrupted);
      }
      s.acceptor.close(ignored);  // one client: nobody else connects later
      if (ended || ec) {
        if (ec) s.note("GDB server: accept failed (" + ec.message() + "); running without GDB");
        s.state = Impl::State::Done;
        return ResumeAction::Detach;
      }
      s.sock.set_option(tcp::no_delay(true), ignored);
      s.state = Impl::State::Connected;
      s.note("GDB connected");
      return s.serve(cpu);  // no unsolicited stop reply: the client asks with '?'
    }
    if (s.state == Impl::State::Done) return ResumeAction::Detach;
    if (s.peer_gone) throw Disconnected{};
    s.send_packet(s.last_stop);
    if (ended) {
      s.linger();
      s.close_client();
      s.note(why == StopReason::Exit ? "the run ended; GDB told" : "the run faulted; GDB told");
      return ResumeAction::Detach;
    }
    return s.serve(cpu);
  } catch (const Disconnected&) {
    s.client_left(cpu);
    return ResumeAction::Detach;
  }
}

bool GdbServer::interrupt_requested() {
  Impl& s = *impl_;
  if (s.state != Impl::State::Connected) return false;
  if (s.peer_gone) return true;
  char buf[64];
  const ssize_t n = ::recv(s.sock.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    s.peer_gone = true;  // stop now; the next on_stop() detaches
    return true;
  }
  bool ctrl_c = false;
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == '\x03')
      ctrl_c = true;
    else if (s.in.size() - s.in_pos < kMaxPacket * 4)
      s.in += buf[i];  // anything else is kept for the packet reader (bounded)
  }
  return ctrl_c;
}

}  // namespace epochcore
