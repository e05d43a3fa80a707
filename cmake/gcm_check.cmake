# Runs GCM_CHECK (engine/dlms/gcm_check.cpp) on the GCM vector with a tag (SC 0x30): the APDU and
# the plaintext its source states from the vector file, the keys through the environment.
#   cmake -DGCM_CHECK=<program> -DSOURCE_DIR=<repo> -P gcm_check.cmake
set(_vector ${SOURCE_DIR}/vectors/upstream/apdu/dlmscosem-genglo-datanotification-sc30.json)
file(READ ${_vector} _json)
string(JSON _apdu GET "${_json}" hex)
string(JSON _plain GET "${_json}" expected source_stated plaintext_hex_from_test_data_notification_apdu)
string(JSON _ek GET "${_json}" key_hex)
string(JSON _ak GET "${_json}" auth_key_hex)
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env MLAB_CHECK_EK=${_ek} MLAB_CHECK_AK=${_ak}
          ${GCM_CHECK} ${_apdu} ${_plain}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gcm_check failed (exit ${rc})")
endif()
