// Decodes one Aidon list 1 frame (hdlc-plain/aidon-6525-list1) through the installed library.
#include <cstdio>
#include <string>

#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/decoder.hpp"

int main() {
  auto bytes = meterlab::parse_hex(
      "7ea02a410883130413e6e7000f40000000000101020309060100010700ff06000006a002020f00161b81df7e");
  if (!bytes) return 2;
  meterlab::Decoder dec;
  dec.push(*bytes);
  dec.finish();
  while (dec.next() == meterlab::Decoder::Event::telegram) {
    const auto& t = dec.telegram();
    if (t.readings.size() == 1 && t.readings[0].number() == 1696.0) {
      std::puts("consumer: decoded active_power_import 1696 W");
      return 0;
    }
  }
  std::puts("consumer: unexpected result");
  return 1;
}
