# ctest: install the build into a staging prefix, then configure, build and run a consumer that
# uses find_package(meterlab).
set(stage "${BUILD_DIR}/install-smoke/stage")
set(consumer_build "${BUILD_DIR}/install-smoke/consumer")
file(REMOVE_RECURSE "${BUILD_DIR}/install-smoke")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${stage}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
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
execute_process(COMMAND "${consumer_build}/consumer" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer failed: ${rc}")
endif()
