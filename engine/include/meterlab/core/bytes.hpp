// ByteReader: a non-owning cursor with one bounds check; ByteWriter: an appending encoder with
// length-prefixed children. In the manner of BoringSSL's CBS/CBB.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "meterlab/core/result.hpp"

namespace meterlab {

using Bytes = std::span<const std::uint8_t>;

// n (1..8) bytes at p as one big-endian unsigned number. `wide`: eight bytes may be read from p
// (those past the n are looked at, not used), so on a little-endian machine it is one unaligned
// load and a byte swap instead of a loop.
inline std::uint64_t load_uint_be(const std::uint8_t* p, std::size_t n, bool wide) noexcept {
  std::uint64_t v = 0;
  if (std::endian::native == std::endian::little && wide) {
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v) >> (64 - 8 * n);
  }
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// The low n (1..8) bytes of v read as a two's complement number, sign-extended to 64 bits: the
// value moved to the top of the word and shifted back arithmetically.
constexpr std::uint64_t sign_extend(std::uint64_t v, std::size_t n) noexcept {
  const auto shift = static_cast<unsigned>(64 - 8 * n);
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(v << shift) >> shift);
}

class ByteReader {
 public:
  // `base` is the offset of data[0] in the layer's whole input, so errors carry absolute offsets.
  explicit ByteReader(Bytes data, std::size_t base = 0) noexcept : data_(data), base_(base) {}

  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return pos_ == data_.size(); }
  std::size_t offset() const noexcept { return base_ + pos_; }  // absolute offset of the next byte
  Bytes rest() const noexcept { return data_.subspan(pos_); }

  Result<std::uint8_t> peek_u8() const {
    if (empty()) return fail(Errc::truncated, offset());
    return data_[pos_];
  }
  Result<std::uint8_t> read_u8() {
    if (empty()) return fail(Errc::truncated, offset());
    return data_[pos_++];
  }
  Result<std::uint16_t> read_u16be() {
    MLAB_ASSIGN(auto b, read_bytes(2));
    return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
  }
  Result<std::uint32_t> read_u32be() {
    MLAB_ASSIGN(auto b, read_bytes(4));
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
  }
  Result<std::uint64_t> read_u64be() {
    MLAB_ASSIGN(auto hi, read_u32be());
    MLAB_ASSIGN(auto lo, read_u32be());
    return (std::uint64_t{hi} << 32) | lo;
  }
  // n (1..8) bytes as one big-endian unsigned number (load_uint_be: one load where at least
  // eight bytes are left; the bytes past the n are not consumed).
  Result<std::uint64_t> read_uint_be(std::size_t n) {
    if (n > remaining()) return fail(Errc::truncated, offset());
    if (n == 0) return std::uint64_t{0};
    const std::uint64_t v = load_uint_be(data_.data() + pos_, n, remaining() >= 8);
    pos_ += n;
    return v;
  }
  Result<Bytes> read_bytes(std::size_t n) {
    if (n > remaining()) return fail(Errc::truncated, offset());
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // A reader over the next n bytes, keeping absolute offsets.
  Result<ByteReader> sub_reader(std::size_t n) {
    std::size_t start = offset();
    MLAB_ASSIGN(auto b, read_bytes(n));
    return ByteReader(b, start);
  }
  Result<void> skip(std::size_t n) {
    if (n > remaining()) return fail(Errc::truncated, offset());
    pos_ += n;
    return {};
  }
  // Every parse ends here: nothing may be left over.
  Result<void> expect_end() const {
    if (!empty()) return fail(Errc::trailing_bytes, offset());
    return {};
  }

 private:
  Bytes data_;
  std::size_t base_ = 0;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) noexcept : out_(out) {}

  void put_u8(std::uint8_t v) { out_.push_back(v); }
  void put_u16be(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void put_u32be(std::uint32_t v) {
    put_u16be(static_cast<std::uint16_t>(v >> 16));
    put_u16be(static_cast<std::uint16_t>(v));
  }
  void put_u64be(std::uint64_t v) {
    put_u32be(static_cast<std::uint32_t>(v >> 32));
    put_u32be(static_cast<std::uint32_t>(v));
  }
  void put_bytes(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::size_t size() const noexcept { return out_.size(); }
  std::vector<std::uint8_t>& buffer() noexcept { return out_; }

  // Writes a child through `fill`, then inserts its length in front as a BER length
  // (1 byte below 0x80, else 81 xx or 82 xx xx), as DLMS ciphered APDUs carry it.
  template <class Fill>
  void put_ber_length_prefixed(Fill&& fill) {
    std::size_t start = out_.size();
    fill(*this);
    std::size_t len = out_.size() - start;
    std::uint8_t prefix[3];
    std::size_t n = 0;
    if (len < 0x80) {
      prefix[n++] = static_cast<std::uint8_t>(len);
    } else if (len <= 0xFF) {
      prefix[n++] = 0x81;
      prefix[n++] = static_cast<std::uint8_t>(len);
    } else {
      prefix[n++] = 0x82;
      prefix[n++] = static_cast<std::uint8_t>(len >> 8);
      prefix[n++] = static_cast<std::uint8_t>(len);
    }
    out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(start), prefix, prefix + n);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace meterlab
