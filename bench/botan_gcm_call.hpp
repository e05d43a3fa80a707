// Botan's GCM decrypt+verify alone of a general-glo-ciphering APDU (bench keys): the reference
// point the encrypted pipelines are measured against (bench_references.cpp, bench_p1.cpp). The
// key is set once, as the engine does; each call sets the AAD and IV, copies ciphertext || tag
// into Botan's buffer and finishes it, as the engine's security layer does.
#pragma once

#include <botan/aead.h>

#include <array>
#include <memory>

#include "meterlab/dlms/apdu.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace mlab_bench {

// IV = system title || invocation counter (Green Book 9.2.7.2).
inline std::array<std::uint8_t, 12> gcm_iv(const meterlab::dlms::CipheredApdu& c) {
  std::array<std::uint8_t, 12> iv{};
  std::copy(c.system_title.begin(), c.system_title.end(), iv.begin());
  for (std::size_t i = 0; i < 4; ++i) {
    iv[8 + i] = static_cast<std::uint8_t>(c.invocation_counter >> (24 - 8 * i));
  }
  return iv;
}

class BotanGcmCall {
 public:
  explicit BotanGcmCall(const meterlab::samples::Buf& apdu)
      : c_(*meterlab::dlms::parsed(meterlab::dlms::parse_ciphered, apdu)),
        gcm_(Botan::AEAD_Mode::create_or_throw("AES-128/GCM(12)", Botan::DECRYPTION)),
        iv_(gcm_iv(c_)) {
    using namespace meterlab::samples;
    gcm_->set_key(kBenchEk.data(), kBenchEk.size());
    aad_[0] = c_.security_control;
    std::copy(kBenchAk.begin(), kBenchAk.end(), aad_.begin() + 1);
    buf_.reserve(c_.ciphertext.size() + c_.tag_bytes.size());
  }

  // One decryption; Botan throws when the tag does not verify.
  const std::uint8_t* operator()() {
    gcm_->set_associated_data(aad_.data(), aad_.size());
    gcm_->start(iv_.data(), iv_.size());
    buf_.assign(c_.ciphertext.begin(), c_.ciphertext.end());
    buf_.insert(buf_.end(), c_.tag_bytes.begin(), c_.tag_bytes.end());
    gcm_->finish(buf_);
    return buf_.data();
  }
  std::size_t ciphertext_size() const noexcept { return c_.ciphertext.size(); }

 private:
  meterlab::dlms::CipheredApdu c_;
  std::unique_ptr<Botan::AEAD_Mode> gcm_;
  std::array<std::uint8_t, 12> iv_;
  std::array<std::uint8_t, 17> aad_{};
  Botan::secure_vector<std::uint8_t> buf_;
};

}  // namespace mlab_bench
