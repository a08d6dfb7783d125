// The GDB remote serial protocol server (platform/debug/gdb_server.h) against a fake CPU
// (tests/gdb/fake_cpu.h) running in a second thread, driven by a scripted RSP client over a
// real loopback socket in the test's thread: framing, checksums and acks (a bad checksum is
// NAKed, a NAK makes the server retransmit), no-ack mode, escapes, the target description,
// g/G/p/P/m/M/X, Z0/z0, c onto a breakpoint, s, Ctrl-C, k, D, exit and fault replies, a
// client that leaves mid-run
// or before the first packet, bind errors. Plain C++ (no simulation), Catch2 under sc_main.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "../gdb/fake_cpu.h"
#include "epochcore/platform/debug/gdb_server.h"
#include "sc_harness.h"

using epochcore::GdbServer;
using ec_test::FakeCpu;

namespace {

std::string hex2(unsigned v) {
  char b[3];
  std::snprintf(b, sizeof b, "%02x", v & 0xFF);
  return b;
}

std::string frame(const std::string& payload) {  // payload already escaped
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  return "$" + payload + "#" + hex2(sum);
}

// A minimal RSP client (what gdb does), with a 10 s timeout on every read.
class Client {
 public:
  bool ack = true;

  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void raw(const std::string& s) {
    if (::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s.size()))
      throw std::runtime_error("send");
  }
  // The next byte; -1 at end of stream.
  int get() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) throw std::runtime_error("timeout waiting for the server");
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 1 ? static_cast<unsigned char>(c) : -1;
  }
  void send(const std::string& payload) {
    raw(frame(payload));
    if (ack) REQUIRE(get() == '+');
  }
  // A packet from the server (checksum checked); acked with `reply_ack` in ack mode.
  std::string recv(char reply_ack = '+') {
    int c;
    while ((c = get()) != '$')
      if (c < 0) throw std::runtime_error("end of stream");
    std::string body;
    unsigned sum = 0;
    while ((c = get()) != '#') {
      if (c < 0) throw std::runtime_error("end of stream");
      body += static_cast<char>(c);
      sum += static_cast<unsigned>(c);
    }
    std::string cs;
    cs += static_cast<char>(get());
    cs += static_cast<char>(get());
    CHECK(cs == hex2(sum));
    if (ack) raw(std::string(1, reply_ack));
    std::string out;
    for (size_t i = 0; i < body.size(); ++i)
      out += body[i] == '}' ? static_cast<char>(body[++i] ^ 0x20) : body[i];
    return out;
  }
  std::string cmd(const std::string& payload) {
    send(payload);
    return recv();
  }

 private:
  int fd_ = -1;
};

std::string le(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += hex2(v >> (8 * i));
  return s;
}

// The fake CPU under a server in its own thread.
struct Target {
  std::ostringstream log;
  GdbServer server{0, &log};
  FakeCpu cpu;
  FakeCpu::End end = FakeCpu::End::Running;
  std::thread thread;
  explicit Target(uint32_t fault_pc = 0) {
    cpu.fault_pc = fault_pc;
    thread = std::thread([this] { end = cpu.run(&server); });
  }
  ~Target() {
    if (thread.joinable()) thread.join();
  }
  void join() { thread.join(); }
};

}  // namespace

TEST_CASE("gdb server: handshake, target description, registers and memory", "[gdb]") {
  Target t;
  REQUIRE(t.server.port() != 0);
  CHECK(t.log.str().find("waiting for GDB on 127.0.0.1:" + std::to_string(t.server.port())) != std::string::npos);
  Client c(t.server.port());

  const std::string sup = c.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  CHECK(sup.find("PacketSize=") != std::string::npos);
  CHECK(sup.find("QStartNoAckMode+") != std::string::npos);
  CHECK(sup.find("qXfer:features:read+") != std::string::npos);
  CHECK(c.cmd("vMustReplyEmpty").empty());
  CHECK(c.cmd("Hg0") == "OK");
  CHECK(c.cmd("qXfer:features:read:other.xml:0,100").substr(0, 1) == "E");
  std::string xml;  // in 0x40-byte chunks: 'm' until the last, 'l'
  for (unsigned off = 0;; off += 0x40) {
    char q[80];
    std::snprintf(q, sizeof q, "qXfer:features:read:target.xml:%x,40", off);
    const std::string r = c.cmd(q);
    REQUIRE(!r.empty());
    xml += r.substr(1);
    if (r[0] == 'l') break;
    REQUIRE(r[0] == 'm');
  }
  CHECK(xml == GdbServer::target_xml());
  CHECK(xml.find("<architecture>riscv:rv32</architecture>") != std::string::npos);
  CHECK(xml.find("org.gnu.gdb.riscv.cpu") != std::string::npos);
  CHECK(c.cmd("?") == "S05");
  CHECK(c.cmd("qAttached") == "1");
  CHECK(c.cmd("qC") == "QC1");
  CHECK(c.cmd("qfThreadInfo") == "m1");
  CHECK(c.cmd("qsThreadInfo") == "l");
  CHECK(c.cmd("qOffsets") == "Text=0;Data=0;Bss=0");
  CHECK(c.cmd("vCont?").empty());
  CHECK(c.cmd("qSomethingNew:1").empty());

  // Registers: g is 33 little-endian words, x0..x31 then pc.
  std::string g = c.cmd("g");
  REQUIRE(g.size() == 33 * 8);
  CHECK(g.substr(32 * 8) == le(0x80000000u));
  CHECK(g.substr(0, 8) == le(0));
  std::string G;
  for (uint32_t i = 0; i < 32; ++i) G += le(i * 0x01010101u);
  G += le(0x80000008u);
  CHECK(c.cmd("G" + G) == "OK");
  g = c.cmd("g");
  CHECK(g.substr(0, 8) == le(0));  // x0 stays zero
  CHECK(g.substr(8, 8 * 31) == G.substr(8, 8 * 31));
  CHECK(c.cmd("p20") == le(0x80000008u));
  CHECK(c.cmd("pa") == le(0x0A0A0A0Au));
  CHECK(c.cmd("Pa=" + le(0x12345678u)) == "OK");
  CHECK(c.cmd("pa") == le(0x12345678u));
  CHECK(c.cmd("P20=" + le(0x80000000u)) == "OK");
  CHECK(c.cmd("P5=" + le(0)) == "OK");  // the program's loop counter and bound
  CHECK(c.cmd("P6=" + le(1)) == "OK");
  CHECK(c.cmd("p41").substr(0, 1) == "E");  // a CSR: not in the description
  CHECK(c.cmd("P41=00000000").substr(0, 1) == "E");
  CHECK(c.cmd("Gzz").substr(0, 1) == "E");

  // Memory.
  CHECK(c.cmd("m80000000,8") == "9380100013012100");
  CHECK(c.cmd("M80000100,4:efbeadde") == "OK");
  CHECK(c.cmd("m80000100,4") == "efbeadde");
  CHECK(c.cmd("X80000100,0:") == "OK");
  // X: binary, with the four characters that must be escaped
  const std::string bin = {'\x24', '\x23', '\x7d', '\x2a', '\x00', '\x01'};
  std::string esc;
  for (char ch : bin) esc += (ch == '$' || ch == '#' || ch == '}' || ch == '*') ? std::string{'}', static_cast<char>(ch ^ 0x20)} : std::string(1, ch);
  CHECK(c.cmd("X80000200,6:" + esc) == "OK");
  CHECK(c.cmd("m80000200,6") == "24237d2a0001");
  CHECK(c.cmd("m10000000,4") == "E01");  // nothing there
  CHECK(c.cmd("M10000000,1:00") == "E01");
  CHECK(c.cmd("m40000004,4") == "010000ec");  // the device answers aligned words
  CHECK(c.cmd("m40000004,2") == "E01");
  CHECK(c.cmd("m80000ffe,4") == "0000");  // across the end of RAM: the part that answers
  CHECK(c.cmd("mzz,4") == "E01");

  // A bad checksum is NAKed; the retransmission is answered.
  c.raw("$g#00");
  CHECK(c.get() == '-');
  CHECK(c.cmd("p20") == le(0x80000000u));
  // A packet longer than PacketSize is read to its end and answered with an error, never
  // run (its tail here would be a kill); a packet restarted with '$' drops the partial one.
  c.send("M80000100,1:" + std::string(5000, '0') + "k");
  CHECK(c.recv() == "E01");
  c.raw("$m8000");
  CHECK(c.cmd("p20") == le(0x80000000u));
  // A NAK from the client makes the server send the packet again.
  c.send("p20");
  CHECK(c.recv('-') == le(0x80000000u));
  CHECK(c.recv() == le(0x80000000u));

  // Breakpoint, continue onto it, step over it, run to the exit.
  CHECK(c.cmd("Z0,80000010,4") == "OK");
  CHECK(c.cmd("Z1,80000020,2") == "OK");
  CHECK(c.cmd("Z2,80000100,4").empty());  // watchpoints: unsupported
  CHECK(c.cmd("c") == "S05");
  CHECK(c.cmd("p20") == le(0x80000010u));
  CHECK(c.cmd("z0,80000010,4") == "OK");
  CHECK(c.cmd("s") == "S05");
  CHECK(c.cmd("p20") == le(0x80000014u));
  CHECK(c.cmd("c") == "S05");
  CHECK(c.cmd("p20") == le(0x80000020u));
  CHECK(c.cmd("z1,80000020,2") == "OK");
  CHECK(c.cmd("s80000030") == "S05");  // step from a given address
  CHECK(c.cmd("p20") == le(0x80000034u));
  CHECK(c.cmd("Pa=" + le(42)) == "OK");
  CHECK(c.cmd("c") == "W2a");
  CHECK(c.get() == -1);  // the server closes after the exit (it waited for us to read)
  t.join();
  CHECK(t.end == FakeCpu::End::Exit);
  CHECK(t.cpu.exit_code() == 42);
  CHECK(t.cpu.breakpoints().empty());
  CHECK(t.log.str().find("GDB connected") != std::string::npos);
}

TEST_CASE("gdb server: Ctrl-C stops a running program, k kills it", "[gdb]") {
  Target t;
  Client c(t.server.port());
  CHECK(c.cmd("P6=" + le(0x01000000u)) == "OK");  // a long loop
  c.send("c");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.raw("\x03");
  CHECK(c.recv() == "S02");
  CHECK(c.cmd("?") == "S02");
  const std::string pc = c.cmd("p20");
  CHECK(pc.size() == 8);
  CHECK(c.cmd("p5") != le(0));  // it ran
  c.raw(frame("k"));
  CHECK(c.get() == '+');
  CHECK(c.get() == -1);  // k has no reply; the server closed
  t.join();
  CHECK(t.end == FakeCpu::End::Killed);
  CHECK(t.cpu.executed() > 0);
  CHECK(t.cpu.executed() < 16u * 0x01000000u);
}

TEST_CASE("gdb server: no-ack mode and detach", "[gdb]") {
  Target t;
  Client c(t.server.port());
  CHECK(c.cmd("QStartNoAckMode") == "OK");  // acked both ways; no acks afterwards
  c.ack = false;
  CHECK(c.cmd("p20") == le(0x80000000u));
  c.raw("$p20#00");  // checksums are no longer checked
  CHECK(c.recv() == le(0x80000000u));
  CHECK(c.cmd("Z0,80000100,4") == "OK");  // never reached: removed by the detach
  CHECK(c.cmd("Pa=" + le(7)) == "OK");
  CHECK(c.cmd("D") == "OK");
  CHECK(c.get() == -1);
  t.join();
  CHECK(t.end == FakeCpu::End::Exit);
  CHECK(t.cpu.exit_code() == 7);
  CHECK(t.cpu.breakpoints().empty());
  CHECK(!t.server.connected());
  CHECK(t.server.on_stop(t.cpu, epochcore::StopReason::Breakpoint, 0) == epochcore::ResumeAction::Detach);
  CHECK(!t.server.interrupt_requested());
}

TEST_CASE("gdb server: a client that leaves mid-run or at once is a detach", "[gdb]") {
  SECTION("mid-run") {
    Target t;
    {
      Client c(t.server.port());
      CHECK(c.cmd("P6=" + le(200000)) == "OK");  // 3.2 M instructions
      CHECK(c.cmd("Z0,80000100,4") == "OK");
      c.send("c");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }  // closed
    t.join();
    CHECK(t.end == FakeCpu::End::Exit);
    CHECK(t.cpu.breakpoints().empty());
    CHECK(t.cpu.executed() == 16u * 200000u);
    CHECK(t.log.str().find("GDB disconnected") != std::string::npos);
  }
  SECTION("before the first packet") {
    Target t;
    { Client c(t.server.port()); }
    t.join();
    CHECK(t.end == FakeCpu::End::Exit);
    CHECK(t.cpu.executed() == 16u);
  }
  SECTION("while the server waits for an ack") {
    Target t;
    {
      Client c(t.server.port());
      c.raw(frame("g"));
    }
    t.join();
    CHECK(t.end == FakeCpu::End::Exit);
  }
}

TEST_CASE("gdb server: a fault ends the run with X0b", "[gdb]") {
  Target t(0x80000008u);
  Client c(t.server.port());
  CHECK(c.cmd("?") == "S05");
  CHECK(c.cmd("c") == "X0b");
  CHECK(c.get() == -1);
  t.join();
  CHECK(t.end == FakeCpu::End::Fault);
  CHECK(t.log.str().find("the run faulted") != std::string::npos);
}

TEST_CASE("gdb server: bind errors name the port", "[gdb]") {
  GdbServer a(0, nullptr);
  try {
    GdbServer b(a.port(), nullptr);
    FAIL("a second server bound the same port");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("127.0.0.1:" + std::to_string(a.port())) != std::string::npos);
  }
}

int sc_main(int argc, char** argv) { return ec_test::run_catch(argc, argv); }
