// The meter a telegram is from, as the database outputs name it (private header of
// reader/influx and reader/postgres). Some lists carry no meter id (Kaifa's and Aidon's
// 2-second power list): those belong to the meter last named on the same input, so that one
// meter is one series; "meter" until a list names it.
#pragma once

#include <string>
#include <string_view>

#include "meterlab/reader/sink.hpp"

namespace meterlab::reader::detail {

class MeterName {
 public:
  std::string_view of(const cosem::Telegram& t) {
    if (!t.meter_id.empty() || t.system_title) last_ = meter_key(t);
    return last_;
  }

 private:
  std::string last_ = "meter";
};

}  // namespace meterlab::reader::detail
