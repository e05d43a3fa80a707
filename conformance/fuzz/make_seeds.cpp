// Writes the seed corpora of the fuzz targets (corpus/<target>/) from the golden vectors and
// from simulator output. Not a test: run by hand (README.md), then the corpus is minimised with
// libFuzzer's -merge=1.
//   make_seeds OUT_DIR vectors/a.json ... [--raw sim_output.bin ...]
// Vectors bring their own keys; --raw streams were made with the fuzz targets' fixed keys.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/hdlc/framer.hpp"
#include "meterlab/mbus/framer.hpp"

namespace {

using namespace meterlab;
namespace fs = std::filesystem;
using Buf = std::vector<std::uint8_t>;

fs::path g_out;

void write(const std::string& target, const std::string& name, const Buf& bytes) {
  fs::create_directories(g_out / target);
  std::ofstream(g_out / target / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

Buf cat(Buf head, Bytes tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Every reassembled message of a link stream.
std::vector<Buf> messages(Bytes stream, bool hdlc) {
  std::vector<Buf> out;
  if (hdlc) {
    hdlc::Framer fr;
    hdlc::Reassembler re;
    fr.push(stream);
    for (auto ev = fr.finish(); ev.kind != hdlc::Event::Kind::need_more; ev = fr.finish()) {
      if (ev.kind != hdlc::Event::Kind::frame) continue;
      auto r = re.push(ev.frame);
      if ((r && *r) || re.ready())
        out.emplace_back(re.message().apdu.begin(), re.message().apdu.end());
    }
  } else {
    mbus::Framer fr;
    mbus::Reassembler re;
    fr.push(stream);
    for (auto ev = fr.finish(); ev.kind != mbus::Event::Kind::need_more; ev = fr.finish()) {
      if (ev.kind != mbus::Event::Kind::frame) continue;
      auto r = re.push(ev.frame);
      if ((r && *r) || re.ready())
        out.emplace_back(re.message().apdu.begin(), re.message().apdu.end());
    }
  }
  return out;
}

dlms::Key key(const std::string& hex) {
  dlms::Key k{};
  auto b = parse_hex(hex);
  if (b && b->size() == k.size()) std::copy(b->begin(), b->end(), k.begin());
  return k;
}

// The APDU cut into three general-block-transfer blocks (1, 2, 3 with the last-block bit), in the
// gbt target's input form: 2-byte length, block, ...
void gbt_split(const std::string& name, const Buf& apdu) {
  Buf seq;
  const std::size_t step = apdu.size() / 3 + 1;
  for (std::size_t at = 0, block = 1; at < apdu.size(); at += step, ++block) {
    const std::size_t n = std::min(step, apdu.size() - at);
    const bool last = at + n == apdu.size();
    Buf b{dlms::kGeneralBlockTransfer,
          static_cast<std::uint8_t>(last ? 0x80 : 0x00),
          0x00,
          static_cast<std::uint8_t>(block),
          0x00,
          0x00};
    if (n > 0x7F) b.push_back(0x81);
    b.push_back(static_cast<std::uint8_t>(n));
    b.insert(b.end(), apdu.begin() + static_cast<std::ptrdiff_t>(at),
             apdu.begin() + static_cast<std::ptrdiff_t>(at + n));
    seq.push_back(static_cast<std::uint8_t>(b.size() >> 8));
    seq.push_back(static_cast<std::uint8_t>(b.size() & 0xFF));
    seq.insert(seq.end(), b.begin(), b.end());
  }
  write("gbt", name + "-split", seq);
}

// Seeds of the APDU-level targets from one plaintext APDU.
void plaintext_seeds(const std::string& name, const Buf& apdu) {
  write("apdu_axdr", name, apdu);
  if (apdu.size() < 3 * 0xFF) gbt_split(name, apdu);
  dlms::DataNotification n;
  if (!dlms::parse_data_notification(Bytes(apdu), n)) return;
  write("layout", name, Buf(n.body.begin(), n.body.end()));
  static const std::uint8_t kScs[] = {0x20, 0x30};
  for (std::uint8_t i = 0; i < 2; ++i) {
    // security round trip: mode 1, SC index, IC, flip selector, plaintext
    Buf head{0x01, static_cast<std::uint8_t>(i * 2), 0x00, 0x00, 0x12,
             0x34, static_cast<std::uint8_t>(7 * i)};
    write("security", name + "-rt" + std::to_string(kScs[i]), cat(head, apdu));
  }
}

void apdu_seeds(const std::string& name, const Buf& apdu, const dlms::KeyRing& keys) {
  if (apdu.empty()) return;
  if (apdu[0] == dlms::kGeneralBlockTransfer) return;  // gbt seeds come whole, see gbt_seeds
  if (apdu[0] == dlms::kGeneralGloCiphering || apdu[0] == dlms::kGeneralDedCiphering) {
    write("security", name, cat(Buf{0x00}, Bytes(apdu)));
    write("apdu_axdr", name, apdu);
    auto c = dlms::parsed(dlms::parse_ciphered, Bytes(apdu));
    Buf plain;
    if (!c) return;
    auto d = dlms::decrypt(*c, keys, plain);
    if (d) plaintext_seeds(name + "-plain", Buf(d->plaintext.begin(), d->plaintext.end()));
    return;
  }
  plaintext_seeds(name, apdu);
}

// A run of E0 blocks as the gbt target reads them: 2-byte length, block, ...
void gbt_seeds(const std::string& name, const std::vector<Buf>& msgs) {
  Buf seq;
  for (const Buf& m : msgs) {
    if (m.empty() || m[0] != dlms::kGeneralBlockTransfer) continue;
    seq.push_back(static_cast<std::uint8_t>(m.size() >> 8));
    seq.push_back(static_cast<std::uint8_t>(m.size() & 0xFF));
    seq.insert(seq.end(), m.begin(), m.end());
  }
  if (!seq.empty()) write("gbt", name, seq);
}

void stream_seeds(const std::string& name, const std::string& transport, const Buf& stream,
                  const dlms::KeyRing& keys, bool fixed_key) {
  const std::uint8_t ak_bit = fixed_key ? 4 : 0;
  if (transport == "hdlc" || transport == "mbus") {
    const bool hdlc = transport == "hdlc";
    write(transport, name, cat(Buf{0x00, 0x00}, Bytes(stream)));
    write("decoder", name,
          cat(Buf{static_cast<std::uint8_t>(ak_bit | (hdlc ? 1 : 2)), 0, 0, 0}, Bytes(stream)));
    write("decoder", name + "-auto7", cat(Buf{ak_bit, 7, 0, 0}, Bytes(stream)));
    auto msgs = messages(Bytes(stream), hdlc);
    gbt_seeds(name, msgs);
    for (std::size_t i = 0; i < msgs.size() && i < 4; ++i)
      apdu_seeds(name + "-" + std::to_string(i), msgs[i], keys);
  } else if (transport == "apdu") {
    write("decoder", name, cat(Buf{3, 0, 0, 0}, Bytes(stream)));
    apdu_seeds(name, stream, keys);
  }
}

void from_vector(const fs::path& p) {
  auto v = nlohmann::json::parse(std::ifstream(p));
  auto stream = parse_hex(v.value("input_hex", ""));
  if (!stream || stream->empty()) return;
  dlms::KeyRing keys;
  for (const auto& k : v.value("keys", nlohmann::json::array())) {
    std::optional<dlms::SystemTitle> title;
    if (k.contains("system_title") && k["system_title"].is_string()) {
      auto t = parse_hex(k["system_title"].get<std::string>());
      dlms::SystemTitle st{};
      if (t && t->size() == st.size()) std::copy(t->begin(), t->end(), st.begin());
      title = st;
    }
    std::optional<dlms::Key> ak;
    if (k.contains("ak") && k["ak"].is_string()) ak = key(k["ak"].get<std::string>());
    keys.add(title, key(k["ek"].get<std::string>()), ak);
  }
  stream_seeds("v-" + p.stem().string(), v.value("transport", ""), *stream, keys, false);
}

void from_raw(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  Buf stream((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string transport = !stream.empty() && stream[0] == hdlc::kFlag ? "hdlc" : "mbus";
  stream_seeds("s-" + p.stem().string(), transport, stream, fuzz::fixed_keys(true), true);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: make_seeds OUT_DIR vector.json ... [--raw stream.bin ...]\n";
    return 2;
  }
  g_out = argv[1];
  bool raw = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--raw") {
      raw = true;
    } else if (raw) {
      from_raw(a);
    } else {
      from_vector(a);
    }
  }
  return 0;
}
