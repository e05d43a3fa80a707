// The built-in layouts on the real plaintext APDUs of the golden vectors: each body is parsed
// with axdr::parse and mapped; the expected values come from each vector's source_stated (else
// derived) values, with exact scaling and units.
#include <gtest/gtest.h>

#include "layout_test_util.hpp"

namespace meterlab::cosem {
namespace {

using namespace layout_testing;

TEST(LayoutVectors, EveryBodyMatchesExactlyOneLayout) {
  const LayoutSet& set = LayoutSet::builtin();
  for (const auto& v : kVectorApdus) {
    Apdu a;
    parse_apdu(a, v.hex);
    auto names = set.matching(a.context());
    EXPECT_EQ(1u, names.size()) << v.name;
    Telegram t;
    auto r = set.map(a.context(), t);
    EXPECT_TRUE(r) << v.name << ": " << name(r.error().code) << " at " << r.error().offset;
    dump(v.name, t);
  }
}

TEST(LayoutAidon, List2SelfDescribing) {
  Mapped m;
  map_vector(m, "hdlc-plain/aidon-6525-list2");
  expect_ids(m.t, "7359992899161110", "AIDON_V0001", "obis_self_describing");
  EXPECT_EQ("6525", m.t.text(m.t.meter_type));
  EXPECT_EQ(12u, m.t.readings.size());
  expect_text(m.t, "1-1:0.2.129.255", "AIDON_V0001");
  expect_text(m.t, "0-0:96.1.7.255", "6525");
  expect_number(m.t, "1-0:1.7.0.255", 2077, "W");
  expect_number(m.t, "1-0:4.7.0.255", 86, "var");
  expect_number(m.t, "1-0:31.7.0.255", 4.6, "A");
  expect_number(m.t, "1-0:71.7.0.255", 6.1, "A");
  expect_number(m.t, "1-0:32.7.0.255", 237.6, "V");
  expect_number(m.t, "1-0:72.7.0.255", 236.5, "V");
  EXPECT_EQ(nullptr, find(m.t, "1-0:51.7.0.255"));  // 3-wire IT meter: no IL2
  EXPECT_EQ("active_power_import", find(m.t, "1-0:1.7.0.255")->name);
  EXPECT_FALSE(m.t.timestamp.has_value());
}

TEST(LayoutAidon, List3EnergyScalerAndClock) {
  Mapped m;
  map_vector(m, "apdu/aidon-no-list3-llc-pdu-amshan");
  expect_ids(m.t, "7359992892587665", "AIDON_V0001", "obis_self_describing");
  expect_number(m.t, "1-0:1.7.0.255", 280, "W");
  expect_number(m.t, "1-0:1.8.0.255", 22721380, "Wh");  // 2272138 x 10^1 (0F01)
  expect_number(m.t, "1-0:4.8.0.255", 1708430, "varh");
  expect_clock(m.t, "0-0:1.0.0.255", "2020-01-21T16:00:00+00:00");
  Mapped l3;
  map_vector(l3, "hdlc-plain/aidon-6525-list3");
  expect_number(l3.t, "1-0:1.8.0.255", 21882340, "Wh");
  expect_number(l3.t, "1-0:3.8.0.255", 333500, "varh");
  // ams_han_decoder states "+60": DLMS deviation = UTC - local, so local is UTC-01:00.
  expect_clock(l3.t, "0-0:1.0.0.255", "2019-06-12T18:00:00-01:00");
}

TEST(LayoutAidon, List1AndSwedishList) {
  Mapped m;
  map_vector(m, "hdlc-plain/aidon-6525-list1");
  ASSERT_EQ(1u, m.t.readings.size());
  expect_number(m.t, "1-0:1.7.0.255", 1696, "W");
  EXPECT_TRUE(m.t.list_id.empty());  // the list has no id: null, not the layout name
  EXPECT_EQ("obis_self_describing", m.t.layout);
  Mapped se;
  map_vector(se, "hdlc-plain/aidon-doc-se-rj12-3phase");
  expect_clock(se.t, "0-0:1.0.0.255", "2019-12-16T07:59:40");  // deviation 0x8000
  expect_number(se.t, "1-0:3.7.0.255", 1507, "var");
  expect_number(se.t, "1-0:51.7.0.255", 7.5, "A");
  expect_number(se.t, "1-0:41.7.0.255", 1122, "W");
  expect_number(se.t, "1-0:1.8.0.255", 10049926, "Wh");
}

TEST(LayoutKaifa, NorwegianPositionalLists) {
  Mapped l1;
  map_vector(l1, "hdlc-plain/kaifa-kfm001-ma304h3e-list1");
  EXPECT_EQ("kfm001_list1", l1.t.layout);
  ASSERT_EQ(1u, l1.t.readings.size());
  expect_number(l1.t, "1-0:1.7.0.255", 229, "W");
  Mapped l2;
  map_vector(l2, "hdlc-plain/kaifa-kfm001-ma304h3e-list2");
  expect_ids(l2.t, "6970631400000066", "KFM_001", "kfm001_list2_3phase");
  EXPECT_EQ("MA304H3E", l2.t.text(l2.t.meter_type));
  expect_number(l2.t, "1-0:31.7.0.255", 0.954, "A");  // mA on the wire
  expect_number(l2.t, "1-0:32.7.0.255", 239.2, "V");  // 0.1 V on the wire
  expect_number(l2.t, "1-0:52.7.0.255", 0, "V");      // IT net: UL2 = 0
  Mapped l3;
  map_vector(l3, "hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b");
  expect_ids(l3.t, "6970631401753985", "KFM_001", "kfm001_list3_3phase");
  EXPECT_EQ(18u, l3.t.readings.size());
  expect_clock(l3.t, "0-0:1.0.0.255", "2017-09-13T00:00:10");
  expect_number(l3.t, "1-0:1.8.0.255", 112727, "Wh");
  expect_number(l3.t, "1-0:4.8.0.255", 13220, "varh");
}

TEST(LayoutKaifa, OnePhaseList2HasNoL2L3) {
  // MA105H2E list 2 (KFM_001 documentation: the 1-phase lists drop IL2/IL3/UL2/UL3), built from
  // the 3-phase capture's fields: id, meter id, type, P+, P-, Q+, Q-, IL1, UL1.
  Apdu a;
  parse_apdu(a,
             "0f40000000"
             "00"
             "0209"
             "09074b464d5f303031"
             "09103639373036333134303030303030363"
             "6"
             "09084d41313035483245"
             "06000000e4"
             "0600000000"
             "0600000000"
             "0600000005"
             "06000003ba"
             "0600000958");
  Telegram t;
  ASSERT_TRUE(LayoutSet::builtin().map(a.context(), t));
  EXPECT_EQ("kfm001_list2_1phase", t.layout);
  EXPECT_EQ("MA105H2E", t.text(t.meter_type));
  expect_number(t, "1-0:31.7.0.255", 0.954, "A");
  expect_number(t, "1-0:32.7.0.255", 239.2, "V");
  EXPECT_EQ(9u, t.readings.size());
}

TEST(LayoutKaifa, SwedishObisPairsWithoutScalers) {
  Mapped m;
  map_vector(m, "apdu/kaifa-se-llc-pdu-amshan");
  expect_ids(m.t, "7340734073407340", "KFM_001", "kaifa_kfm001_obis");
  EXPECT_EQ("MA304H4", m.t.text(m.t.meter_type));
  expect_number(m.t, "1-0:1.7.0.255", 2816, "W");
  expect_number(m.t, "1-0:31.7.0.255", 6.781, "A");
  expect_number(m.t, "1-0:51.7.0.255", 0.790, "A");
  expect_number(m.t, "1-0:32.7.0.255", 232.2, "V");
  expect_number(m.t, "1-0:1.8.0.255", 4786979, "Wh");
  expect_number(m.t, "1-0:4.8.0.255", 578528, "varh");
  expect_clock(m.t, "0-0:1.0.0.255", "2021-09-22T17:35:30+01:00");
  Mapped l3;
  map_vector(l3, "hdlc-plain/kaifa-se-gh242-1-list3");
  expect_ids(l3.t, "7340157030542476", "KFM_001", "kaifa_kfm001_obis");
  expect_number(l3.t, "1-0:32.7.0.255", 232.2, "V");  // amsreader's 2322 V is its mis-scaling
  expect_number(l3.t, "1-0:31.7.0.255", 0.032, "A");
  expect_number(l3.t, "1-0:1.8.0.255", 1142, "Wh");
}

TEST(LayoutKamstrup, ListsWithScalersFromTheLayout) {
  Mapped l2;
  map_vector(l2, "hdlc-plain/kamstrup-6841121-list2");
  expect_ids(l2.t, "5706567274389702", "Kamstrup_V0001", "kamstrup_v0001");
  EXPECT_EQ("6841121BN243101040", l2.t.text(l2.t.meter_type));
  expect_text(l2.t, "1-1:0.0.5.255", "5706567274389702");
  expect_number(l2.t, "1-1:1.7.0.255", 2531, "W");
  expect_number(l2.t, "1-1:31.7.0.255", 9.96, "A");
  expect_number(l2.t, "1-1:32.7.0.255", 231, "V");
  expect_number(l2.t, "1-1:1.8.0.255", 4272440, "Wh");  // 427244 x 0.01 kWh
  expect_clock(l2.t, "0-1:1.0.0.255", "2017-10-20T04:00:05");
}

TEST(LayoutKamstrup, OnePhaseNullPlaceholdersGiveNoReading) {
  Mapped m;
  map_vector(m, "apdu/kamstrup-no-1phase-list1-llc-pdu-amshan");
  EXPECT_EQ("Kamstrup_V0001", m.t.text(m.t.list_id));
  // 8 objects and the list id (a reading under 1-1:0.2.129.255); the null pairs give none.
  EXPECT_EQ(9u, m.t.readings.size());
  const Reading* list = find(m.t, "1-1:0.2.129.255");
  ASSERT_NE(nullptr, list);
  EXPECT_EQ("Kamstrup_V0001", m.t.text(list->text));
  expect_number(m.t, "1-1:1.7.0.255", 1896, "W");
  expect_number(m.t, "1-1:4.7.0.255", 493, "var");
  expect_number(m.t, "1-1:31.7.0.255", 8.96, "A");
  expect_number(m.t, "1-1:32.7.0.255", 225, "V");
  for (const auto& r : m.t.readings) EXPECT_NE(ValueKind::none, r.kind);
  Mapped doc;
  map_vector(doc, "hdlc-plain/kamstrup-doc-example3-list2-1ph");
  EXPECT_EQ(8u, doc.t.readings.size());
}

TEST(LayoutKamstrup, DanishOmnipower) {
  Mapped m;
  map_vector(m, "hdlc-encrypted/kamstrup-omnipower-dk-gh517-pair");
  EXPECT_EQ("", m.t.text(m.t.meter_id));  // this list carries no meter number
  expect_number(m.t, "1-1:1.7.0.255", 485, "W");
  expect_number(m.t, "1-1:31.7.0.255", 2.44, "A");
  expect_number(m.t, "1-1:32.7.0.255", 232, "V");
  expect_number(m.t, "1-1:1.8.0.255", 13529970, "Wh");  // amsreader: 13529.97 kWh
  expect_number(m.t, "1-1:13.7.0.255", 0.94, "");
  const Reading* unknown = find(m.t, "1-1:0.0.1.255");  // kept, not dropped
  ASSERT_NE(nullptr, unknown);
  EXPECT_EQ("", unknown->name);
  Mapped dk;
  map_vector(dk, "apdu/kamstrup-omnipower-dk-gh111-decrypted");
  EXPECT_EQ("5706567286399553", dk.t.text(dk.t.meter_id));
  expect_number(dk.t, "1-1:1.7.0.255", 169, "W");
  expect_number(dk.t, "1-1:52.7.0.255", 231, "V");
}

TEST(LayoutAustria, TinetzBareClockThenStructures) {
  Mapped m;
  map_vector(m, "mbus-encrypted/tinetz-kaifa-ma309-walkthrough");
  EXPECT_EQ("1KFM0100000035", m.t.text(m.t.meter_id));
  expect_clock(m.t, "0-0:1.0.0.255", "2021-07-19T15:46:35+02:00");
  expect_text(m.t, "0-0:42.0.0.255", "KFM1100100000035");
  expect_number(m.t, "1-0:32.7.0.255", 230.8, "V");
  expect_number(m.t, "1-0:1.8.0.255", 9108, "Wh");
  expect_number(m.t, "1-0:4.8.0.255", 9, "varh");
  Mapped sbg;
  map_vector(sbg, "apdu/salzburgnetz-kaifa-ma309-plain-apdu");
  expect_clock(sbg.t, "0-0:1.0.0.255", "2022-11-12T16:54:00+01:00");
  expect_number(sbg.t, "1-0:31.7.0.255", 1.65, "A");
  expect_number(sbg.t, "1-0:3.8.0.255", 4818, "varh");
}

TEST(LayoutAustria, EvnFlatTripletsAndTrailingMeterNumber) {
  Mapped m;
  map_vector(m, "mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example");
  expect_ids(m.t, "181220000009", "", "evn_kaifa_ma309");
  expect_clock(m.t, "0-0:1.0.0.255", "2021-09-27T09:47:15+02:00");
  expect_number(m.t, "1-0:1.8.0.255", 12937, "Wh");
  expect_number(m.t, "1-0:32.7.0.255", 233.7, "V");
  expect_number(m.t, "1-0:13.7.0.255", 1.0, "");  // 1000 x 10^-3, unit 255 (count)
  Mapped sbg;
  map_vector(sbg, "mbus-encrypted/salzburgnetz-doc-sample-single-frame");
  EXPECT_EQ("obis_clock_first", sbg.t.layout);
  expect_clock(sbg.t, "0-0:1.0.0.255", "2016-09-08T19:13:25+00:00");
  expect_number(sbg.t, "1-0:3.8.0.255", 0, "varh");
}

TEST(LayoutAustria, IskraSiemensPushWithSeparateDateAndTime) {
  Mapped m;
  map_vector(m, "hdlc-encrypted/iskra-am550-kaerntennetz-gh787-1");
  expect_ids(m.t, "1121378381199", "", "at_iskra_siemens_push");
  expect_clock(m.t, "0-0:1.0.0.255", "2024-05-07T21:11:17");
  expect_number(m.t, "1-0:1.8.0.255", 14370048, "Wh");
  expect_number(m.t, "1-0:4.8.0.255", 2293936, "varh");
  expect_number(m.t, "1-0:1.7.0.255", 9, "W");
  // Issue 16: the push-setup OBIS (position 1) and the two empty strings (11, 12), of no
  // documented meaning, are unnamed readings by position (they were skipped).
  ASSERT_EQ(11u, m.t.readings.size());
  EXPECT_EQ("1", m.t.readings[0].position_text());
  EXPECT_EQ(std::string("\x00\x06\x19\x09\x00\xff", 6), m.t.text(m.t.readings[0].text));
  EXPECT_EQ("11", m.t.readings[9].position_text());
  EXPECT_EQ("12", m.t.readings[10].position_text());
  Mapped im350;
  map_vector(im350, "hdlc-encrypted/wienernetze-siemens-im350-shrdzm-1");
  EXPECT_EQ("2221202033801", im350.t.text(im350.t.meter_id));
  expect_number(im350.t, "1-0:1.8.0.255", 2946830, "Wh");
  expect_number(im350.t, "1-0:1.7.0.255", 73, "W");
}

TEST(LayoutAustria, WienerNetzeD0Compact) {
  Mapped m;
  map_vector(m, "hdlc-encrypted/wienernetze-d0-iskra-am550-signed");
  EXPECT_EQ("wienernetze_d0_compact", m.t.layout);
  expect_clock(m.t, "0-0:1.0.0.255", "2021-10-21T06:44:02+02:00");
  expect_number(m.t, "1-0:1.8.0.255", 855, "Wh");
  expect_number(m.t, "1-0:4.8.0.255", 169, "varh");
  expect_number(m.t, "1-0:4.7.0.255", 0, "var");
  Mapped s;
  map_vector(s, "hdlc-encrypted/wienernetze-d0-siemens-im350-signed");
  EXPECT_EQ("wienernetze_d0_compact_siemens", s.t.layout);
  EXPECT_EQ("SMS1030788000020", s.t.text(s.t.meter_id));
  expect_number(s.t, "1-0:4.7.0.255", 18, "var");
}

TEST(LayoutAustria, BurgenlandE450Positional) {
  Mapped m;
  map_vector(m, "hdlc-encrypted/lg-e450-burgenland-gh501-1");
  expect_ids(m.t, "30137181", "", "lg_e450_burgenland");
  expect_number(m.t, "1-0:32.7.0.255", 236, "V");
  expect_number(m.t, "1-0:71.7.0.255", 0.26, "A");
  expect_number(m.t, "1-0:1.7.0.255", 29, "W");
  expect_number(m.t, "1-0:1.8.0.255", 31358606, "Wh");
  expect_number(m.t, "1-0:2.8.0.255", 7619, "Wh");
  // Issue 16: the three undocumented values are unnamed readings by position (they were skipped).
  ASSERT_EQ(14u, m.t.readings.size());
  const std::int64_t undocumented[] = {400, 53, 295};
  for (std::size_t i = 0; i < 3; ++i) {
    const Reading& r = m.t.readings[10 + i];
    EXPECT_EQ(std::to_string(11 + i), r.position_text());
    EXPECT_EQ(ObisCode{}, r.obis);
    EXPECT_EQ(undocumented[i], r.raw);
  }
}

TEST(LayoutIskra, SlovenianAndCroatianCompactLists) {
  Mapped si;
  map_vector(si, "hdlc-plain/iskra-am550-si-gh615-1");
  EXPECT_EQ("16820005", si.t.text(si.t.meter_id));  // amsreader golden meterId
  expect_number(si.t, "1-0:1.7.0.255", 1393, "W");
  expect_number(si.t, "1-0:32.7.0.255", 237.9, "V");
  expect_number(si.t, "1-0:72.7.0.255", 229.6, "V");
  expect_number(si.t, "1-0:31.7.0.255", 1.03, "A");
  expect_number(si.t, "1-0:71.7.0.255", 5.97, "A");
  expect_number(si.t, "1-0:61.7.0.255", 1325, "W");
  Mapped hr;
  map_vector(hr, "apdu/iskra-ie5-hr-gh1072-3");
  EXPECT_EQ("92029691", hr.t.text(hr.t.meter_id));
  expect_clock(hr.t, "0-0:1.0.0.255", "2025-12-03T15:53:30");
  expect_number(hr.t, "1-0:1.8.0.255", 6844432, "Wh");
  expect_number(hr.t, "1-0:1.8.1.255", 4770804, "Wh");
  expect_number(hr.t, "1-0:1.7.0.255", 499, "W");
  expect_number(hr.t, "1-0:32.7.0.255", 233.6, "V");
  expect_number(hr.t, "1-0:51.7.0.255", 1.72, "A");
}

TEST(LayoutCapture, SwissE450CaptureObjects) {
  Mapped m;
  map_vector(m, "apdu/lg-e450-ch-gh934-reassembled");
  expect_ids(m.t, "63316890", "", "lg_e450_ch_capture");
  expect_number(m.t, "1-0:1.7.0.255", 331, "W");
  expect_number(m.t, "1-1:1.8.0.255", 4912257, "Wh");  // amsreader 4912.257 kWh
  expect_number(m.t, "1-0:32.7.0.255", 234, "V");      // integer V, not 23.4
  expect_number(m.t, "1-0:31.7.0.255", 0.49, "A");
  expect_number(m.t, "1-0:51.7.0.255", 1.67, "A");
  EXPECT_EQ(nullptr, find(m.t, "0-8:25.9.0.255"));  // push setup entries are metadata
  Mapped gbt;
  map_vector(gbt, "hdlc-plain/lg-e450-ch-gh740-gbt-3frames");
  EXPECT_EQ("63326413", gbt.t.text(gbt.t.meter_id));
  expect_number(gbt.t, "1-0:1.7.0.255", 362, "W");
  expect_number(gbt.t, "1-1:1.8.0.255", 2302502, "Wh");
  expect_number(gbt.t, "1-0:31.7.0.255", 0.51, "A");
  expect_number(gbt.t, "1-0:71.7.0.255", 0.52, "A");
}

}  // namespace
}  // namespace meterlab::cosem
