#include "epochcore/firmware/runtime/fw_format.h"

#include <stdint.h>

#include "epochcore/firmware/runtime/fw_math.h"

namespace epochcore::fw {

namespace {

struct Out {
  char* buf;
  size_t n;
  size_t len = 0;
  void put(char c) {
    if (len + 1 < n) buf[len] = c;
    ++len;
  }
  void pad(char c, int count) {
    for (int i = 0; i < count; ++i) put(c);
  }
};

size_t str_len(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

// Writes the digits of v in `base` into tmp (backwards); returns the digit count.
int to_digits(uint64_t v, unsigned base, bool upper, char* tmp) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  return n;
}

// Emits prefix (sign) + body with width/flags.
void emit(Out& o, const char* sign, const char* body, size_t body_len, int width, bool left, bool zero) {
  const size_t sign_len = str_len(sign);
  const int padding = width > int(sign_len + body_len) ? width - int(sign_len + body_len) : 0;
  if (!left && !zero) o.pad(' ', padding);
  for (size_t i = 0; i < sign_len; ++i) o.put(sign[i]);
  if (!left && zero) o.pad('0', padding);
  for (size_t i = 0; i < body_len; ++i) o.put(body[i]);
  if (left) o.pad(' ', padding);
}

double pow10(int k) {  // exact for 0 <= k <= 22
  double r = 1.0;
  double b = 10.0;
  unsigned e = unsigned(k < 0 ? -k : k);
  while (e) {
    if (e & 1) r *= b;
    b *= b;
    e >>= 1;
  }
  return k < 0 ? 1.0 / r : r;
}

// Decimal exponent of v > 0 (floor(log10(v))), by scaling.
int exp10_of(double v) {
  int e = 0;
  while (v >= 1e16) { v /= 1e16; e += 16; }
  while (v >= 10.0) { v /= 10.0; ++e; }
  while (v < 1e-16) { v *= 1e16; e -= 16; }
  while (v < 1.0) { v *= 10.0; --e; }
  return e;
}

// v >= 0 scaled by 10^k and rounded to an integer (< 2^63).
uint64_t scaled(double v, int k) {
  double s = v;
  while (k > 22) { s *= 1e22; k -= 22; }
  while (k < -22) { s /= 1e22; k += 22; }
  s = k >= 0 ? s * pow10(k) : s / pow10(-k);
  return uint64_t(s + 0.5);
}

// Appends the decimal digits of d (exactly `count` of them, leading zeros kept).
size_t put_digits(char* p, uint64_t d, int count) {
  for (int i = count - 1; i >= 0; --i) {
    p[i] = char('0' + d % 10);
    d /= 10;
  }
  return size_t(count);
}

// Formats v >= 0 (finite) into body; conv is 'f', 'e' or 'g'.
size_t format_double(char* body, double v, char conv, int prec) {
  size_t n = 0;
  if (prec > 17) prec = 17;
  if (conv == 'g') {
    const int p = prec == 0 ? 1 : prec;
    if (v == 0.0) { body[0] = '0'; return 1; }
    int e = exp10_of(v);
    uint64_t d = scaled(v, p - 1 - e);
    if (d >= uint64_t(pow10(p))) { ++e; d = scaled(v, p - 1 - e); }
    char digits[24];
    put_digits(digits, d, p);
    int last = p;
    while (last > 1 && digits[last - 1] == '0') --last;  // %g drops trailing zeros
    if (e < -4 || e >= p) {
      body[n++] = digits[0];
      if (last > 1) {
        body[n++] = '.';
        for (int i = 1; i < last; ++i) body[n++] = digits[i];
      }
      body[n++] = 'e';
      body[n++] = e < 0 ? '-' : '+';
      const int ae = e < 0 ? -e : e;
      if (ae >= 100) body[n++] = char('0' + ae / 100);
      body[n++] = char('0' + (ae / 10) % 10);
      body[n++] = char('0' + ae % 10);
    } else if (e >= 0) {
      for (int i = 0; i <= e; ++i) body[n++] = digits[i];
      if (last > e + 1) {
        body[n++] = '.';
        for (int i = e + 1; i < last; ++i) body[n++] = digits[i];
      }
    } else {
      body[n++] = '0';
      body[n++] = '.';
      for (int i = 0; i < -e - 1; ++i) body[n++] = '0';
      for (int i = 0; i < last; ++i) body[n++] = digits[i];
    }
    return n;
  }
  if (conv == 'f' && v < 1e17 / pow10(prec)) {
    const uint64_t d = scaled(v, prec);
    const uint64_t p10 = uint64_t(pow10(prec));
    char tmp[24];
    int k = to_digits(d / p10, 10, false, tmp);
    while (k) body[n++] = tmp[--k];
    if (prec > 0) {
      body[n++] = '.';
      n += put_digits(body + n, d % p10, prec);
    }
    return n;
  }
  // 'e' (and 'f' of huge values)
  int e = v == 0.0 ? 0 : exp10_of(v);
  uint64_t d = scaled(v, prec - e);
  if (d >= uint64_t(pow10(prec + 1))) { ++e; d = scaled(v, prec - e); }
  char digits[24];
  put_digits(digits, d, prec + 1);
  body[n++] = digits[0];
  if (prec > 0) {
    body[n++] = '.';
    for (int i = 1; i <= prec; ++i) body[n++] = digits[i];
  }
  body[n++] = 'e';
  body[n++] = e < 0 ? '-' : '+';
  const int ae = e < 0 ? -e : e;
  if (ae >= 100) body[n++] = char('0' + ae / 100);
  body[n++] = char('0' + (ae / 10) % 10);
  body[n++] = char('0' + ae % 10);
  return n;
}

}  // namespace

int fw_vformat(char* buf, size_t n, const char* fmt, va_list args) {
  Out o{buf, n};
  for (const char* f = fmt; *f; ++f) {
    if (*f != '%') {
      o.put(*f);
      continue;
    }
    ++f;
    bool left = false, zero = false, plus = false, space = false;
    for (;; ++f) {
      if (*f == '-') left = true;
      else if (*f == '0') zero = true;
      else if (*f == '+') plus = true;
      else if (*f == ' ') space = true;
      else if (*f == '#') {}
      else break;
    }
    int width = 0;
    if (*f == '*') {
      width = va_arg(args, int);
      if (width < 0) { left = true; width = -width; }
      ++f;
    } else {
      while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    }
    int prec = -1;
    if (*f == '.') {
      ++f;
      prec = 0;
      if (*f == '*') {
        prec = va_arg(args, int);
        ++f;
      } else {
        while (*f >= '0' && *f <= '9') prec = prec * 10 + (*f++ - '0');
      }
    }
    int longs = 0;  // 0 int, 1 long, 2 long long, 3 size_t/ptrdiff_t/intmax_t
    for (;; ++f) {
      if (*f == 'l') ++longs;
      else if (*f == 'z' || *f == 't' || *f == 'j') longs = 3;
      else if (*f == 'h') {}
      else break;
    }
    const char conv = *f;
    if (!conv) break;
    char body[64];
    const char* sign = "";
    switch (conv) {
      case 'd':
      case 'i': {
        int64_t v;
        if (longs == 2) v = va_arg(args, long long);
        else if (longs == 1) v = va_arg(args, long);
        else if (longs == 3) v = int64_t(va_arg(args, ptrdiff_t));
        else v = va_arg(args, int);
        const uint64_t mag = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
        sign = v < 0 ? "-" : plus ? "+" : space ? " " : "";
        char tmp[24];
        int k = to_digits(mag, 10, false, tmp);
        size_t len = 0;
        while (k) body[len++] = tmp[--k];
        emit(o, sign, body, len, width, left, zero);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o':
      case 'p': {
        uint64_t v;
        if (conv == 'p') v = uint64_t(uintptr_t(va_arg(args, void*)));
        else if (longs == 2) v = va_arg(args, unsigned long long);
        else if (longs == 1) v = va_arg(args, unsigned long);
        else if (longs == 3) v = va_arg(args, size_t);
        else v = va_arg(args, unsigned);
        const unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
        char tmp[24];
        int k = to_digits(v, base, conv == 'X', tmp);
        size_t len = 0;
        if (conv == 'p') { body[len++] = '0'; body[len++] = 'x'; }
        while (k) body[len++] = tmp[--k];
        emit(o, "", body, len, width, left, zero);
        break;
      }
      case 'c':
        body[0] = char(va_arg(args, int));
        emit(o, "", body, 1, width, left, false);
        break;
      case 's': {
        const char* s = va_arg(args, const char*);
        if (!s) s = "(null)";
        size_t len = 0;
        while (s[len] && (prec < 0 || len < size_t(prec))) ++len;
        emit(o, "", s, len, width, left, false);
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        double v = va_arg(args, double);
        const uint64_t bits = fw_bits(v);
        const bool neg = (bits >> 63) != 0;
        sign = neg ? "-" : plus ? "+" : space ? " " : "";
        v = fw_fabs(v);
        size_t len;
        if (!fw_isfinite(v)) {
          const bool nan = (bits & 0xFFFFFFFFFFFFFull) != 0;
          body[0] = nan ? 'n' : 'i';
          body[1] = nan ? 'a' : 'n';
          body[2] = nan ? 'n' : 'f';
          len = 3;
          zero = false;
        } else {
          char c = conv == 'F' ? 'f' : conv == 'E' ? 'e' : conv == 'G' ? 'g' : conv;
          len = format_double(body, v, c, prec < 0 ? 6 : prec);
        }
        emit(o, sign, body, len, width, left, zero);
        break;
      }
      case '%':
        o.put('%');
        break;
      default:  // unknown conversion: copy it
        o.put('%');
        o.put(conv);
        break;
    }
  }
  if (n) buf[o.len < n ? o.len : n - 1] = '\0';
  return int(o.len);
}

int fw_format(char* buf, size_t n, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const int r = fw_vformat(buf, n, fmt, args);
  va_end(args);
  return r;
}

}  // namespace epochcore::fw
