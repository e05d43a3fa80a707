# ctest: install the build into a staging prefix, check what landed there (the staged `meterlab
# --version`, the unit pointing at the staged binary, the config example), then configure, build
# and run a consumer that uses find_package(meterlab) with every component.
# Parameters: BUILD_DIR, SOURCE_DIR, CXX_FLAGS.
set(stage "${BUILD_DIR}/install-smoke/stage")
set(consumer_build "${BUILD_DIR}/install-smoke/consumer")
file(REMOVE_RECURSE "${BUILD_DIR}/install-smoke")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${stage}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}\n${out}")
endif()

# What the build said it is: the version and whether the command was built.
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" version_line REGEX "^CMAKE_PROJECT_VERSION:")
string(REGEX REPLACE "^[^=]*=" "" version "${version_line}")
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" cli_line REGEX "^MLAB_CLI:")
string(REGEX REPLACE "^[^=]*=" "" with_cli "${cli_line}")
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" service_line REGEX "^MLAB_INSTALL_SERVICE:")
string(REGEX REPLACE "^[^=]*=" "" with_service "${service_line}")
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" libdir_line REGEX "^CMAKE_INSTALL_LIBDIR:")
string(REGEX REPLACE "^[^=]*=" "" libdir "${libdir_line}")

foreach(f include/meterlab/decoder/decoder.hpp include/meterlab/reader/sink.hpp
          include/meterlab/reader/outputs.hpp ${libdir}/cmake/meterlab/meterlabConfig.cmake
          ${libdir}/libmeterlab_reader.a ${libdir}/libmeterlab_reader_mqtt.a
          ${libdir}/libmeterlab_reader_influx.a ${libdir}/libmeterlab_reader_postgres.a
          ${libdir}/libmeterlab_reader_solarview.a)
  if(NOT EXISTS "${stage}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

if(with_cli)
  execute_process(COMMAND "${stage}/bin/meterlab" --version RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc OR NOT out STREQUAL "meterlab ${version}")
    message(FATAL_ERROR "staged meterlab --version: exit ${rc}, printed '${out}' '${err}', "
                        "expected 'meterlab ${version}'")
  endif()
  message(STATUS "staged bin/meterlab --version: ${out}")
endif()
if(with_cli AND with_service)
  foreach(f etc/meterlab/config.json share/doc/meterlab/README.packaging.md)
    if(NOT EXISTS "${stage}/${f}")
      message(FATAL_ERROR "not installed: ${f}")
    endif()
  endforeach()
  # The unit is written at install time for the prefix it is installed to.
  set(unit "${stage}/lib/systemd/system/meterlab-reader.service")
  file(STRINGS "${unit}" exec REGEX "^ExecStart=")
  if(NOT exec STREQUAL "ExecStart=${stage}/bin/meterlab decode --config ${stage}/etc/meterlab/config.json")
    message(FATAL_ERROR "staged unit: unexpected '${exec}'")
  endif()
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}/conformance/install_smoke" -B "${consumer_build}"
                        -G Ninja -DCMAKE_PREFIX_PATH=${stage} -DCMAKE_CXX_FLAGS=${CXX_FLAGS}
                        -DCMAKE_EXE_LINKER_FLAGS=${CXX_FLAGS}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${consumer_build}" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
execute_process(COMMAND "${consumer_build}/consumer" "${consumer_build}/readings.jsonl"
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer failed: ${rc}")
endif()
